"""``agent.run``: the heartbeat on slow handlers, FIFO groups in order, and stopping without half-acknowledging."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from typing import Iterator

import pytest

from cabructl.agents import CodeChangeEvent, EventContext, MemoryStore
from cabructl.agents.idempotency import ACQUIRED, claim_key
from cabructl.topology import Topology

from agent_queues import QUEUE, Queues, consumer_queues, envelope
from agent_samples import change


@pytest.fixture
def queues(topology: Topology) -> Iterator[Queues]:
    with consumer_queues(topology, visibility=2) as made:
        yield made


def visible(queues: Queues, url: str | None = None) -> int:
    attributes = queues.aws.client("sqs").get_queue_attributes(QueueUrl=url or queues.url,
                                                               AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_a_handler_slower_than_the_visibility_timeout_keeps_its_message(queues: Queues) -> None:
    queues.send(envelope(change()))
    stats = queues.agent().run(QUEUE, workers=2, handler=lambda event, context: time.sleep(3.5), store=MemoryStore(),
                               install_signals=False, wait_seconds=1, idle_exit=1)
    assert (stats.received, stats.handled) == (1, 1)  # never delivered again while it ran
    assert stats.change_visibility_calls >= 2
    assert queues.waiting() == 0


def test_the_heartbeat_stops_when_the_handler_ends_so_a_failure_comes_back(queues: Queues) -> None:
    queues.send(envelope(change()))
    attempts: list[int] = []

    def handler(event: CodeChangeEvent, context: EventContext) -> None:
        attempts.append(context.receive_count)
        if len(attempts) == 1:
            time.sleep(2.5)
            raise RuntimeError("slow and failed")

    stats = queues.agent().run(QUEUE, workers=1, handler=handler, store=MemoryStore(), install_signals=False,
                               wait_seconds=1, idle_exit=4)
    assert attempts == [1, 2] and (stats.failed, stats.handled) == (1, 1)


def test_a_receive_whose_reply_came_late_is_extended_before_the_visibility_sqs_started_runs_out(queues: Queues) -> None:
    # SQS starts a message's visibility when it hands it out, not when the reply arrives: here the
    # reply takes 1.2 s of the 2 s, so a heartbeat timed from the reply would extend it too late.
    def slow_reply(parsed: dict, **_: object) -> None:
        if parsed.get("Messages"):
            time.sleep(1.2)

    queues.aws.client("sqs").meta.events.register("after-call.sqs.ReceiveMessage", slow_reply)
    queues.send(envelope(change()))
    stats = queues.agent().run(QUEUE, workers=1, handler=lambda event, context: time.sleep(2.5), store=MemoryStore(),
                               install_signals=False, wait_seconds=1, idle_exit=1)
    assert (stats.received, stats.handled) == (1, 1)  # never handed out again while it ran
    assert queues.waiting() == 0


def test_a_copy_of_an_event_whose_handler_here_outlives_its_claim_does_not_run_it_twice(topology: Topology) -> None:
    # EventBridge delivered the event twice (two SQS messages, one event id); the first copy's handler
    # runs past in_progress_expiry, so the store would let the second claim it: this process knows better.
    quick = dataclasses.replace(topology, idempotency=dataclasses.replace(topology.idempotency, in_progress_expiry=1))
    with consumer_queues(quick, visibility=2) as queues:
        queues.send(*[envelope(change(), event_id="twice")] * 2)
        runs: list[float] = []

        def handler(event: CodeChangeEvent, context: EventContext) -> None:
            runs.append(time.monotonic())
            time.sleep(2.5)

        stats = queues.agent().run(QUEUE, workers=2, handler=handler, store=MemoryStore(), install_signals=False,
                                   wait_seconds=1, idle_exit=4)
        assert len(runs) == 1 and (stats.handled, stats.duplicates) == (1, 1)
        assert queues.waiting() == 0


def test_an_event_a_crashed_consumer_still_claims_waits_for_the_claim_instead_of_reaching_the_dlq(
        topology: Topology) -> None:
    # The queue hands the message out every second, its claim lasts 3 s and the queue dead-letters
    # at the 3rd receive: coming back at each visibility timeout, it would be dead-lettered unhandled.
    quick = dataclasses.replace(topology, idempotency=dataclasses.replace(topology.idempotency, in_progress_expiry=3))
    with consumer_queues(quick, visibility=1, max_receives=3) as queues:
        store = MemoryStore()
        assert store.claim(claim_key(QUEUE, "crashed"), 3) == ACQUIRED  # the consumer that crashed
        queues.send(envelope(change(), event_id="crashed"))
        handled: list[int] = []
        stats = queues.agent().run(QUEUE, workers=1, handler=lambda event, context: handled.append(context.receive_count),
                                   store=store, install_signals=False, wait_seconds=1, idle_exit=6)
        assert handled == [2] and (stats.busy, stats.handled) == (1, 1)
        assert queues.messages(queues.dlq_url) == []


def test_fifo_groups_are_handled_in_order_one_at_a_time_and_in_parallel_with_each_other(queues: Queues) -> None:
    sqs = queues.aws.client("sqs")
    url = sqs.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "30"})["QueueUrl"]
    for n in range(5):
        for group in ("a", "b"):
            queues.send(envelope(change(), event_id=f"{group}{n}"), url=url, group=group)
    lock, running, order, overlap = threading.Lock(), {"a": 0, "b": 0}, {"a": [], "b": []}, []

    def handler(event: CodeChangeEvent, context: EventContext) -> None:
        group = str(context.group)
        with lock:
            running[group] += 1
            assert running[group] == 1, "two events of one group at once"
            overlap.append(sum(running.values()))
        time.sleep(0.1)
        with lock:
            order[group].append(context.event_id)
            running[group] -= 1

    stats = queues.agent().run(url, workers=4, handler=handler, store=MemoryStore(), install_signals=False,
                               wait_seconds=1, idle_exit=1)
    assert stats.handled == 10
    assert order == {"a": [f"a{n}" for n in range(5)], "b": [f"b{n}" for n in range(5)]}
    assert max(overlap) == 2  # the two groups did run side by side


def test_stop_mid_batch_lets_the_running_handler_finish_and_releases_the_rest(queues: Queues) -> None:
    queues.send(*(envelope(change(), event_id=f"e{n}") for n in range(10)))
    agent = queues.agent()
    handled: list[str] = []

    def handler(event: CodeChangeEvent, context: EventContext) -> None:
        if len(handled) == 1:
            agent.stop()
        time.sleep(0.2)
        handled.append(context.event_id)

    stats = agent.run(QUEUE, workers=1, handler=handler, store=MemoryStore(), install_signals=False, wait_seconds=1)
    assert len(handled) == 2 and (stats.handled, stats.released) == (2, 8)
    assert visible(queues) == 8  # visible again at once, not after the timeout


def test_a_handler_still_running_at_the_deadline_is_not_acknowledged(queues: Queues) -> None:
    queues.send(envelope(change()))
    agent = queues.agent()
    started, finished = threading.Event(), threading.Event()

    def handler(event: CodeChangeEvent, context: EventContext) -> None:
        started.set()
        time.sleep(1.5)
        finished.set()

    threading.Thread(target=lambda: started.wait(5) and agent.stop()).start()
    stats = agent.run(QUEUE, workers=1, handler=handler, store=MemoryStore(), install_signals=False, wait_seconds=1,
                      shutdown_timeout=0.2)
    assert stats.handled == 0 and not finished.is_set()
    assert finished.wait(5)
    time.sleep(0.7)  # past the housekeeper's flush: a late success deletes nothing
    assert queues.waiting() == 1


def test_sigterm_stops_run_and_the_previous_handler_is_restored(queues: Queues) -> None:
    previous = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    started = time.monotonic()
    stats = queues.agent().run(QUEUE, workers=1, handler=lambda event, context: None, store=MemoryStore(), wait_seconds=1)
    timer.join()
    assert time.monotonic() - started < 5 and stats.received == 0
    assert signal.getsignal(signal.SIGTERM) is previous
