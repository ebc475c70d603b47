"""Several PutEvents calls in flight: faster, and still one result per event, in order, none lost or doubled.

A hook holds every PutEvents call for a moment and records how many are inside
AWS at once; that number is what ``max_in_flight`` promises to bound.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections import Counter
from typing import Any, Callable

import pytest

from cabructl.agents import EventBridgeAgent, Status

from agent_backbone import Backbone
from agent_faults import PUT_EVENTS, RejectEntries
from agent_samples import issue


class Overlap:
    """Holds each PutEvents call ``seconds`` and records the most calls outstanding at once."""

    def __init__(self, backbone: Backbone, seconds: float = 0.03) -> None:
        self.seconds = seconds
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()
        backbone.aws.add_hook(f"before-call.{PUT_EVENTS}", self._enter)
        backbone.aws.add_hook(f"after-call.{PUT_EVENTS}", self._leave)

    def _enter(self, **_: Any) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.seconds)

    def _leave(self, **_: Any) -> None:
        with self._lock:
            self.now -= 1


def descriptions(count: int) -> list[str]:
    return [f"event {n}" for n in range(count)]


def test_calls_overlap_up_to_max_in_flight_and_results_keep_the_callers_order(
        make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    overlap = Overlap(backbone)
    agent = make_agent(max_in_flight=4)
    events = [issue(description=text) for text in descriptions(120)]
    result = agent.publish_many(events)
    assert 1 < overlap.most <= 4
    assert result.published == 120 and len(set(result.event_ids)) == 120
    sent = {event["id"]: event["detail"]["description"] for event in backbone.received()}
    assert [sent[r.event_id] for r in result] == descriptions(120)  # result n is event n
    assert agent.metrics.put_events_calls == 12 and agent.metrics.published == 120


def test_max_in_flight_one_sends_one_call_at_a_time(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    overlap = Overlap(backbone, seconds=0.01)
    agent = make_agent(max_in_flight=1)
    assert agent.publish_many([issue() for _ in range(40)]).published == 40
    assert overlap.most == 1


def test_a_batch_never_has_more_calls_outstanding_than_allowed(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    Overlap(backbone, seconds=0.02)
    agent = make_agent(max_in_flight=3)
    seen = []
    with agent.batch() as batch:
        for _ in range(75):
            batch.add(issue())
            seen.append(batch.in_flight)
    assert max(seen) == 3 and batch.in_flight == 0 and batch.pending == 0
    assert batch.result.published == 75


def test_only_failed_entries_are_retried_when_calls_overlap(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    """Every 'flaky' entry fails once; it is sent again alone and lands once, the others once too."""
    failed_once: set[str] = set()
    lock = threading.Lock()

    def reject(_call: int, detail: str) -> bool:
        with lock:
            if '"flaky' in detail and detail not in failed_once:
                failed_once.add(detail)
                return True
            return False

    RejectEntries(backbone.aws, reject)
    agent = make_agent(max_in_flight=4)
    texts = [f"flaky {n}" if n % 3 == 0 else f"fine {n}" for n in range(60)]
    result = agent.publish_many([issue(description=text) for text in texts])
    assert result.all_published
    assert [r.attempts for r in result] == [2 if text.startswith("flaky") else 1 for text in texts]
    landed = Counter(event["detail"]["description"] for event in backbone.received())
    assert landed == Counter(texts)
    assert agent.metrics.retried == 20


def test_threads_sharing_one_agent_keep_exact_counts(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent(max_in_flight=4)
    results: list[int] = []

    def publish() -> None:
        results.append(agent.publish_many([issue() for _ in range(25)]).published)

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [25] * 4
    metrics = agent.metrics
    assert (metrics.published, metrics.put_events_calls) == (100, 12)
    assert len(backbone.received()) == 100


def test_max_in_flight_must_be_at_least_one(make_agent: Callable[..., EventBridgeAgent]) -> None:
    with pytest.raises(ValueError, match="max_in_flight"):
        make_agent(max_in_flight=0)


def test_refused_events_still_get_their_result_in_place(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone,
                                                        topology: Any) -> None:
    """Drops under the hourly budget sit between published results, each where its event was."""
    limited = copy.copy(topology)
    limited.agents = {**topology.agents, "monitor": dataclasses.replace(topology.agents["monitor"], per_hour=15, on_limit="drop")}
    agent = EventBridgeAgent("monitor-001", topology=limited, aws=backbone.aws, max_in_flight=4, sleep=lambda s: None)
    result = agent.publish_many([issue() for _ in range(30)])
    assert [r.status for r in result] == [Status.PUBLISHED] * 15 + [Status.DROPPED] * 15
    assert (agent.metrics.published, agent.metrics.dropped) == (15, 15)
