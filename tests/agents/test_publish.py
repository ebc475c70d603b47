"""Publishing against moto: batching, retries of failed entries only, results for every event.

"Delivered" is checked where it matters: a queue subscribed to everything on the
bus must hold each event exactly once — none lost, none duplicated by retries.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Callable

import pytest

from cabructl.agents import EventBridgeAgent, EventTooLargeError, EventValidationError, Severity, Status

from agent_backbone import Backbone
from agent_faults import RejectEntries, Throttle
from agent_samples import change, feature, issue, run_results


def correlation_ids(events: list[dict[str, Any]]) -> Counter[str]:
    return Counter(event["detail"]["correlationId"] for event in events)


def test_a_seed_style_publish_reaches_the_bus_with_the_topologys_source_and_type(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent("monitor-001")
    result = agent.publish_issue_detection(issue(Severity.HIGH))
    assert result["success"] is True and result["eventId"] == result.event_id
    [event] = backbone.received()
    assert (event["source"], event["detail-type"]) == ("cabruca.agents.monitor", "Issue Detection Event")
    assert event["detail"]["correlationId"] == result.correlation_id
    assert event["id"] == result.event_id


def test_each_kind_goes_out_under_its_own_source(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    """An operator's client (any_agent) publishes for every agent, each event as the agent that declares it."""
    agent = make_agent(any_agent=True)
    agent.publish_feature_request(feature())
    agent.publish_code_change(change())
    agent.publish_test_results(run_results())
    sources = sorted((event["source"], event["detail-type"]) for event in backbone.received())
    assert sources == [("cabruca.agents.developer", "Code Change Event"), ("cabruca.agents.product", "Feature Request Event"),
                       ("cabruca.agents.tester", "Test Results Event")]


def test_publish_many_sends_ten_entries_per_call(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent()
    result = agent.publish_many([issue() for _ in range(25)])
    assert result.published == 25 and len(set(result.event_ids)) == 25
    assert backbone.aws.calls.counts[("events", "PutEvents")] == 3
    assert agent.metrics.put_events_calls == 3
    assert sorted(correlation_ids(backbone.received()).values()) == [1] * 25


def test_publish_many_splits_at_256_kb(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent()
    big = [issue(description="x" * 100_000) for _ in range(5)]
    assert agent.publish_many(big).published == 5
    assert agent.metrics.put_events_calls == 3  # two per call: a third would pass 256 KB
    assert len(backbone.received()) == 5


def test_an_event_over_256_kb_is_refused_before_sending(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent()
    with pytest.raises(EventTooLargeError, match="PutEvents takes at most 262,144"):
        agent.publish(issue(description="x" * 262_144))
    assert backbone.aws.calls.counts[("events", "PutEvents")] == 0


def test_one_invalid_event_stops_publish_many_before_anything_is_sent(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent()
    events = [issue() for _ in range(12)] + [issue(severity="SEVERE")]
    with pytest.raises(EventValidationError, match="detail.severity: 'SEVERE' is not one of"):
        agent.publish_many(events)
    assert agent.metrics.put_events_calls == 0 and backbone.received() == []


def test_partial_failures_retry_only_the_failed_entries(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    faults = RejectEntries(backbone.aws, lambda call, detail: call <= 2 and json.loads(detail)["description"].endswith(("0", "5")))
    agent = make_agent()
    events = [issue(description=f"event {n}") for n in range(30)]
    result = agent.publish_many(events)
    assert result.published == 30 and faults.rejected > 0
    assert sorted(correlation_ids(backbone.received()).values()) == [1] * 30  # none lost, none twice
    assert agent.metrics.retried == faults.rejected
    assert sum(r.attempts - 1 for r in result) == faults.rejected


def test_throttled_calls_are_retried_and_nothing_is_duplicated(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    Throttle(backbone.aws, times=2)
    waits: list[float] = []
    agent = make_agent(sleep=waits.append)
    result = agent.publish_many([issue() for _ in range(10)])
    assert result.published == 10 and len(waits) == 2
    assert agent.metrics.put_events_calls == 3
    assert sorted(correlation_ids(backbone.received()).values()) == [1] * 10


def test_entries_that_keep_failing_are_reported_with_their_error(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    RejectEntries(backbone.aws, lambda call, detail: "doomed" in detail, code="InternalFailure")
    agent = make_agent()
    events = [issue(description="doomed"), issue(description="fine"), issue(description="doomed too")]
    result = agent.publish_many(events)
    assert [r.status for r in result] == [Status.FAILED, Status.PUBLISHED, Status.FAILED]
    assert result[0].error == "InternalFailure: injected InternalFailure" and result[0].attempts == agent.retry.max_attempts
    assert result[0]["success"] is False
    assert [e["detail"]["description"] for e in backbone.received()] == ["fine"]
    assert (agent.metrics.published, agent.metrics.failed) == (1, 2)


def test_a_missing_bus_fails_every_event_visibly(make_agent: Callable[..., EventBridgeAgent]) -> None:
    agent = make_agent(event_bus_name="no-such-bus")
    result = agent.publish(issue())
    assert result.status is Status.FAILED and result.error_code == "ResourceNotFoundException"
    assert agent.metrics.failed == 1


def test_the_batch_context_sends_full_calls_as_it_goes_and_the_rest_on_exit(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent(max_in_flight=1)  # one call at a time: each full call is answered before the next event
    with agent.batch(correlation_id="run-42") as batch:
        for _ in range(23):
            batch.add(issue())
        assert agent.metrics.put_events_calls == 2 and batch.pending == 3
    assert batch.result.published == 23 and agent.metrics.put_events_calls == 3
    assert correlation_ids(backbone.received()) == {"run-42": 23}


def test_the_batch_context_still_sends_what_it_accepted_when_the_block_fails(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent()
    with pytest.raises(RuntimeError):
        with agent.batch() as batch:
            batch.add(issue())
            raise RuntimeError("agent crashed")
    assert batch.result.published == 1 and len(backbone.received()) == 1


def test_publish_methods_check_the_event_type(make_agent: Callable[..., EventBridgeAgent]) -> None:
    with pytest.raises(TypeError, match="expected a IssueDetectionEvent, got FeatureRequestEvent"):
        make_agent().publish_issue_detection(feature())  # type: ignore[arg-type]
