"""The SDK's own metrics: EMF lines CloudWatch Logs can extract, PutMetricData calls CloudWatch accepts.

The EMF checks follow the CloudWatch embedded metric format specification: a root
``_aws`` object with a millisecond ``Timestamp`` and ``CloudWatchMetrics`` directives,
each naming a namespace, dimension sets whose names are root string members, and
metrics whose names are root members holding a number or an array of at most 100.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any, Callable

import pytest

from cabructl.agents import EventBridgeAgent
from cabructl.agents.telemetry import (DEAD_LETTERED, DUPLICATE, HANDLED, EmfTelemetry, NullTelemetry, PutMetricDataTelemetry,
                                       make_telemetry, metric_batches)

from agent_backbone import Backbone
from agent_faults import RejectEntries
from agent_samples import issue

NAMESPACE = "Cabruca/prod/Agents"
ISSUE = "Issue Detection Event"


def assert_emf(document: dict[str, Any]) -> None:
    """Raise unless ``document`` is a valid embedded-metric-format document (the spec's MUSTs)."""
    metadata = document["_aws"]
    assert isinstance(metadata["Timestamp"], int) and metadata["Timestamp"] > 1_500_000_000_000  # ms, not s
    assert isinstance(metadata["CloudWatchMetrics"], list) and metadata["CloudWatchMetrics"]
    for directive in metadata["CloudWatchMetrics"]:
        assert set(directive) <= {"Namespace", "Dimensions", "Metrics"}
        assert isinstance(directive["Namespace"], str) and 1 <= len(directive["Namespace"]) <= 255
        for dimension_set in directive["Dimensions"]:
            assert 1 <= len(dimension_set) <= 30
            assert all(isinstance(document[name], str) and document[name] for name in dimension_set)
        assert 1 <= len(directive["Metrics"]) <= 100
        for definition in directive["Metrics"]:
            assert set(definition) <= {"Name", "Unit", "StorageResolution"}
            value = document[definition["Name"]]
            values = value if isinstance(value, list) else [value]
            assert 1 <= len(values) <= 100 and all(isinstance(v, (int, float)) for v in values)
    assert len(json.dumps(document)) < 256 * 1024


def emf_lines(output: io.StringIO) -> list[dict[str, Any]]:
    documents = [json.loads(line) for line in output.getvalue().splitlines()]
    for document in documents:
        assert_emf(document)
    return documents


def test_off_by_default_and_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CABRUCTL_AGENT_METRICS", raising=False)
    assert isinstance(make_telemetry(None, NAMESPACE, cloudwatch=lambda: None), NullTelemetry)
    monkeypatch.setenv("CABRUCTL_AGENT_METRICS", "emf")
    assert isinstance(make_telemetry(None, NAMESPACE, cloudwatch=lambda: None), EmfTelemetry)
    assert isinstance(make_telemetry("off", NAMESPACE, cloudwatch=lambda: None), NullTelemetry)  # the argument wins
    monkeypatch.setenv("CABRUCTL_AGENT_METRICS", "statsd")
    with pytest.raises(ValueError, match="CABRUCTL_AGENT_METRICS 'statsd' is not one of off, emf, put_metric_data"):
        make_telemetry(None, NAMESPACE, cloudwatch=lambda: None)


def test_publishing_writes_one_emf_line_per_agent_and_detail_type(make_agent: Callable[..., EventBridgeAgent]) -> None:
    output = io.StringIO()
    agent = make_agent("monitor-001", telemetry="emf", metrics_output=output)
    agent.publish_many([issue() for _ in range(12)])
    assert output.getvalue() == ""  # aggregated until the flush
    agent.telemetry.flush()
    [line] = emf_lines(output)
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE and directive["Dimensions"] == [["Agent", "DetailType"]]
    assert (line["Agent"], line["DetailType"], line["EventsPublished"]) == ("monitor", ISSUE, 12)
    assert len(line["PublishLatency"]) == 12 and all(value > 0 for value in line["PublishLatency"])
    assert {d["Name"]: d["Unit"] for d in directive["Metrics"]} == {"EventsPublished": "Count", "PublishLatency": "Milliseconds"}


def test_failed_publishes_are_counted_apart(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    RejectEntries(backbone.aws, lambda call, detail: "bad" in detail, code="AccessDeniedException")
    output = io.StringIO()
    agent = make_agent("monitor-001", telemetry="emf", metrics_output=output)
    agent.publish_many([issue(description="bad one"), issue(), issue(description="bad two")])
    agent.telemetry.flush()
    [line] = emf_lines(output)
    assert (line["EventsPublished"], line["PublishFailed"], len(line["PublishLatency"])) == (1, 2, 3)


def test_long_latency_arrays_continue_on_further_lines_within_the_spec() -> None:
    output = io.StringIO()
    telemetry = EmfTelemetry(NAMESPACE, lambda line: output.write(line + "\n"), background=False)
    for n in range(250):
        telemetry.published("monitor", ISSUE, "published", 0.001 * (n + 1))
    telemetry.flush()
    lines = emf_lines(output)
    assert [len(line["PublishLatency"]) for line in lines] == [100, 100, 50]
    assert sum(line.get("EventsPublished", 0) for line in lines) == 250


def test_consumer_outcomes_and_end_to_end_latency() -> None:
    output = io.StringIO()
    telemetry = make_telemetry("emf", NAMESPACE, cloudwatch=lambda: None, output=output)
    telemetry.consumed("monitor", ISSUE, HANDLED, 1.5)
    telemetry.consumed("monitor", ISSUE, HANDLED, 0.25)
    telemetry.consumed("monitor", ISSUE, DUPLICATE, 9.0)
    telemetry.consumed(None, ISSUE, DEAD_LETTERED, None)
    telemetry.flush()
    lines = {line["Agent"]: line for line in emf_lines(output)}
    assert lines["monitor"]["EventsHandled"] == 2 and lines["monitor"]["EventsDuplicate"] == 1
    assert sorted(lines["monitor"]["EndToEndLatency"]) == [250.0, 1500.0]  # handled events only, in ms
    assert lines["unknown"]["EventsDeadLettered"] == 1 and "EndToEndLatency" not in lines["unknown"]


def test_emf_to_a_logger(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("agent-metrics-test")
    telemetry = make_telemetry("emf", NAMESPACE, cloudwatch=lambda: None, output=logger)
    telemetry.published("monitor", ISSUE, "published", 0.02)
    with caplog.at_level(logging.INFO, logger="agent-metrics-test"):
        telemetry.flush()
    assert_emf(json.loads(caplog.records[0].getMessage()))


def test_put_metric_data_lands_in_cloudwatch_with_percentiles(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent("monitor-001", telemetry="put_metric_data")
    agent.publish_many([issue() for _ in range(30)])
    agent.telemetry.flush()
    cloudwatch = backbone.aws.client("cloudwatch")
    listed = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert {m["MetricName"] for m in listed} == {"EventsPublished", "PublishLatency"}
    dimensions = [{"Name": "Agent", "Value": "monitor"}, {"Name": "DetailType", "Value": ISSUE}]
    assert all(m["Dimensions"] == dimensions for m in listed)
    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc)
    window = {"StartTime": now - dt.timedelta(hours=1), "EndTime": now + dt.timedelta(minutes=5), "Period": 3600}
    [published] = cloudwatch.get_metric_statistics(Namespace=NAMESPACE, MetricName="EventsPublished", Dimensions=dimensions,
                                                   Statistics=["Sum"], **window)["Datapoints"]
    assert published["Sum"] == 30
    [latency] = cloudwatch.get_metric_statistics(Namespace=NAMESPACE, MetricName="PublishLatency", Dimensions=dimensions,
                                                 Statistics=["SampleCount"], **window)["Datapoints"]
    assert latency["SampleCount"] == 30  # every event's latency, not one average
    assert agent.telemetry.calls == 1


def test_put_metric_data_batches_stay_within_the_api_limits() -> None:
    small = [{"MetricName": "EventsPublished", "Value": 1.0}] * 2500
    assert [len(batch) for batch in metric_batches(small)] == [1000, 1000, 500]
    big = [{"MetricName": "PublishLatency", "Values": [float(v) for v in range(150)], "Counts": [1.0] * 150}] * 400
    batches = metric_batches(big)
    assert len(batches) > 1 and sum(map(len, batches)) == 400
    assert all(len(json.dumps(batch)) * 3 <= 1_000_000 for batch in batches)


def test_a_failing_metrics_call_never_breaks_the_agent() -> None:
    class Broken:
        def put_metric_data(self, **_: Any) -> None:
            raise RuntimeError("no route to CloudWatch")

    telemetry = PutMetricDataTelemetry(NAMESPACE, lambda: Broken(), background=False)
    telemetry.published("monitor", ISSUE, "published", 0.01)
    telemetry.flush()
    assert telemetry.dropped_flushes == 1


def test_publish_latency_runs_from_the_first_attempt_to_the_outcome_backoff_included() -> None:
    """An entry retried once reports both round trips and the wait between them; the others only theirs."""
    import random

    from cabructl.agents.delivery import Delivery, RetryPolicy

    now = [0.0]

    def put_events(entries: list[dict[str, Any]]) -> dict[str, Any]:
        now[0] += 0.020  # one round trip
        first = len(entries) == 2
        results = [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"} if first and e["Detail"] == "1" else {"EventId": e["Detail"]}
                   for e in entries]
        return {"FailedEntryCount": 1 if first else 0, "Entries": results}

    def sleep(seconds: float) -> None:
        now[0] += seconds

    sent = Delivery(put_events, RetryPolicy(base_delay=0.1), rng=random.Random(1), sleep=sleep, clock=lambda: now[0])
    outcomes = sent.send([{"Source": "s", "DetailType": "t", "Detail": str(n), "EventBusName": "b"} for n in range(2)])
    assert outcomes[0].seconds == pytest.approx(0.020)
    assert outcomes[1].attempts == 2 and outcomes[1].seconds == pytest.approx(now[0]) and outcomes[1].seconds > 0.040
