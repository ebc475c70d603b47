"""What the agent SDK's own metrics cost: CloudWatch custom metrics, priced beside (never inside) the EventBridge month.

CloudWatch bills each custom metric — a name with one set of dimension values — per
month, however many datapoints it gets. The SDK's metrics carry Agent and DetailType,
so their number is known offline (``resources.agent_metrics``): each publish metric for
every agent × detail-type it declares, each consume metric for every consuming agent ×
detail-type its queues can receive. That is an upper bound; a series that gets no
datapoint in a month is not billed.
"""

from __future__ import annotations

from dataclasses import dataclass

from cabructl.policy.pricing import PricingProfile
from cabructl.resources.agent_metrics import SDK_METRICS, metric_series, series_of
from cabructl.topology.model import Topology


@dataclass(frozen=True)
class SdkMetricsCost:
    namespace: str
    metrics: int  # metric × Agent × DetailType series the SDK can emit
    publish_metrics: int  # metric names on the publishing side, and the pairs each has
    publish_pairs: int
    consume_metrics: int
    consume_pairs: int
    usd_per_metric_month: float
    free_metrics: float
    usd: float  # a month, past the free tier

    def to_json(self) -> dict[str, object]:
        return {"namespace": self.namespace, "service": "cloudwatch", "in_budget_total": False, "custom_metrics": self.metrics,
                "publish": {"metrics": self.publish_metrics, "agent_detail_type_pairs": self.publish_pairs},
                "consume": {"metrics": self.consume_metrics, "agent_detail_type_pairs": self.consume_pairs},
                "usd_per_metric_month": self.usd_per_metric_month, "free_metrics": self.free_metrics, "cost_usd": self.usd}


def sdk_metrics_cost(topology: Topology, profile: PricingProfile) -> SdkMetricsCost | None:
    """The month of the SDK's metrics when the topology declares ``monitoring.agent_metrics``, else None."""
    if topology.agent_metrics is None:
        return None
    sides = {side: [metric for metric in SDK_METRICS if metric.side == side] for side in ("publish", "consume")}
    pairs = {side: len(series_of(topology, metrics[0])) for side, metrics in sides.items()}
    metrics = len(metric_series(topology))
    prices = profile.prices
    return SdkMetricsCost(topology.metrics_namespace, metrics, len(sides["publish"]), pairs["publish"], len(sides["consume"]),
                          pairs["consume"], prices.cloudwatch_custom_metrics_per_month,
                          prices.cloudwatch_custom_metrics_free_per_month, profile.custom_metrics_cost(metrics))
