"""What a consumer makes of a body: the EventBridge event, SNS's envelope around it, a detail alone, a transformed body."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cabructl.agents import CodeChangeEvent, MemoryStore, RawMessage
from cabructl.agents.envelopes import DETAIL, EVENT, RAW, UndecodableMessage, decode, queue_shapes
from cabructl.topology import Topology, load_topology

from agent_queues import QUEUE, consumer_queues, envelope
from agent_samples import change

DETAIL_TARGET = "      - id: cicd-queue\n        queue: cicd-changes\n"
RAW_TARGET = "      - id: failed-tests-queue\n        queue: test-investigation\n"
TRANSFORMER = ("        input_transformer:\n          paths: {run: $.detail.testRunId}\n"
               "          template: '{\"run\": <run>, \"note\": \"investigate\"}'\n")


@pytest.fixture
def shaped(topology_copy: Path) -> Topology:
    """The topology with cicd-changes fed ``input_path: $.detail`` and test-investigation a transformed body."""
    text = topology_copy.read_text(encoding="utf-8")
    assert DETAIL_TARGET in text and RAW_TARGET in text
    text = text.replace(DETAIL_TARGET, DETAIL_TARGET + "        input_path: $.detail\n")
    text = text.replace(RAW_TARGET, RAW_TARGET + TRANSFORMER)
    topology_copy.write_text(text, encoding="utf-8")
    return load_topology(str(topology_copy))


def test_the_topology_says_which_shape_each_queue_receives(topology: Topology, shaped: Topology) -> None:
    assert [(s.form, s.schema) for s in queue_shapes(topology, QUEUE)] == [(EVENT, None)]
    assert [(s.form, s.schema) for s in queue_shapes(shaped, QUEUE)] == [(DETAIL, "CodeChangeEvent")]
    assert [s.form for s in queue_shapes(shaped, "test-investigation")] == [RAW]


def test_an_sns_envelope_is_unwrapped_to_the_event_inside() -> None:
    body = envelope(change(), event_id="e-1")
    notification = json.dumps({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:sa-east-1:1:t",
                               "Message": body, "Timestamp": "2026-12-01T12:00:00Z"})
    decoded = decode(notification, [])
    assert (decoded.form, decoded.event_id, decoded.detail_type) == (EVENT, "e-1", "Code Change Event")


def test_a_body_that_is_no_event_and_no_declared_shape_is_undecodable() -> None:
    with pytest.raises(UndecodableMessage, match="not JSON"):
        decode("hello", [])
    with pytest.raises(UndecodableMessage, match="no source, detail-type and detail"):
        decode('{"hello": 1}', [])


def test_a_detail_delivered_by_input_path_is_validated_and_typed(shaped: Topology) -> None:
    event = change(status="MERGED")
    with consumer_queues(shaped) as queues:
        queues.send(json.dumps(event.to_detail()), json.dumps({**event.to_detail(), "status": "SHIPPED"}))
        received = list(queues.agent().consume(QUEUE, with_context=True, wait_seconds=1, idle_exit=1, store=MemoryStore()))
        [dead] = queues.messages(queues.dlq_url)
    [(typed, context)] = received
    assert isinstance(typed, CodeChangeEvent) and typed.changeId == event.changeId
    assert context.detail_type == "Code Change Event" and context.form == DETAIL
    assert context.event_id.startswith("sha256:")  # no envelope, so no EventBridge id: a digest of the body
    assert json.loads(dead["Body"])["status"] == "SHIPPED"


def test_a_transformed_body_reaches_the_handler_unvalidated_as_a_raw_message(shaped: Topology) -> None:
    with consumer_queues(shaped) as queues:
        url = queues.aws.client("sqs").create_queue(QueueName=shaped.queues["test-investigation"].name)["QueueUrl"]
        queues.send('{"run": "r-1", "note": "investigate"}', url=url)
        [message] = list(queues.agent().consume(url, wait_seconds=1, idle_exit=1, store=MemoryStore()))
        assert queues.waiting(url) == 0
    assert isinstance(message, RawMessage)
    assert message.data == {"run": "r-1", "note": "investigate"} and message.rules == ("failed-tests",)
