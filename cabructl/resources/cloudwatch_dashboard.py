"""cloudwatch.dashboard: one dashboard of EventBridge and dead-letter activity, generated.

The body is derived from the topology, never written by hand: a graph per
EventBridge metric (one line per rule on the bus) and a graph per DLQ metric (one
line per dead-letter queue), at the topology's period. Adding a rule or a DLQ
updates the dashboard on the next apply.

When the topology declares ``monitoring.agent_metrics``, six more graphs read the
agent SDK's own metrics (``resources.agent_metrics``): events published, handled and
failed per agent, the peak hourly rate, and publish and end-to-end latency at p50 and p99. Their lines
name every declared agent × detail-type explicitly rather than through a SEARCH, so
the body is a function of the topology alone and a plan after apply stays empty.

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
from cabructl.resources.agent_metrics import (AGENT_DIMENSION, DETAIL_TYPE_DIMENSION, END_TO_END_LATENCY, EVENTS_DEAD_LETTERED,
                                              EVENTS_DUPLICATE, EVENTS_FAILED, EVENTS_HANDLED, EVENTS_PUBLISHED,
                                              METRICS_BY_NAME, PUBLISH_FAILED, PUBLISH_LATENCY, agent_detail_types,
                                              consumer_detail_types)
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
HOUR = 3600
# Failures of an agent's events, wherever they happened: refused by PutEvents, failed in a handler, dead-lettered.
FAILURE_METRICS = (PUBLISH_FAILED, EVENTS_FAILED, EVENTS_DEAD_LETTERED)


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
    widgets = [_widget(index, title, statistic, metrics, context.region, period)
               for index, (title, statistic, metrics) in enumerate(graphs)]
    if topology.agent_metrics is not None:
        for extra, (title, statistic, metrics, graph_period, more) in enumerate(agent_graphs(topology), start=len(widgets)):
            widget = _widget(extra, title, statistic, metrics, context.region, graph_period or period)
            widget["properties"].update(more)
            widgets.append(widget)
    return {"widgets": widgets}


Graph = tuple[str, str, list[list[Any]], int | None, dict[str, Any]]  # title, stat, metrics, period (None: the dashboard's), extra
Lines = dict[str, list[tuple[str, str]]]  # agent → (metric, detail-type) of its lines


def agent_graphs(topology: Topology) -> list[Graph]:
    """The SDK's graphs, in the order they appear: volume, peak hour, latencies, consumption, failures."""
    namespace = topology.metrics_namespace
    publishers = agent_detail_types(topology)
    consumers = consumer_detail_types(topology)

    def lines(*metrics: str) -> Lines:
        """Per agent, its series of ``metrics``: publishers' own detail-types, or what consumers receive."""
        merged: Lines = {}
        for metric in metrics:
            by_agent = publishers if METRICS_BY_NAME[metric].side == "publish" else consumers
            for agent, detail_types in by_agent.items():
                merged.setdefault(agent, []).extend((metric, detail_type) for detail_type in detail_types)
        return merged

    declared = sum(agent.per_hour for agent in topology.agents.values())
    return [
        ("Agents: events published per agent", "Sum", _per_agent(namespace, lines(EVENTS_PUBLISHED)), None, {}),
        ("Agents: peak hourly events (published, all agents)", "Sum", _peak_hour(namespace, publishers), HOUR,
         {"annotations": {"horizontal": [{"label": f"declared volume: {declared:,} per hour", "value": declared}]}}),
        ("Agents: publish latency p50 / p99 (ms)", "p50", _percentiles(namespace, publishers, PUBLISH_LATENCY), None, {}),
        ("Agents: events handled per agent (and duplicates skipped)", "Sum",
         _per_agent(namespace, lines(EVENTS_HANDLED), "handled")
         + _per_agent(namespace, lines(EVENTS_DUPLICATE), "duplicate", prefix="d"), None, {}),
        ("Agents: end-to-end latency p50 / p99 (ms)", "p50", _percentiles(namespace, consumers, END_TO_END_LATENCY), None, {}),
        ("Agents: failures per agent (publish, handler, dead-lettered)", "Sum",
         _per_agent(namespace, lines(*FAILURE_METRICS)), None, {}),
    ]


def _line(namespace: str, metric: str, agent: str, detail_type: str, **options: Any) -> list[Any]:
    return [namespace, metric, AGENT_DIMENSION, agent, DETAIL_TYPE_DIMENSION, detail_type, options]


def _per_agent(namespace: str, lines: Lines, what: str = "", prefix: str = "a") -> list[list[Any]]:
    """One line per agent: the sum of its series as a math expression over hidden lines."""
    rows: list[list[Any]] = []
    for index, (agent, series) in enumerate(lines.items()):
        ids = [f"{prefix}{index}m{n}" for n in range(len(series))]
        rows += [_line(namespace, metric, agent, detail_type, id=id_, visible=False) for id_, (metric, detail_type) in zip(ids, series)]
        if ids:
            label = f"{agent} {what}" if what else agent
            rows.append([{"expression": f"SUM([{','.join(ids)}])", "label": label, "id": f"{prefix}{index}"}])
    return rows


def _peak_hour(namespace: str, series: dict[str, list[str]]) -> list[list[Any]]:
    """Hourly totals of every agent, and their maximum over the range as a flat line (MAX of a series is one number)."""
    pairs = [(agent, detail_type) for agent, detail_types in series.items() for detail_type in detail_types]
    ids = [f"h{n}" for n in range(len(pairs))]
    if not ids:
        return []
    lines = [_line(namespace, EVENTS_PUBLISHED, agent, detail_type, id=id_, visible=False) for id_, (agent, detail_type) in zip(ids, pairs)]
    lines.append([{"expression": f"SUM([{','.join(ids)}])", "label": "events per hour", "id": "hourly"}])
    lines.append([{"expression": "MAX(hourly)", "label": "peak hour in the range", "id": "peak"}])
    return lines


def _percentiles(namespace: str, series: dict[str, list[str]], metric: str) -> list[list[Any]]:
    """p50 and p99 per agent × detail-type: percentiles cannot be added up, so each series keeps its own line."""
    lines = []
    for agent, detail_types in series.items():
        for detail_type in detail_types:
            name = agent if len(detail_types) == 1 else f"{agent} {detail_type}"
            lines += [_line(namespace, metric, agent, detail_type, stat=stat, label=f"{name} {stat}") for stat in ("p50", "p99")]
    return lines


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
