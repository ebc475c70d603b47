"""cloudwatch.dashboard: one dashboard of EventBridge and dead-letter activity, generated.

The body is derived from the topology, never written by hand: a graph per
EventBridge metric (one line per rule on the bus) and a graph per DLQ metric (one
line per dead-letter queue), at the topology's period. Adding a rule or a DLQ
updates the dashboard on the next apply.

Dashboards cannot be tagged, so ownership is by name: a dashboard under the
topology's name prefix is the topology's. One with a desired name outside the
prefix is someone else's (a conflict). A topology has at most one dashboard, so
an owned one answers to ``cloudwatch.dashboard.dashboard`` whatever its name: a
new name is a replace.

The body is compared parsed (``canonical_json``): CloudWatch hands back the text
it was given, but key order and whitespace must never show as a change.
"""

from __future__ import annotations

from typing import Any

from cabructl.aws import parallel_map
from cabructl.constants import DASHBOARD_GRID_WIDTH, DASHBOARD_WIDGET_HEIGHT, EVENTS_NAMESPACE, SQS_NAMESPACE
from cabructl.resources.base import Context, Handler, Resource, address, canonical_json, compact_json
from cabructl.resources.importing import KindImporter
from cabructl.resources.tags import singleton_address
from cabructl.topology.model import Topology

KIND = "cloudwatch.dashboard"
LOGICAL = "dashboard"  # monitoring.dashboard: a topology has at most one, whatever its name

# (title, metric, statistic): EventBridge metrics graphed per rule of the bus.
RULE_GRAPHS = (
    ("Matched events per rule", "MatchedEvents", "Sum"),
    ("Triggered rules", "TriggeredRules", "Sum"),
    ("Invocations per rule", "Invocations", "Sum"),
    ("Invocation attempts per rule", "InvocationAttempts", "Sum"),
    ("Failed invocations per rule", "FailedInvocations", "Sum"),
)
# (title, metric, statistic): SQS metrics graphed per dead-letter queue.
DLQ_GRAPHS = (
    ("Dead-letter queues: messages waiting", "ApproximateNumberOfMessagesVisible", "Maximum"),
    ("Dead-letter queues: messages received", "NumberOfMessagesSent", "Sum"),
)
WIDGET_WIDTH = DASHBOARD_GRID_WIDTH // 2


class DashboardHandler(Handler):
    kind = KIND
    section = "monitoring"
    # The body is the only attribute and PutDashboard replaces it in place.
    importer = KindImporter(lambda topology, logical: topology.dashboard, {},
                            {"body": "generated from the rules, queues and bus; `cabructl apply` restores it"})

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        if topology.dashboard is None:
            return []
        name = topology.dashboard.name
        return [Resource(address(KIND, LOGICAL), KIND, name, {"body": dashboard_body(topology, context)})]

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """Owned by name: list under the prefix, plus any desired name outside it (a conflict if found)."""
        names = {entry["DashboardName"] for entry in aws.paginate("cloudwatch", "list_dashboards", "DashboardEntries",
                                                                  DashboardNamePrefix=topology.prefix)}
        names |= {resource.name for resource in desired if not resource.name.startswith(topology.prefix)}
        found = parallel_map(lambda name: self._read(aws, topology, name, desired), sorted(names), aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, name: str, desired: list[Resource]) -> Resource | None:
        response = aws.find(lambda: aws.client("cloudwatch").get_dashboard(DashboardName=name))
        if response is None:
            return None
        owned = name.startswith(topology.prefix)
        return Resource(singleton_address(address(KIND, LOGICAL), topology, name, owned, desired), KIND, name, {"body": canonical_json(response["DashboardBody"])},
                        (), {"arn": response.get("DashboardArn")}, owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        self._put(aws, resource)

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        self._put(aws, desired)

    def _put(self, aws: Any, resource: Resource) -> None:
        body = compact_json(resource.attributes["body"])
        aws.settle(lambda: aws.client("cloudwatch").put_dashboard(DashboardName=resource.name, DashboardBody=body))

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("cloudwatch").delete_dashboards(DashboardNames=[live.name]))


def dashboard_body(topology: Topology, context: Context) -> dict[str, Any]:
    """The whole dashboard, two graphs per row: rule metrics first, then DLQ metrics."""
    assert topology.dashboard is not None
    bus = topology.bus.name
    rules = sorted(rule.name for rule in topology.rules.values())
    dlqs = dead_letter_queue_names(topology)
    graphs = [
        (title, statistic, [[EVENTS_NAMESPACE, metric, "EventBusName", bus, "RuleName", rule] for rule in rules])
        for title, metric, statistic in RULE_GRAPHS
        if rules
    ]
    graphs += [
        (title, statistic, [[SQS_NAMESPACE, metric, "QueueName", queue] for queue in dlqs])
        for title, metric, statistic in DLQ_GRAPHS
        if dlqs
    ]
    period = topology.dashboard.period
    return {"widgets": [_widget(index, title, statistic, metrics, context.region, period)
                        for index, (title, statistic, metrics) in enumerate(graphs)]}


def dead_letter_queue_names(topology: Topology) -> list[str]:
    """AWS names of every queue used as a dead-letter queue (by a target or a redrive policy)."""
    logicals = {target.dead_letter for rule in topology.rules.values() for target in rule.targets if target.dead_letter}
    logicals |= {queue.redrive_dead_letter for queue in topology.queues.values() if queue.redrive_dead_letter}
    return sorted(topology.queues[logical].name for logical in logicals)


def _widget(index: int, title: str, statistic: str, metrics: list[list[str]], region: str, period: int) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": (index % 2) * WIDGET_WIDTH,
        "y": (index // 2) * DASHBOARD_WIDGET_HEIGHT,
        "width": WIDGET_WIDTH,
        "height": DASHBOARD_WIDGET_HEIGHT,
        "properties": {
            "title": title,
            "view": "timeSeries",
            "stacked": False,
            "region": region,
            "period": period,
            "stat": statistic,
            "metrics": metrics,
        },
    }


HANDLER = DashboardHandler()
