"""`cabructl cost`: AWS/Events metrics from CloudWatch (moto in-process) priced against the budget."""

from __future__ import annotations

import datetime as dt
import json
from typing import Iterator

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from cabructl.cli import cli
from support import TOPOLOGY

BUS = "cabruca-agents-bus"
PREFIX = "cabruca-segmentation-prod-"


@pytest.fixture
def cloudwatch() -> Iterator[object]:
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="sa-east-1")


def put(cloudwatch: object, metric: str, value: float, days_ago: float = 0.5, **dimensions: str) -> None:
    cloudwatch.put_metric_data(Namespace="AWS/Events", MetricData=[{
        "MetricName": metric, "Value": value, "Unit": "Count",
        "Timestamp": dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago),
        "Dimensions": [{"Name": name, "Value": text} for name, text in dimensions.items()],
    }])


def put_rule_matches(cloudwatch: object, counts: dict[str, float]) -> None:
    for rule, count in counts.items():
        put(cloudwatch, "MatchedEvents", count, EventBusName=BUS, RuleName=PREFIX + rule)


def cost(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["cost", "-f", str(TOPOLOGY), *args])
    return result.exit_code, result.output


def test_usage_priced_and_projected(cloudwatch: object) -> None:
    put(cloudwatch, "PutEventsEntriesCount", 70_000)
    put_rule_matches(cloudwatch, {"issue-detection-routing": 40_000, "critical-issues": 10_000, "test-results-routing": 50_000})
    put(cloudwatch, "MatchedEvents", 40_000, days_ago=30)  # outside the 7-day window
    code, output = cost("--days", "7", "--format", "json")
    data = json.loads(output)
    assert code == 0, output
    spent = 70_000 / 1e6 * 1.00 + 100_000 / 1e6 * 0.64  # seed prices: 0.134 USD
    assert data["published_events"] == 70_000 and data["rule_matches"] == 100_000
    assert data["cost_so_far_usd"] == pytest.approx(spent)
    assert data["projected_month"] == pytest.approx({"events": 70_000 * 30 / 7, "usd": spent * 30 / 7})
    budget_events = 10 / ((1.00 + 100_000 / 70_000 * 0.64) / 1e6)  # at the observed 1.43 matches per event
    assert data["budget_events_per_month"] == pytest.approx(budget_events)
    assert data["remaining_events"] == pytest.approx(budget_events - 300_000)
    assert data["over_alert"] is False


def test_warning_past_the_alert_share(cloudwatch: object) -> None:
    put(cloudwatch, "PutEventsEntriesCount", 2_000_000)
    put_rule_matches(cloudwatch, {"issue-detection-routing": 2_000_000})
    code, output = cost("--days", "7")
    projected = (2.00 + 2.00 * 0.64) * 30 / 7  # 14.06 USD
    assert code == 0
    assert f"8,571,429 events, {projected:,.2f} USD" in output
    assert f"warning: the projected month ({projected:,.2f} USD) is past the alert share of the budget (9.00 USD)" in output


def test_published_inferred_without_put_events_metric(cloudwatch: object) -> None:
    put_rule_matches(cloudwatch, {"issue-detection-routing": 30_810})
    data = json.loads(cost("--days", "1", "--format", "json")[1])
    # At the model's expected mix, 3,081,000 matches come with 3,150,000 published events.
    assert data["published_events"] == pytest.approx(30_810 * 3_150_000 / 3_081_000)
    assert data["published_basis"].startswith("inferred from MatchedEvents")


def test_no_metrics_yet(cloudwatch: object) -> None:
    code, output = cost()
    assert code == 0 and "0 events, 0.00 USD" in output
