"""sqs.queue: attributes in seconds, SSE, redrive, the derived delivery policy, tags, data held."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.resources import sqs_queue
from cabructl.resources.base import Context, Resource
from cabructl.topology import Topology

KINDS = [sqs_queue.HANDLER]
CONTEXT = Context(account_id="123456789012", region="sa-east-1")


def statement_sources(policy: dict[str, Any]) -> list[str]:
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": ["events.amazonaws.com"]} and statement["Action"] == ["sqs:SendMessage"]
    return statement["Condition"]["ArnEquals"]["aws:SourceArn"]


def test_delivery_policy_names_the_rules_that_target_or_dead_letter_to_the_queue(topology: Topology) -> None:
    desired = {r.address: r for r in sqs_queue.HANDLER.desired(topology, CONTEXT)}
    rule = "arn:aws:events:sa-east-1:123456789012:rule/cabruca-agents-bus/cabruca-segmentation-prod-"
    assert statement_sources(desired["sqs.queue.cicd-changes"].attributes["policy"]) == [rule + "code-change-routing"]
    dlq_senders = statement_sources(desired["sqs.queue.eventbridge-dlq"].attributes["policy"])
    assert dlq_senders == sorted(rule + name for name in ("code-change-routing", "failed-tests", "feature-request-routing",
                                                          "issue-detection-routing", "test-results-routing"))
    assert statement_sources(desired["sqs.queue.critical-events-dlq"].attributes["policy"]) == [rule + "critical-issues"]


# (id, SQS attribute map as AWS returns it, canonical expectations)
LIVE_CASES = [
    ("defaults-filled", {}, {"retention": 345600, "visibility_timeout": 30, "receive_wait": 0, "delay": 0, "encryption": "none", "fifo": False}),
    ("sqs-managed-sse", {"SqsManagedSseEnabled": "true"}, {"encryption": "sqs", "kms_key": None}),
    ("kms", {"KmsMasterKeyId": "alias/x", "SqsManagedSseEnabled": "false"}, {"encryption": "kms", "kms_key": "alias/x"}),
    ("redrive-count-as-string", {"RedrivePolicy": json.dumps({"deadLetterTargetArn": "arn:q", "maxReceiveCount": "5"})},
     {"redrive": {"dead_letter_arn": "arn:q", "max_receives": 5}}),
    ("policy-one-element-lists", {"Policy": json.dumps({"Statement": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:q"}})},
     {"policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["arn:q"]}]}}),
]


@pytest.mark.parametrize("attributes,expected", [c[1:] for c in LIVE_CASES], ids=[c[0] for c in LIVE_CASES])
def test_live_attributes_are_canonical(attributes: dict[str, str], expected: dict[str, Any]) -> None:
    canonical = sqs_queue.live_attributes(attributes, {})
    assert {key: canonical[key] for key in expected} == expected


def test_an_attribute_change_updates_in_place_and_keeps_the_policy(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    queue = topology.queues["cicd-changes"]
    changed = replace(topology, queues={**topology.queues, "cicd-changes": replace(queue, visibility_timeout=45)})
    plan = Engine(changed, aws, kinds=KINDS).plan()
    assert [(c.address, c.action, c.changed_attributes) for c in plan.changes] == [("sqs.queue.cicd-changes", Action.UPDATE, ("visibility_timeout",))]
    aws.calls.reset()
    converge(changed, KINDS)  # the second plan being empty proves the policy survived the update
    assert aws.calls.write_calls() == ["sqs:SetQueueAttributes"]


def test_data_held_counts_every_message_a_delete_would_lose() -> None:
    live = sqs_queue.HANDLER
    resource = Resource("sqs.queue.x", "sqs.queue", "x", {}, identity={"messages": 1})
    assert live.data_held(resource) == "1 message"
    assert live.data_held(replace(resource, identity={"messages": 0})) is None
    assert sqs_queue._message_count({"ApproximateNumberOfMessages": "2", "ApproximateNumberOfMessagesNotVisible": "3",
                                     "ApproximateNumberOfMessagesDelayed": "1"}) == 6


def test_a_dead_letter_queue_allows_exactly_the_queues_that_redrive_to_it(topology: Topology) -> None:
    desired = {r.address: r for r in sqs_queue.HANDLER.desired(topology, CONTEXT)}
    queue = "cabruca-segmentation-prod-"
    assert desired["sqs.queue.eventbridge-dlq"].attributes["redrive_allow"] == {
        "permission": "byQueue", "sources": [queue + name for name in ("cicd-changes", "product-requests", "test-investigation")]}
    assert desired["sqs.queue.cicd-changes"].attributes["redrive_allow"] is None
    assert "sqs.queue.eventbridge-dlq" in desired["sqs.queue.cicd-changes"].depends_on  # the DLQ is written first


def test_the_redrive_allow_policy_is_written_read_back_and_cleared(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)  # the second plan being empty: the policy read back equals the derived one
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName="cabruca-segmentation-prod-eventbridge-dlq")["QueueUrl"]
    written = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["RedriveAllowPolicy"])
    assert written["redrivePermission"] == "byQueue"
    assert sorted(written["sourceQueueArns"]) == [f"arn:aws:sqs:sa-east-1:123456789012:cabruca-segmentation-prod-{name}"
                                                  for name in ("cicd-changes", "product-requests", "test-investigation")]

    unredriven = replace(topology, queues={logical: replace(queue, redrive_dead_letter=None) for logical, queue in topology.queues.items()})
    plan = Engine(unredriven, aws, kinds=KINDS).plan()
    assert ("sqs.queue.eventbridge-dlq", ("redrive_allow",)) in [(c.address, c.changed_attributes) for c in plan.changes]
    converge(unredriven, KINDS)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert sqs_queue.normalize_redrive_allow(attributes.get("RedriveAllowPolicy")) is None


OWN = "arn:aws:sqs:sa-east-1:123456789012:dlq"


@pytest.mark.parametrize("raw,expected", [
    (None, None), ('{"redrivePermission":"allowAll"}', None), ('{"redrivePermission":"denyAll"}', {"permission": "denyAll"}),
    ('{"sourceQueueArns":["arn:aws:sqs:sa-east-1:123456789012:b","arn:aws:sqs:sa-east-1:123456789012:a"],"redrivePermission":"byQueue"}',
     {"permission": "byQueue", "sources": ["a", "b"]}),
    ('{"sourceQueueArns":["arn:aws:sqs:us-east-1:123456789012:a"],"redrivePermission":"byQueue"}',
     {"permission": "byQueue", "sources": ["arn:aws:sqs:us-east-1:123456789012:a"]}),  # another region's: kept whole
])
def test_a_live_redrive_allow_policy_is_canonical(raw: str | None, expected: Any) -> None:
    assert sqs_queue.normalize_redrive_allow(raw, OWN) == expected


def test_the_dead_letter_queue_does_not_depend_on_the_queues_that_redrive_to_it(topology: Topology) -> None:
    """Its sources are names, not ARNs: the graph (which reads ARNs as dependencies) deletes the sources first."""
    from cabructl.engine.graph import live_dependencies

    desired = {r.address: r for r in sqs_queue.HANDLER.desired(topology, CONTEXT)}
    dependencies = live_dependencies(desired)
    assert "sqs.queue.cicd-changes" not in dependencies["sqs.queue.eventbridge-dlq"]
    assert "sqs.queue.eventbridge-dlq" in dependencies["sqs.queue.cicd-changes"]
