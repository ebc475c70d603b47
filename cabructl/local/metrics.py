"""The ``AWS/Events`` metrics EventBridge emits, recorded in the local CloudWatch.

The dashboard's widgets, the cost alarm and ``cabructl cost`` read these metrics, so
on the local endpoint they show what the demo and the tests really did. Names and
dimensions follow the EventBridge monitoring guide: per rule of a custom bus with
``EventBusName`` and ``RuleName``, and the PutEvents counters for the account (no
dimension). AWS also reports the per-rule metrics per bus; moto answers a query by
``EventBusName`` alone with every datapoint that has that dimension among others,
so the rule datapoints already add up to the bus's total there, and writing a bus
datapoint too would count every event twice. ``DeadLetterInvocations`` counts, as on AWS,
only targets not invoked because the invocation would loop, which the local endpoint
does not model, so it is never emitted.

Datapoints go straight into moto's CloudWatch backend (the endpoint runs in the
same process), one ``put_metric_data`` per PutEvents call or delivery attempt.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections import Counter
from typing import Iterable, Mapping

from cabructl.constants import EVENTS_NAMESPACE

log = logging.getLogger(__name__)

# (metric, dimensions as ((name, value), …)) → count
Key = tuple[str, tuple[tuple[str, str], ...]]


class MetricBatch:
    """Counts collected while one call is handled, written in one datapoint per metric."""

    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region
        self._counts: Counter[Key] = Counter()

    def account_wide(self, metric: str, value: float = 1) -> None:
        self._counts[(metric, ())] += value

    def rule(self, metric: str, bus: str, rule: str, value: float = 1) -> None:
        self._counts[(metric, (("EventBusName", bus), ("RuleName", rule)))] += value

    def flush(self) -> None:
        """Write what was counted; a CloudWatch failure never fails a delivery (metrics are best effort on AWS too)."""
        if not self._counts:
            return
        data = list(datums(self._counts.items()))
        self._counts.clear()
        try:
            from moto.cloudwatch.models import cloudwatch_backends

            cloudwatch_backends[self.account][self.region].put_metric_data(EVENTS_NAMESPACE, data)
        except Exception as error:  # moto's validation; never worth failing an event for
            log.warning("local metrics not recorded: %s", error)


def datums(counts: Iterable[tuple[Key, float]], units: Mapping[str, str] | None = None) -> Iterable[dict[str, object]]:
    """PutMetricData's datapoints for ``counts``, now; a metric's unit is ``Count`` unless ``units`` names another."""
    now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)  # naive UTC, as moto keeps what PutMetricData sends
    for (metric, dimensions), value in counts:
        yield {
            "MetricName": metric,
            "Value": float(value),
            "Unit": (units or {}).get(metric, "Count"),
            "Timestamp": now,
            "Dimensions": [{"Name": name, "Value": text} for name, text in dimensions],
        }
