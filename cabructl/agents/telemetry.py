"""What the SDK measures about itself, for the metrics the seed's monitoring section asks for.

The publisher reports each event's outcome and publish latency; the consumer reports each
event's outcome (handled, duplicate, failed, dead_lettered) and its end-to-end latency,
from the event's ``time`` to the end of its handler. A :class:`Telemetry` turns those into
CloudWatch metrics in the topology's namespace; :class:`NullTelemetry` (the default) keeps
nothing, so tests and tools that do not ask for metrics pay nothing.

Two real ones: :class:`EmfTelemetry` (the embedded metric format, JSON lines that
CloudWatch Logs turns into metrics) and :class:`PutMetricDataTelemetry` (batched API
calls). Both aggregate per (Agent, DetailType) and flush every minute and at exit.
The metric names and dimensions are ``cabructl.resources.agent_metrics``, which the
dashboard and the cost model read too.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import json
import logging
import math
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from cabructl.resources.agent_metrics import (AGENT_DIMENSION, COUNT, DETAIL_TYPE_DIMENSION, DIMENSIONS, END_TO_END_LATENCY,
                                              EVENTS_DEAD_LETTERED, EVENTS_DUPLICATE, EVENTS_FAILED, EVENTS_HANDLED,
                                              EVENTS_PUBLISHED, METRICS_BY_NAME, MILLISECONDS, PUBLISH_FAILED,
                                              PUBLISH_LATENCY, UNKNOWN_AGENT)

# Outcomes a consumer reports per event.
HANDLED = "handled"
DUPLICATE = "duplicate"
FAILED = "failed"
DEAD_LETTERED = "dead_lettered"
CONSUMER_OUTCOMES = (HANDLED, DUPLICATE, FAILED, DEAD_LETTERED)


class Telemetry(Protocol):
    """Where the SDK's measurements go; every method is called from any thread and must not raise."""

    def published(self, agent: str, detail_type: str, outcome: str, latency_seconds: float) -> None:
        """One event's publish: ``outcome`` is its Status value (published, failed, dropped…)."""

    def consumed(self, agent: str | None, detail_type: str, outcome: str, end_to_end_seconds: float | None) -> None:
        """One received event: ``outcome`` is one of CONSUMER_OUTCOMES; latency None when unknown."""

    def flush(self) -> None:
        """Send what is buffered (at exit, and periodically)."""


class NullTelemetry:
    """Records nothing: the default, and what tests use unless they ask for metrics."""

    def published(self, agent: str, detail_type: str, outcome: str, latency_seconds: float) -> None:
        return None

    def consumed(self, agent: str | None, detail_type: str, outcome: str, end_to_end_seconds: float | None) -> None:
        return None

    def flush(self) -> None:
        return None


# -- what the environment asks for ----------------------------------------------------------
METRICS_ENV = "CABRUCTL_AGENT_METRICS"
OFF, EMF, PUT_METRIC_DATA = "off", "emf", "put_metric_data"
MODES = (OFF, EMF, PUT_METRIC_DATA)
DEFAULT_FLUSH_SECONDS = 60.0
# EMF: at most 100 values in one metric's array (the EMF specification).
EMF_MAX_VALUES = 100
# PutMetricData: at most 1,000 metric data items and 1 MB per request, 150 distinct values per item.
PUT_METRIC_DATA_MAX_ITEMS = 1000
PUT_METRIC_DATA_MAX_BYTES = 1_000_000
PUT_METRIC_DATA_MAX_VALUES = 150
# The wire form (query protocol) spells every key out per member: several times the JSON size of an item.
WIRE_BYTES_PER_JSON_BYTE = 3

_CONSUMED_METRIC = {HANDLED: EVENTS_HANDLED, DUPLICATE: EVENTS_DUPLICATE, FAILED: EVENTS_FAILED,
                    DEAD_LETTERED: EVENTS_DEAD_LETTERED}
_PUBLISHED_METRIC = {"published": EVENTS_PUBLISHED, "failed": PUBLISH_FAILED}

log = logging.getLogger(__name__)


@dataclass
class Series:
    """What one (Agent, DetailType) pair measured since the last flush."""

    started: float  # epoch seconds of its first measurement: the datapoints' timestamp
    counts: Counter[str] = field(default_factory=Counter)
    values: dict[str, Counter[float]] = field(default_factory=dict)

    def add_value(self, metric: str, milliseconds: float) -> None:
        self.values.setdefault(metric, Counter())[_significant(milliseconds)] += 1


class AggregatingTelemetry:
    """Counts and latency distributions per (Agent, DetailType), handed to :meth:`emit` every interval and at exit.

    Aggregating first is what keeps this cheap: one datapoint per series and flush,
    whatever the event rate. Latencies keep every value (rounded to three significant
    digits, finer than CloudWatch's own percentile buckets) with how often it occurred,
    so p50 and p99 stay computable in CloudWatch; a statistic set would lose them.
    """

    def __init__(self, namespace: str, *, interval: float = DEFAULT_FLUSH_SECONDS,
                 wall_clock: Callable[[], float] = time.time, background: bool = True) -> None:
        self.namespace = namespace
        self.interval = interval
        self.wall_clock = wall_clock
        self.dropped_flushes = 0  # emits that failed (logged, never raised into the agent)
        self._series: dict[tuple[str, str], Series] = {}
        self._lock = threading.Lock()
        self._emit_lock = threading.Lock()
        self._background = background
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        atexit.register(self.close)

    def published(self, agent: str, detail_type: str, outcome: str, latency_seconds: float) -> None:
        metric = _PUBLISHED_METRIC.get(outcome)
        if metric is None:  # dropped or sampled out: never sent, nothing to say to CloudWatch
            return
        self._record(agent, detail_type, metric, PUBLISH_LATENCY, latency_seconds)

    def consumed(self, agent: str | None, detail_type: str, outcome: str, end_to_end_seconds: float | None) -> None:
        metric = _CONSUMED_METRIC.get(outcome)
        if metric is not None:
            latency = end_to_end_seconds if outcome == HANDLED else None
            self._record(agent or UNKNOWN_AGENT, detail_type, metric, END_TO_END_LATENCY, latency)

    def _record(self, agent: str, detail_type: str, metric: str, latency_metric: str, seconds: float | None) -> None:
        with self._lock:
            series = self._series.get((agent, detail_type))
            if series is None:
                series = self._series[(agent, detail_type)] = Series(self.wall_clock())
            series.counts[metric] += 1
            if seconds is not None:
                series.add_value(latency_metric, seconds * 1000.0)
        self._start_ticker()

    def flush(self) -> None:
        """Hand what was measured to :meth:`emit`; a failure is logged and counted, never raised."""
        with self._lock:
            taken, self._series = self._series, {}
        if not taken:
            return
        with self._emit_lock:
            try:
                self.emit(taken)
            except Exception as error:  # noqa: BLE001 - metrics must never break publishing
                self.dropped_flushes += 1
                log.warning("agent metrics: could not send %d series to %s: %s", len(taken), self.namespace, error)

    def emit(self, series: dict[tuple[str, str], Series]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        """Stop the periodic flush and send the rest (also registered to run at exit)."""
        self._stop.set()
        self.flush()

    def _start_ticker(self) -> None:
        """A daemon thread flushes every ``interval``, so an idle agent's last minute still arrives in time."""
        if not self._background or self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._tick, name="cabructl-agent-metrics", daemon=True)
                self._thread.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()


class EmfTelemetry(AggregatingTelemetry):
    """CloudWatch embedded metric format: per flush, one JSON line per (Agent, DetailType) to ``write``.

    In Lambda, ECS with awslogs or anywhere the CloudWatch agent ships stdout, CloudWatch
    Logs turns these lines into metrics with no API call from the agent. A latency with
    more than 100 values (EMF's limit per array) continues on further lines.
    """

    def __init__(self, namespace: str, write: Callable[[str], None] | None = None, **options: Any) -> None:
        super().__init__(namespace, **options)
        self.write = write or _stdout_line

    def emit(self, series: dict[tuple[str, str], Series]) -> None:
        for (agent, detail_type), measured in sorted(series.items()):
            for document in emf_documents(self.namespace, agent, detail_type, measured):
                self.write(json.dumps(document, separators=(",", ":")))


def emf_documents(namespace: str, agent: str, detail_type: str, series: Series) -> list[dict[str, Any]]:
    """The EMF documents for one series: counts and the first 100 values of each latency, then the rest."""
    members: list[dict[str, Any]] = [dict(series.counts)]
    for metric, counter in series.values.items():
        values = [value for value, count in sorted(counter.items()) for _ in range(count)]
        for index, start in enumerate(range(0, len(values), EMF_MAX_VALUES)):
            if index == len(members):
                members.append({})
            members[index][metric] = values[start:start + EMF_MAX_VALUES]
    return [_emf_document(namespace, agent, detail_type, series.started, metrics) for metrics in members if metrics]


def _emf_document(namespace: str, agent: str, detail_type: str, started: float, metrics: dict[str, Any]) -> dict[str, Any]:
    directive = {"Namespace": namespace, "Dimensions": [list(DIMENSIONS)],
                 "Metrics": [{"Name": name, "Unit": METRICS_BY_NAME[name].unit} for name in metrics]}
    return {"_aws": {"Timestamp": int(started * 1000), "CloudWatchMetrics": [directive]},
            AGENT_DIMENSION: agent, DETAIL_TYPE_DIMENSION: detail_type, **metrics}


class PutMetricDataTelemetry(AggregatingTelemetry):
    """Batched PutMetricData: every interval and at exit, in calls of ≤ 1,000 items and ≤ 1 MB."""

    def __init__(self, namespace: str, client: Callable[[], Any], **options: Any) -> None:
        super().__init__(namespace, **options)
        self.client = client  # called at flush time: the CloudWatch client is made only if metrics exist
        self.calls = 0

    def emit(self, series: dict[tuple[str, str], Series]) -> None:
        items = [item for key, measured in sorted(series.items()) for item in metric_data(key, measured)]
        client = self.client()
        for batch in metric_batches(items):
            self.calls += 1
            client.put_metric_data(Namespace=self.namespace, MetricData=batch)


def metric_data(key: tuple[str, str], series: Series) -> list[dict[str, Any]]:
    """MetricDatum items of one series: a Value per count, Values/Counts (≤ 150 distinct) per latency."""
    agent, detail_type = key
    common = {"Dimensions": [{"Name": AGENT_DIMENSION, "Value": agent}, {"Name": DETAIL_TYPE_DIMENSION, "Value": detail_type}],
              "Timestamp": _dt.datetime.fromtimestamp(series.started, _dt.timezone.utc)}
    items = [{"MetricName": name, **common, "Unit": COUNT, "Value": float(count)} for name, count in series.counts.items()]
    for name, counter in series.values.items():
        distinct = sorted(counter.items())
        for start in range(0, len(distinct), PUT_METRIC_DATA_MAX_VALUES):
            chunk = distinct[start:start + PUT_METRIC_DATA_MAX_VALUES]
            items.append({"MetricName": name, **common, "Unit": MILLISECONDS,
                          "Values": [value for value, _ in chunk], "Counts": [float(count) for _, count in chunk]})
    return items


def metric_batches(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Items in order, cut into requests PutMetricData accepts (item count and an estimate of the wire size)."""
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for item in items:
        item_size = len(json.dumps(item, default=str)) * WIRE_BYTES_PER_JSON_BYTE
        if current and (len(current) == PUT_METRIC_DATA_MAX_ITEMS or size + item_size > PUT_METRIC_DATA_MAX_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += item_size
    if current:
        batches.append(current)
    return batches


def make_telemetry(mode: "str | Telemetry | None", namespace: str, *, cloudwatch: Callable[[], Any],
                   output: Any = None) -> Telemetry:
    """The agent's telemetry: an instance as given, else ``mode`` or $CABRUCTL_AGENT_METRICS, default off.

    ``output`` (EMF only) is a stream (``.write``), a logger (``.info``) or a function of one line.
    """
    if mode is not None and not isinstance(mode, str):
        return mode
    chosen = (mode or os.environ.get(METRICS_ENV) or OFF).strip().lower()
    if chosen == OFF:
        return NullTelemetry()
    if chosen == EMF:
        return EmfTelemetry(namespace, _line_writer(output))
    if chosen == PUT_METRIC_DATA:
        return PutMetricDataTelemetry(namespace, cloudwatch)
    source = "telemetry=" if mode else f"${METRICS_ENV}"
    raise ValueError(f"{source} {chosen!r} is not one of {', '.join(MODES)}")


def _line_writer(output: Any) -> Callable[[str], None] | None:
    if output is None:
        return None
    if hasattr(output, "info") and callable(output.info):  # a logging.Logger
        return output.info
    if hasattr(output, "write"):
        return lambda line: (output.write(line + "\n"), getattr(output, "flush", lambda: None)())[0]
    return output


def _stdout_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _significant(value: float, digits: int = 3) -> float:
    """``value`` to ``digits`` significant digits: fewer distinct values, no visible loss in p50/p99."""
    return 0.0 if value <= 0 else round(value, digits - 1 - int(math.floor(math.log10(value))))
