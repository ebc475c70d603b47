"""cloudwatch.dashboard against moto: the generated body, updates, delete, ownership by name."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action
from cabructl.resources.base import Context, canonical_json
from cabructl.resources.cloudwatch_dashboard import HANDLER, dashboard_body, dead_letter_queue_names
from cabructl.topology import Topology
from cabructl.topology.model import Dashboard

KINDS = [HANDLER]
ADDRESS = "cloudwatch.dashboard.dashboard"
NAME = "cabruca-segmentation-prod-eventbridge-dashboard"
CONTEXT = Context("123456789012", "sa-east-1")


def _live_body(aws: Aws, name: str = NAME) -> dict[str, Any]:
    return json.loads(aws.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"])


def _graph(body: dict[str, Any], title: str) -> dict[str, Any]:
    return next(widget["properties"] for widget in body["widgets"] if widget["properties"]["title"] == title)


def test_create_puts_the_generated_body_and_a_second_plan_is_empty(aws: Aws, topology: Topology, converge: Callable) -> None:
    plan = converge(topology, KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.CREATE)]
    assert _live_body(aws) == dashboard_body(topology, CONTEXT)


RULE_LINE = ["EventBusName", "cabruca-agents-bus", "RuleName", "cabruca-segmentation-prod-code-change-routing"]
DLQ_LINE = ["QueueName", "cabruca-segmentation-prod-critical-events-dlq"]


@pytest.mark.parametrize("title, first_line", [
    pytest.param("Matched events per rule", ["AWS/Events", "MatchedEvents", *RULE_LINE], id="matched-events"),
    pytest.param("Triggered rules", ["AWS/Events", "TriggeredRules", *RULE_LINE], id="triggered-rules"),
    pytest.param("Invocations per rule", ["AWS/Events", "Invocations", *RULE_LINE], id="invocations"),
    pytest.param("Invocation attempts per rule", ["AWS/Events", "InvocationAttempts", *RULE_LINE], id="invocation-attempts"),
    pytest.param("Failed invocations per rule", ["AWS/Events", "FailedInvocations", *RULE_LINE], id="failed-invocations"),
    pytest.param("Dead-letter queues: messages waiting", ["AWS/SQS", "ApproximateNumberOfMessagesVisible", *DLQ_LINE], id="dlq-visible"),
    pytest.param("Dead-letter queues: messages received", ["AWS/SQS", "NumberOfMessagesSent", *DLQ_LINE], id="dlq-sent"),
])
def test_body_graphs_every_rule_and_every_dead_letter_queue(topology: Topology, title: str, first_line: list[str]) -> None:
    graph = _graph(dashboard_body(topology, CONTEXT), title)

    assert graph["metrics"][0] == first_line
    assert graph["period"] == 300 and graph["region"] == "sa-east-1"
    per = len(topology.rules) if first_line[0] == "AWS/Events" else 2  # the two DLQs of topology.yaml
    assert len(graph["metrics"]) == per


def test_dead_letter_queues_are_target_and_redrive_dead_letters(topology: Topology) -> None:
    product = replace(topology.queues["product-requests"], redrive_dead_letter="test-investigation")
    changed = replace(topology, queues={**topology.queues, "product-requests": product})

    assert dead_letter_queue_names(changed) == [
        "cabruca-segmentation-prod-critical-events-dlq",
        "cabruca-segmentation-prod-eventbridge-dlq",
        "cabruca-segmentation-prod-test-investigation",
    ]


UPDATES = [
    pytest.param(lambda t: replace(t, dashboard=replace(t.dashboard, period=60)), id="period"),
    pytest.param(lambda t: replace(t, rules={k: v for k, v in t.rules.items() if k != "failed-tests"}), id="rule-removed"),
]


@pytest.mark.parametrize("change", UPDATES)
def test_body_updates_in_place(aws: Aws, topology: Topology, converge: Callable, plan_for: Callable,
                               change: Callable[[Topology], Topology]) -> None:
    converge(topology, KINDS)
    changed = change(topology)

    [planned] = plan_for(changed, KINDS).changes
    assert (planned.action, planned.changed_attributes) == (Action.UPDATE, ("body",))
    aws.calls.reset()
    converge(changed, KINDS)

    assert aws.calls.write_calls() == ["cloudwatch:PutDashboard"]
    assert _live_body(aws) == dashboard_body(changed, CONTEXT)


def test_a_body_edited_in_the_console_is_drift(aws: Aws, topology: Topology, converge: Callable, plan_for: Callable) -> None:
    converge(topology, KINDS)
    aws.client("cloudwatch").put_dashboard(DashboardName=NAME, DashboardBody='{"widgets": []}')

    [planned] = plan_for(topology, KINDS).changes

    assert (planned.action, planned.changed_attributes) == (Action.UPDATE, ("body",))


def test_dashboard_removed_from_the_topology_is_deleted(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(topology, KINDS)

    plan = converge(replace(topology, dashboard=None), KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.DELETE)]
    assert aws.client("cloudwatch").list_dashboards()["DashboardEntries"] == []


def test_a_desired_name_outside_the_prefix_that_exists_is_a_conflict(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    aws.client("cloudwatch").put_dashboard(DashboardName="ops", DashboardBody='{"widgets": []}')

    plan = plan_for(replace(topology, dashboard=Dashboard("ops", 300)), KINDS)

    assert [conflict.address for conflict in plan.conflicts] == ["cloudwatch.dashboard.dashboard"]
    assert plan.changes == ()


def test_dashboards_outside_the_prefix_are_invisible(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    aws.client("cloudwatch").put_dashboard(DashboardName="ops", DashboardBody='{"widgets": []}')

    plan = plan_for(topology, KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.CREATE)]


@pytest.mark.parametrize("text", [
    pytest.param(lambda body: json.dumps(body, indent=2), id="whitespace"),
    pytest.param(lambda body: json.dumps(body, sort_keys=True, separators=(",", ":")), id="compact-sorted"),
    pytest.param(lambda body: json.dumps({"widgets": [dict(reversed(list(widget.items()))) for widget in body["widgets"]]}),
                 id="key-order"),
])
def test_live_body_text_normalises_to_the_desired_body(topology: Topology, text: Callable[[dict[str, Any]], str]) -> None:
    desired = dashboard_body(topology, CONTEXT)
    assert canonical_json(text(desired)) == desired
