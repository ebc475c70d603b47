"""Consuming a queue: typed and validated events, dead-lettering what no retry can fix, redelivery, duplicates, calls."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from cabructl.agents import CodeChangeEvent, EventContext, MemoryStore
from cabructl.agents.entries import with_envelope
from cabructl.constants import CONSUMER_AGENT_ATTRIBUTE, CONSUMER_QUEUE_ATTRIBUTE, CONSUMER_REASON_ATTRIBUTE
from cabructl.topology import Topology

from agent_backbone import catch_all
from agent_queues import QUEUE, Queues, consumer_queues, envelope, idempotency_table
from agent_samples import change

FAST = {"wait_seconds": 1, "idle_exit": 1}


@pytest.fixture
def queues(topology: Topology) -> Iterator[Queues]:
    with consumer_queues(topology) as made:
        assert topology.idempotency is not None
        idempotency_table(made.aws, topology.idempotency.name)  # the topology declares one: the default store
        yield made


def attribute(message: dict[str, Any], name: str) -> str:
    return message["MessageAttributes"][name]["StringValue"]


def test_consume_yields_typed_events_and_deletes_each_once_the_body_returned(queues: Queues) -> None:
    sent = [change(status="MERGED") for _ in range(3)]
    queues.send(*(envelope(event) for event in sent))
    seen = []
    for event in queues.agent().consume(QUEUE, **FAST):
        if not seen:
            assert queues.waiting() == 3  # nothing is deleted before its body has run
        seen.append(event)
    assert all(isinstance(event, CodeChangeEvent) for event in seen)
    assert sorted(event.changeId for event in seen) == sorted(event.changeId for event in sent)
    assert queues.waiting() == 0


def test_an_invalid_event_goes_to_the_dead_letter_queue_at_once_with_the_reason(queues: Queues) -> None:
    bad = {**change().to_detail(), "status": "SHIPPED"}
    queues.send(envelope(bad, event_id="bad-1"), "not json at all")
    agent = queues.agent()
    handled: list[Any] = []
    stats = agent.run(QUEUE, workers=2, handler=lambda event, context: handled.append(event), install_signals=False, **FAST)
    dead = queues.messages(queues.dlq_url)
    assert handled == [] and queues.waiting() == 0
    assert (stats.dead_lettered, stats.failed, stats.handled) == (2, 0, 0)
    reasons = sorted(attribute(message, CONSUMER_REASON_ATTRIBUTE) for message in dead)
    assert "detail.status: 'SHIPPED' is not one of" in reasons[0] and reasons[1] == "the body is not JSON"
    assert all(attribute(message, CONSUMER_QUEUE_ATTRIBUTE).endswith(":cabruca-segmentation-prod-cicd-changes") for message in dead)
    assert {attribute(message, CONSUMER_AGENT_ATTRIBUTE) for message in dead} == {"developer-001"}


def test_a_failing_handler_leaves_the_message_until_sqs_moves_it_to_the_dlq(topology: Topology) -> None:
    with consumer_queues(topology, max_receives=2) as queues:
        queues.send(envelope(change(), event_id="flaky"))
        calls: list[int] = []

        def handler(event: CodeChangeEvent, context: EventContext) -> None:
            calls.append(context.receive_count)
            raise RuntimeError("deploy failed")

        stats = queues.agent().run(QUEUE, workers=1, handler=handler, failure_visibility=0, store=MemoryStore(),
                                   install_signals=False, wait_seconds=1, idle_exit=3)
        [dead] = queues.messages(queues.dlq_url)
    assert calls == [1, 2] and stats.failed == 2 and stats.handled == 0
    assert json.loads(dead["Body"])["id"] == "flaky"  # SQS's own redrive, after max_receives


def test_the_same_event_id_twice_is_handled_once_and_both_copies_deleted(queues: Queues) -> None:
    body = envelope(change(), event_id="twice")
    queues.send(body, body)
    handled: list[str] = []
    stats = queues.agent().run(QUEUE, workers=2, handler=lambda event, context: handled.append(context.event_id),
                               install_signals=False, **FAST)
    assert handled == ["twice"] and (stats.handled, stats.duplicates) == (1, 1)
    assert queues.waiting() == 0


def test_a_hundred_messages_cost_at_most_a_quarter_sqs_call_each(queues: Queues) -> None:
    queues.send(*(envelope(change()) for _ in range(100)))
    stats = queues.agent().run(QUEUE, workers=4, handler=lambda event, context: None, max_messages=100, wait_seconds=1,
                               store=MemoryStore(), install_signals=False)
    assert stats.handled == 100 and queues.waiting() == 0
    assert stats.sqs_calls / 100 <= 0.25, stats
    assert stats.delete_calls <= 12


def test_a_reply_carries_the_correlation_id_and_names_its_cause(queues: Queues) -> None:
    bus = queues.topology.bus.name
    queues.aws.client("events").create_event_bus(Name=bus)
    catch_all_url = catch_all(queues.aws, bus)
    original = with_envelope(change(status="MERGED").to_detail())
    queues.send(envelope(original, event_id="cause-1"))
    agent = queues.agent()

    @agent.on(CodeChangeEvent)
    def deploy(event: CodeChangeEvent, context: EventContext) -> None:
        agent.reply(to=event, event=change(status="DEPLOYED"))

    stats = agent.run(QUEUE, workers=1, install_signals=False, **FAST)
    [reply] = [json.loads(message["Body"]) for message in queues.messages(catch_all_url)]
    assert stats.handled == 1
    assert reply["detail"]["status"] == "DEPLOYED"
    assert reply["detail"]["causationId"] == "cause-1"
    assert reply["detail"]["correlationId"] == original["correlationId"]


def test_an_event_without_a_handler_fails_and_stays(queues: Queues) -> None:
    queues.send(envelope(change()))
    agent = queues.agent()
    stats = agent.run(QUEUE, workers=1, install_signals=False, max_messages=1, wait_seconds=1)
    assert (stats.failed, stats.handled) == (1, 0) and queues.waiting() == 1
