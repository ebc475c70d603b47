"""What CloudWatch counted per service, beside what the model projects for the same window.

For each :class:`~cabructl.policy.meters.Meter` one query of its metric (Sum over the
window), all in one GetMetricData conversation. Two model figures stand beside each
measurement: the model's expected month scaled to the window, and the same at the publish
rate CloudWatch observed (``PutEventsEntriesCount``), which asks whether the model's routes,
sizes and consumers are right whatever the volume was. A metric with no datapoints is
``None``, never 0: a service that reports nothing is not a service that did nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from cabructl.policy.meters import Meter, projected_meters
from cabructl.policy.traffic import EXPECTED, TrafficModel
from cabructl.policy.usage import PUBLISHED_METRIC, ObservedUsage, metric_query, read_usage
from cabructl.topology.model import Topology

@dataclass(frozen=True)
class Reading:
    meter: Meter
    measured: float | None  # None: CloudWatch has no datapoints for it in the window
    model: float            # the model's expected case, scaled to the window
    at_observed_rate: float | None  # the same, at the observed publish rate (None: nothing observed to scale by)

    @property
    def ratio(self) -> float | None:
        return _ratio(self.measured, self.model)

    @property
    def ratio_at_observed_rate(self) -> float | None:
        return _ratio(self.measured, self.at_observed_rate)

    def to_json(self) -> dict[str, object]:
        meter = self.meter
        return {"service": meter.service, "namespace": meter.namespace, "metric": meter.metric,
                "dimensions": dict(meter.dimensions), "resource": meter.resource, "unit": meter.unit,
                "measured": self.measured, "model": self.model, "ratio": self.ratio,
                "model_at_observed_rate": self.at_observed_rate, "ratio_at_observed_rate": self.ratio_at_observed_rate,
                "traffic_driven": meter.traffic_driven}


def observe(aws: Any, topology: Topology, model: TrafficModel, policy_model: Mapping[str, Any],
            days: int) -> tuple[ObservedUsage, list[Reading]]:
    """The bus's counters (:func:`read_usage`) and every service metric beside the model's projection,
    over the last ``days`` days, in one GetMetricData conversation."""
    meters = projected_meters(topology, model, policy_model)
    queries = [metric_query(f"meter{index}", meter.metric, dict(meter.dimensions), namespace=meter.namespace)
               for index, meter in enumerate(meters)]
    observed = read_usage(aws, topology, days, extra_queries=queries)
    measured = [observed.extra.get(query["Id"]) for query in queries]
    return observed, compare(meters, measured, days, model.parameters.days_per_month)


def compare(meters: Sequence[Meter], measured: Sequence[float | None], days: int, days_per_month: float) -> list[Reading]:
    """Each measurement beside the model for the window, and beside the model at the observed publish rate."""
    factor = _observed_rate_factor(meters, measured, days, days_per_month)
    readings = []
    for meter, value in zip(meters, measured):
        model = meter.for_days(days, days_per_month, EXPECTED)
        scaled = None if factor is None else (model * factor if meter.traffic_driven else model)
        readings.append(Reading(meter, value, model, scaled))
    return readings


def _observed_rate_factor(meters: Sequence[Meter], measured: Sequence[float | None], days: int, days_per_month: float) -> float | None:
    """Observed PutEvents entries over the model's for the window: how far the real volume is from the declared one."""
    for meter, value in zip(meters, measured):
        if meter.metric == PUBLISHED_METRIC and value is not None:
            model = meter.for_days(days, days_per_month, EXPECTED)
            return value / model if model else None
    return None


def _ratio(measured: float | None, model: float | None) -> float | None:
    if measured is None or not model:
        return None
    return measured / model
