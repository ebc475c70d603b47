"""How many custom metrics the agent SDK's telemetry creates: what CloudWatch bills it per month.

CloudWatch bills each custom metric — a name with one set of dimension values — per
month, however many datapoints it gets. The SDK's metrics carry Agent and DetailType,
so their number is known offline (``resources.agent_metrics``): each publish metric for
every agent × detail-type it declares, each consume metric for every consuming agent ×
detail-type its queues can receive. That is an upper bound; a series that gets no
datapoint in a month is not billed. :mod:`cabructl.policy.bill.cloudwatch` prices it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cabructl.policy.traffic import CASES
from cabructl.resources.agent_metrics import SDK_METRICS, metric_series, series_of
from cabructl.topology.model import Topology


@dataclass(frozen=True)
class SdkMetricCounts:
    namespace: str
    series: tuple[tuple[str, str, str], ...]  # (metric, Agent, DetailType) the SDK can emit
    publish_metrics: int  # metric names on the publishing side, and the pairs each has
    publish_pairs: int
    consume_metrics: int
    consume_pairs: int

    @property
    def metrics(self) -> int:
        return len(self.series)

    def by_agent(self) -> dict[str, dict[str, float]]:
        """Agent → case → its series (the same in every case: a series costs a month whatever the traffic)."""
        counts: dict[str, int] = {}
        for _, agent, _ in self.series:
            counts[agent] = counts.get(agent, 0) + 1
        return {agent: {case: float(count) for case in CASES} for agent, count in counts.items()}

    def basis(self) -> str:
        return (f"{self.metrics} series in {self.namespace}: {self.publish_metrics} publish metrics × {self.publish_pairs} "
                f"agent × detail-type pairs + {self.consume_metrics} consume metrics × {self.consume_pairs} consumer × detail-type pairs")


def sdk_metric_counts(topology: Topology) -> SdkMetricCounts | None:
    """The SDK's series when the topology declares ``monitoring.agent_metrics``, else None."""
    if topology.agent_metrics is None:
        return None
    sides = {side: [metric for metric in SDK_METRICS if metric.side == side] for side in ("publish", "consume")}
    pairs = {side: len(series_of(topology, metrics[0])) for side, metrics in sides.items()}
    return SdkMetricCounts(topology.metrics_namespace, tuple(metric_series(topology)), len(sides["publish"]), pairs["publish"],
                           len(sides["consume"]), pairs["consume"])
