"""The dashboard's agent graphs: present when the topology declares agent_metrics, reading what the SDK emits.

The strongest check is end to end: the SDK's PutMetricData telemetry writes to moto,
and every metric CloudWatch then lists must be a line of the dashboard (same
namespace, name and dimensions), or the graphs would stay empty in production.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable

from cabructl.aws import Aws
from cabructl.resources.base import Context
from cabructl.resources.cloudwatch_dashboard import HANDLER, dashboard_body
from cabructl.topology import Topology

CONTEXT = Context("123456789012", "sa-east-1")
TITLES = [
    "Agents: events published per agent",
    "Agents: peak hourly events (published, all agents)",
    "Agents: publish latency p50 / p99 (ms)",
    "Agents: events handled per agent (and duplicates skipped)",
    "Agents: end-to-end latency p50 / p99 (ms)",
    "Agents: failures per agent (publish, handler, dead-lettered)",
]
AGENTS = ["monitor", "product", "developer", "tester"]
CONSUMERS = ["product", "developer"]  # the agents that declare `consumes`


def agent_graphs(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {w["properties"]["title"]: w["properties"] for w in body["widgets"] if w["properties"]["title"].startswith("Agents:")}


def metric_lines(graph: dict[str, Any]) -> list[list[Any]]:
    return [line for line in graph["metrics"] if isinstance(line[0], str)]


def expressions(graph: dict[str, Any]) -> list[dict[str, Any]]:
    return [line[0] for line in graph["metrics"] if isinstance(line[0], dict)]


def test_no_agent_graphs_unless_agent_metrics_is_declared(topology: Topology) -> None:
    assert agent_graphs(dashboard_body(replace(topology, agent_metrics=None), CONTEXT)) == {}


def test_six_agent_graphs_in_the_topologys_namespace(topology: Topology) -> None:
    graphs = agent_graphs(dashboard_body(topology, CONTEXT))
    assert list(graphs) == TITLES
    for graph in graphs.values():
        assert {line[0] for line in metric_lines(graph)} == {"Cabruca/prod/Agents"}
        assert all(line[2::2][:2] == ["Agent", "DetailType"] for line in metric_lines(graph))


def test_per_agent_graphs_have_one_visible_line_per_agent(topology: Topology) -> None:
    graphs = agent_graphs(dashboard_body(topology, CONTEXT))
    handled = [e["label"] for e in expressions(graphs[TITLES[3]])]
    assert handled == [f"{a} handled" for a in CONSUMERS] + [f"{a} duplicate" for a in CONSUMERS]
    for title in (TITLES[0], TITLES[5]):
        assert [e["label"] for e in expressions(graphs[title])] == AGENTS
        assert all(line[-1]["visible"] is False for line in metric_lines(graphs[title]))
    failures = {line[1] for line in metric_lines(graphs[TITLES[5]])}
    assert failures == {"PublishFailed", "EventsFailed", "EventsDeadLettered"}


def test_every_expression_reads_ids_of_its_own_graph(topology: Topology) -> None:
    import re

    for graph in agent_graphs(dashboard_body(topology, CONTEXT)).values():
        ids = [line[-1]["id"] for line in metric_lines(graph) if "id" in line[-1]] + [e["id"] for e in expressions(graph)]
        assert len(ids) == len(set(ids))
        for expression in expressions(graph):
            assert set(re.findall(r"\b[a-z]\w*\b", expression["expression"])) - {"SUM", "MAX"} <= set(ids)


def test_peak_hour_is_the_maximum_of_hourly_sums_beside_the_declared_volume(topology: Topology) -> None:
    peak = agent_graphs(dashboard_body(topology, CONTEXT))[TITLES[1]]
    assert peak["period"] == 3600 and peak["stat"] == "Sum"
    assert [e["expression"] for e in expressions(peak)] == ["SUM([h0,h1,h2,h3])", "MAX(hourly)"]
    declared = sum(agent.per_hour for agent in topology.agents.values())
    assert peak["annotations"]["horizontal"] == [{"label": f"declared volume: {declared:,} per hour", "value": declared}]


def test_latency_graphs_show_p50_and_p99_per_agent_and_type(topology: Topology) -> None:
    graphs = agent_graphs(dashboard_body(topology, CONTEXT))
    publish = [line[-1]["label"] for line in metric_lines(graphs[TITLES[2]])]
    assert publish == [f"{agent} {stat}" for agent in AGENTS for stat in ("p50", "p99")]
    end_to_end = [line[-1]["label"] for line in metric_lines(graphs[TITLES[4]])]
    assert end_to_end == ["product p50", "product p99",  # what each consumer's queues receive
                          "developer Code Change Event p50", "developer Code Change Event p99",
                          "developer Test Results Event p50", "developer Test Results Event p99"]


def test_every_metric_the_sdk_emits_is_on_the_dashboard(aws: Aws, topology: Topology) -> None:
    from cabructl.agents.telemetry import DEAD_LETTERED, DUPLICATE, FAILED, HANDLED, PutMetricDataTelemetry
    from cabructl.resources.agent_metrics import consumer_detail_types, metric_series

    telemetry = PutMetricDataTelemetry(topology.metrics_namespace, lambda: aws.client("cloudwatch"), background=False)
    for schema in topology.schemas.values():  # each publisher's own events
        agent = next(a.name for a in topology.agents.values() if schema.name in a.events)
        for outcome in ("published", "failed"):
            telemetry.published(agent, schema.detail_type, outcome, 0.02)
    for agent, detail_types in consumer_detail_types(topology).items():  # what each consumer receives
        for detail_type in detail_types:
            for outcome in (HANDLED, DUPLICATE, FAILED, DEAD_LETTERED):
                telemetry.consumed(agent, detail_type, outcome, 0.5)
    telemetry.flush()
    listed = aws.client("cloudwatch").list_metrics(Namespace=topology.metrics_namespace)["Metrics"]
    emitted = {(m["MetricName"], tuple((d["Name"], d["Value"]) for d in m["Dimensions"])) for m in listed}
    graphed = {(line[1], ((line[2], line[3]), (line[4], line[5])))
               for graph in agent_graphs(dashboard_body(topology, CONTEXT)).values() for line in metric_lines(graph)}
    assert len(emitted) == len(metric_series(topology)) == 3 * 4 + 5 * 3  # what policy check prices
    assert emitted <= graphed


def test_a_plan_after_apply_is_empty(aws: Aws, topology: Topology, converge: Callable, plan_for: Callable) -> None:
    converge(topology, [HANDLER])
    live = json.loads(aws.client("cloudwatch").get_dashboard(DashboardName=topology.dashboard.name)["DashboardBody"])
    assert list(agent_graphs(live)) == TITLES
    assert plan_for(topology, [HANDLER]).changes == ()
