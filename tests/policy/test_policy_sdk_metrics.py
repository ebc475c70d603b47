"""The agent SDK's metrics in the bill: per-agent lines in `cabructl cost`, their own CloudWatch line in `policy check`.

`cost` reads what the SDK really published (EventsPublished per Agent and DetailType,
written here through the SDK's own PutMetricData telemetry into moto); `policy check`
counts the custom metrics the SDK would create for the declared agents.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from cabructl.agents.telemetry import PutMetricDataTelemetry
from cabructl.cli import cli
from cabructl.output.policy import render_json, render_markdown, render_text
from cabructl.policy import evaluate_policy
from cabructl.topology import load_topology
from support import TOPOLOGY, edit_topology

NAMESPACE = "Cabruca/prod/Agents"


@pytest.fixture
def cloudwatch() -> Iterator[object]:
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="sa-east-1")


def sdk_published(cloudwatch: object, counts: dict[tuple[str, str], int]) -> None:
    """What agents with telemetry on would have sent: one published outcome per event."""
    telemetry = PutMetricDataTelemetry(NAMESPACE, lambda: cloudwatch, background=False)
    for (agent, detail_type), events in counts.items():
        for _ in range(events):
            telemetry.published(agent, detail_type, "published", 0.02)
    telemetry.flush()


def cost(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["cost", "-f", str(TOPOLOGY), *args])
    return result.exit_code, result.output


def test_cost_reports_each_agent_types_events_and_their_price(cloudwatch: object) -> None:
    sdk_published(cloudwatch, {("monitor", "Issue Detection Event"): 300, ("tester", "Test Results Event"): 120})
    code, output = cost("--format", "json")
    assert code == 0, output
    per_agent = json.loads(output)["per_agent"]
    assert per_agent["sdk_metrics_found"] is True and NAMESPACE in per_agent["source"]
    agents = per_agent["agents"]
    assert agents["monitor"] == {"published_events": 300, "cost_usd": pytest.approx(300 / 1e6)}  # 1.00 USD per million
    assert agents["tester"]["published_events"] == 120
    assert agents["product"] == {"published_events": None, "cost_usd": 0.0}


def test_cost_text_lists_the_agents(cloudwatch: object) -> None:
    sdk_published(cloudwatch, {("developer", "Code Change Event"): 2_500})
    code, output = cost()
    assert code == 0
    assert f"per agent (EventsPublished in {NAMESPACE}, seed prices):" in output
    assert "developer  2,500 events" in output and "product    no data" in output


def test_cost_says_plainly_when_no_sdk_metrics_exist(cloudwatch: object) -> None:
    code, output = cost("--days", "3")
    assert code == 0
    assert f"per agent: no SDK metrics in {NAMESPACE} for these 3 days" in output
    assert json.loads(cost("--format", "json")[1])["per_agent"]["sdk_metrics_found"] is False


def custom_metrics(report) -> dict:
    return json.loads(render_json(report))["services"]["cloudwatch"]["items"]["custom_metrics"]


def test_policy_check_prices_the_sdk_metrics_as_cloudwatch(evaluate) -> None:
    report = evaluate(TOPOLOGY)
    data = json.loads(render_json(report))
    metrics = custom_metrics(report)
    # 3 publish metrics × 4 agents with one event type each, 5 consume metrics × 3 consumer × received type
    # pairs (product: feature requests; developer: code changes, test results), at 0.30 USD (no free tier by default).
    assert (metrics["quantity"]["worst_case"], metrics["fixed"]) == (27, True)
    assert metrics["cost_usd"]["worst_case"] == pytest.approx(27 * 0.30)
    assert data["services"]["cloudwatch"]["in_eventbridge_scope"] is False
    assert data["projected_monthly_usd"]["worst_case"] == pytest.approx(report.model.total("worst_case").total)  # not added
    assert "custom_metrics: 27 metrics × 0.3 USD per metric = 8.10 USD (27 series in Cabruca/prod/Agents" in render_text(report, explain=True)
    assert "Amazon CloudWatch" in render_markdown(report)


def test_the_free_tier_is_opt_in(evaluate) -> None:
    assert custom_metrics(evaluate(TOPOLOGY, pricing="aws"))["cost_usd"]["worst_case"] == pytest.approx(27 * 0.30)
    report = evaluate_policy(load_topology(str(TOPOLOGY)), "aws", free_tier=True)
    assert custom_metrics(report)["cost_usd"]["worst_case"] == pytest.approx((27 - 10) * 0.30)


def test_no_metrics_without_agent_metrics(evaluate, topology_copy: Path) -> None:
    edit_topology(topology_copy, '  agent_metrics:\n    namespace: "Cabruca/{environment}/Agents"\n', "")
    report = evaluate(topology_copy)
    assert custom_metrics(report)["quantity"]["worst_case"] == 0
    assert "custom_metrics:" not in render_text(report, explain=True)
