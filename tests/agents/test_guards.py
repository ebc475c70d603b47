"""Budget guards: the declared hourly volume (wait, raise, drop) and sampling of non-critical events."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Callable

import pytest

from cabructl.agents import EventBridgeAgent, RateLimitExceeded, Severity, Status, TestStatus
from cabructl.agents.guards import HourlyLimiter
from cabructl.errors import CabructlError
from cabructl.topology import Topology

from agent_backbone import Backbone
from agent_samples import issue, run_results


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def with_agent(topology: Topology, name: str, **changes: Any) -> Topology:
    changed = copy.copy(topology)
    changed.agents = {**topology.agents, name: dataclasses.replace(topology.agents[name], **changes)}
    return changed


@pytest.fixture
def monitor_agent(topology: Topology, backbone: Backbone) -> Callable[..., tuple[EventBridgeAgent, FakeTime]]:
    def make(**changes: Any) -> tuple[EventBridgeAgent, FakeTime]:
        time = FakeTime()
        agent = EventBridgeAgent("monitor-001", topology=with_agent(topology, "monitor", **changes), aws=backbone.aws,
                                 clock=time.clock, sleep=time.sleep, seed=1)
        return agent, time

    return make


def test_the_limiter_admits_per_hour_in_any_rolling_hour() -> None:
    time = FakeTime()
    limiter = HourlyLimiter(3, time.clock)
    assert [limiter.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.try_acquire()
    assert wait == pytest.approx(3601.0)  # the first second's bucket expires when all of it is an hour old
    time.now += wait - 0.5
    assert limiter.try_acquire() > 0
    time.now += 0.5
    assert limiter.try_acquire() == 0.0


def test_the_limiter_keeps_one_bucket_per_second_whatever_the_volume() -> None:
    time = FakeTime()
    limiter = HourlyLimiter(100_000, time.clock)
    for _ in range(50_000):
        limiter.try_acquire()
    assert len(limiter._buckets) == 1


def test_a_zero_volume_never_admits() -> None:
    assert HourlyLimiter(0, FakeTime().clock).try_acquire() == float("inf")


def test_on_limit_raise(monitor_agent: Callable[..., tuple[EventBridgeAgent, FakeTime]], backbone: Backbone) -> None:
    agent, _ = monitor_agent(per_hour=2, on_limit="raise")
    agent.publish(issue())
    agent.publish(issue())
    with pytest.raises(RateLimitExceeded, match='agent "monitor" reached its declared volume of 2 events per hour') as raised:
        agent.publish(issue())
    assert isinstance(raised.value, CabructlError)
    assert agent.metrics.rate_limited == 1 and agent.metrics.published == 2


def test_on_limit_raise_in_publish_many_reports_what_was_sent(monitor_agent: Callable[..., tuple[EventBridgeAgent, FakeTime]], backbone: Backbone) -> None:
    agent, _ = monitor_agent(per_hour=2, on_limit="raise")
    with pytest.raises(RateLimitExceeded) as raised:
        agent.publish_many([issue() for _ in range(5)])
    assert raised.value.result is not None and raised.value.result.published == 2
    assert len(backbone.received()) == 2


def test_on_limit_wait(monitor_agent: Callable[..., tuple[EventBridgeAgent, FakeTime]], backbone: Backbone) -> None:
    agent, time = monitor_agent(per_hour=2, on_limit="wait")
    result = agent.publish_many([issue() for _ in range(3)])
    assert result.published == 3
    assert time.slept == [pytest.approx(3601.0)]
    assert agent.metrics.rate_limited == 1


def test_on_limit_drop_counts_what_it_drops(monitor_agent: Callable[..., tuple[EventBridgeAgent, FakeTime]], backbone: Backbone) -> None:
    agent, _ = monitor_agent(per_hour=2, on_limit="drop")
    result = agent.publish_many([issue() for _ in range(5)])
    assert [r.status for r in result] == [Status.PUBLISHED] * 2 + [Status.DROPPED] * 3
    assert (agent.metrics.dropped, agent.metrics.rate_limited, agent.metrics.published) == (3, 3, 2)
    assert len(backbone.received()) == 2


def test_guards_off_ignores_the_budget(topology: Topology, backbone: Backbone) -> None:
    agent = EventBridgeAgent("ops", topology=with_agent(topology, "monitor", per_hour=1), aws=backbone.aws, guards=False)
    assert agent.publish_many([issue() for _ in range(3)]).published == 3


def test_sampling_keeps_every_critical_event_and_a_share_of_the_rest(monitor_agent: Callable[..., tuple[EventBridgeAgent, FakeTime]], backbone: Backbone) -> None:
    agent, _ = monitor_agent(sampling=0.25)
    events = [issue(Severity.LOW) for _ in range(40)] + [issue(Severity.CRITICAL) for _ in range(5)]
    result = agent.publish_many(events)
    assert all(r.success for r in result[40:])
    sampled_out = result.count(Status.SAMPLED_OUT)
    assert 20 <= sampled_out <= 38
    assert agent.metrics.sampled_out == sampled_out and agent.metrics.published == 45 - sampled_out
    assert len(backbone.received()) == 45 - sampled_out


def test_sampling_is_reproducible_with_a_seed(topology: Topology, backbone: Backbone) -> None:
    def statuses(seed: int) -> list[Status]:
        changed = with_agent(topology, "tester", sampling=0.5)
        agent = EventBridgeAgent("tester-001", topology=changed, aws=backbone.aws, seed=seed)
        return [agent.publish(run_results(TestStatus.PASSED)).status for _ in range(12)]

    assert statuses(3) == statuses(3)
    assert Status.SAMPLED_OUT in statuses(3)
    assert statuses(3) != statuses(4)
