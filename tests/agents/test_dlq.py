"""Dead-letter queues: read with EventBridge's error attributes, redrive without ever losing a message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cabructl.agents import EventBridgeAgent
from cabructl.operations.dlq import DeadLetter, DeadLetterError, dead_letter_queues, peek, redrive, resolve_queues
from cabructl.aws import Aws
from cabructl.topology import Topology

from agent_backbone import Backbone
from agent_faults import RejectEntries
from agent_samples import RULE_ARN, failed_event, issue, send_dead_letter


@pytest.fixture
def dlq_url(topology: Topology, backbone: Backbone) -> str:
    return backbone.aws.client("sqs").create_queue(QueueName=topology.queues["eventbridge-dlq"].name)["QueueUrl"]


def depth(aws: Aws, url: str) -> int:
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(value) for value in attributes["Attributes"].values())


def test_the_topologys_dead_letter_queues_and_who_uses_them(topology: Topology) -> None:
    users = dead_letter_queues(topology)
    assert list(users) == ["eventbridge-dlq", "critical-events-dlq"]
    assert users["critical-events-dlq"] == ["critical-issues/critical-issues-sns"]


def test_queues_are_found_by_logical_name_name_or_url(topology: Topology, backbone: Backbone, dlq_url: str) -> None:
    by_logical = resolve_queues(topology, backbone.aws, "eventbridge-dlq", False)
    by_name = resolve_queues(topology, backbone.aws, topology.queues["eventbridge-dlq"].name, False)
    assert by_logical == by_name and by_logical[0].url == dlq_url
    assert resolve_queues(topology, backbone.aws, dlq_url, False)[0].url == dlq_url
    everything = resolve_queues(topology, backbone.aws, None, True)
    assert [(q.logical, q.url is not None) for q in everything] == [("eventbridge-dlq", True), ("critical-events-dlq", False)]
    with pytest.raises(DeadLetterError, match='no queue "eventbridge-dql"') as raised:
        resolve_queues(topology, backbone.aws, "eventbridge-dql", False)
    assert "eventbridge-dlq" in str(raised.value.hint)


def test_peek_shows_the_error_attributes_and_leaves_messages_in_place(topology: Topology, backbone: Backbone, dlq_url: str) -> None:
    detail = issue().to_detail()
    send_dead_letter(backbone.aws, dlq_url, json.dumps(failed_event(detail)))
    [queue] = resolve_queues(topology, backbone.aws, "eventbridge-dlq", False)
    [letter] = peek(backbone.aws, queue, wait_seconds=0)
    assert letter.attributes["ERROR_CODE"] == "SDK_CLIENT_ERROR" and letter.attributes["RULE_ARN"] == RULE_ARN
    assert letter.attributes["RETRY_ATTEMPTS"] == "3" and letter.event["detail"] == detail
    assert [l.message_id for l in peek(backbone.aws, queue, wait_seconds=0)] == [letter.message_id]  # still there, visible


def test_redrive_via_the_bus_republishes_then_deletes(topology: Topology, backbone: Backbone, dlq_url: str) -> None:
    details = [issue(description=f"lost {n}").to_detail() for n in range(12)]
    for detail in details:
        send_dead_letter(backbone.aws, dlq_url, json.dumps(failed_event(detail)))
    agent = EventBridgeAgent("ops", topology=topology, aws=backbone.aws, guards=False, any_agent=True)
    [queue] = resolve_queues(topology, backbone.aws, "eventbridge-dlq", False)
    report = redrive(agent, queue, wait_seconds=0, via_bus=True)
    assert len(report.redriven) == 12 and report.failed == []
    received = backbone.received()
    assert sorted(e["detail"]["description"] for e in received) == sorted(d["description"] for d in details)
    assert {e["time"] for e in received} == {"2024-01-15T10:00:00Z"}  # the original time is kept
    assert depth(backbone.aws, dlq_url) == 0


def test_a_failed_republish_leaves_the_message_in_the_queue(topology: Topology, backbone: Backbone, dlq_url: str) -> None:
    RejectEntries(backbone.aws, lambda call, detail: "unlucky" in detail, code="InternalFailure")
    for text in ("unlucky", "lucky", "unlucky again"):
        send_dead_letter(backbone.aws, dlq_url, json.dumps(failed_event(issue(description=text).to_detail())))
    send_dead_letter(backbone.aws, dlq_url, "this is not an event")
    send_dead_letter(backbone.aws, dlq_url, json.dumps(failed_event(issue(severity="SEVERE").to_detail())))
    agent = EventBridgeAgent("ops", topology=topology, aws=backbone.aws, guards=False, any_agent=True, sleep=lambda seconds: None)
    [queue] = resolve_queues(topology, backbone.aws, "eventbridge-dlq", False)
    report = redrive(agent, queue, wait_seconds=0, via_bus=True)
    assert len(report.redriven) == 1
    reasons = sorted(reason for _, reason in report.failed)
    assert reasons[0].startswith("invalid Issue Detection Event: detail.severity")
    assert reasons[1] == "malformed, skipped: the body is not valid JSON: Expecting value: line 1 column 1 (char 0)"
    assert reasons[2:] == ["republish failed: InternalFailure: injected InternalFailure"] * 2
    assert [e["detail"]["description"] for e in backbone.received()] == ["lucky"]
    assert len(peek(backbone.aws, queue, wait_seconds=0)) == 4  # every failure is back, visible at once


def body(**fields: Any) -> str:
    return json.dumps({**failed_event({"severity": "LOW"}), **fields})


MALFORMED = [
    # (id, message body, why it is malformed)
    ("not-json", "this is not an event", "the body is not valid JSON: Expecting value: line 1 column 1 (char 0)"),
    ("deep", body()[:-1] + ', "x": ' + "[" * 10_000 + "]" * 10_000 + "}", "the body: line 1, column "),
    ("lone-surrogate", body(detail={"a": "\ud800"}), "lone UTF-16 surrogate (\\ud800)"),
    ("nan", body()[:-1] + ', "x": NaN}', "NaN is not JSON: numbers must be finite"),
    ("an-array", "[1, 2]", "the body is JSON but not an event"),
    ("source-number", body(source=123), "the body: source must be a non-empty string, not a number (123)"),
    ("detail-text", body(detail="text"), 'the body: detail must be a JSON object, not a string ("text")'),
    ("resources-string", body(resources="arn:x"), 'the body: resources must be a list of strings, not a string ("arn:x")'),
    ("no-detail", json.dumps({key: value for key, value in failed_event({}).items() if key != "detail"}), "the body: detail is missing"),
]


@pytest.mark.parametrize("text,reason", [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
def test_a_malformed_body_is_named_as_such_never_raised(text: str, reason: str) -> None:
    letter = DeadLetter("m-1", "handle", text, {}, 1)
    assert letter.event is None and reason in str(letter.malformed)
    assert letter.to_json()["malformed"] == letter.malformed and letter.to_json()["body"] == text


def test_a_good_body_is_its_event() -> None:
    letter = DeadLetter("m-1", "handle", body(), {}, 1)
    assert letter.malformed is None and letter.event == failed_event({"severity": "LOW"}) and letter.to_json()["body"] is None


def test_a_deeply_nested_message_is_skipped_and_the_others_redriven(topology: Topology, backbone: Backbone, dlq_url: str) -> None:
    send_dead_letter(backbone.aws, dlq_url, json.dumps(failed_event(issue(description="good").to_detail())))
    bad = send_dead_letter(backbone.aws, dlq_url, MALFORMED[1][1])
    agent = EventBridgeAgent("ops", topology=topology, aws=backbone.aws, guards=False, any_agent=True)
    [queue] = resolve_queues(topology, backbone.aws, "eventbridge-dlq", False)
    report = redrive(agent, queue, wait_seconds=0, via_bus=True)
    assert len(report.redriven) == 1 and [(letter.message_id, reason[:36]) for letter, reason in report.failed] == \
        [(bad, "malformed, skipped: the body: line 1")]
    assert [e["detail"]["description"] for e in backbone.received()] == ["good"]
    assert [letter.message_id for letter in peek(backbone.aws, queue, wait_seconds=0)] == [bad]


def _queue(aws: Aws, name: str) -> tuple[str, str]:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _bodies(aws: Aws, url: str) -> list[str]:
    return [m["Body"] for m in aws.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def test_redrive_delivers_to_the_failed_target_only_with_its_input(topology: Topology, backbone: Backbone, dlq_url: str) -> None:
    failed_url, failed_arn = _queue(backbone.aws, "failed-target")
    other_url, other_arn = _queue(backbone.aws, "other-target")
    rule = RULE_ARN.rsplit("/", 1)[-1]
    events = backbone.aws.client("events")
    events.put_rule(Name=rule, EventBusName=backbone.bus, EventPattern=json.dumps({"source": ["cabruca.agents.monitor"]}))
    events.put_targets(Rule=rule, EventBusName=backbone.bus, Targets=[
        {"Id": "failed", "Arn": failed_arn, "InputPath": "$.detail"}, {"Id": "other", "Arn": other_arn}])
    detail = issue(description="lost once").to_detail()
    attributes = {"RULE_ARN": RULE_ARN, "TARGET_ARN": failed_arn, "ERROR_CODE": "NO_PERMISSIONS", "ERROR_MESSAGE": "denied"}
    backbone.aws.client("sqs").send_message(QueueUrl=dlq_url, MessageBody=json.dumps(failed_event(detail)), MessageAttributes={
        name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()})
    agent = EventBridgeAgent("ops", topology=topology, aws=backbone.aws, guards=False, any_agent=True)
    [queue] = resolve_queues(topology, backbone.aws, "eventbridge-dlq", False)
    report = redrive(agent, queue, wait_seconds=0)
    assert [where for _, where in report.redriven] == [failed_arn] and report.failed == []
    assert [json.loads(body) for body in _bodies(backbone.aws, failed_url)] == [detail]  # the target's own InputPath
    assert _bodies(backbone.aws, other_url) == [] and backbone.received() == []  # nothing twice, nothing on the bus
    assert depth(backbone.aws, dlq_url) == 0


def test_a_letter_whose_target_is_gone_stays_and_says_to_use_the_bus(topology: Topology, backbone: Backbone, dlq_url: str) -> None:
    send_dead_letter(backbone.aws, dlq_url, json.dumps(failed_event(issue().to_detail())))  # its rule does not exist here
    agent = EventBridgeAgent("ops", topology=topology, aws=backbone.aws, guards=False, any_agent=True)
    [queue] = resolve_queues(topology, backbone.aws, "eventbridge-dlq", False)
    report = redrive(agent, queue, wait_seconds=0)
    [(_, reason)] = report.failed
    assert "no longer exists" in reason and "--via-bus" in reason
    assert depth(backbone.aws, dlq_url) == 1
