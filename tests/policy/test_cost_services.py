"""`cabructl cost` per service: what CloudWatch counted beside the model's projection for the same window.

The counters are written into moto's CloudWatch as the services would write them (AWS/SQS per
QueueName, AWS/Logs per LogGroupName, AWS/SNS per TopicName); the model's figures come from the
real topology (seed prices, expected case), scaled from 30 days to the window.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Iterator

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from cabructl.cli import cli
from cabructl.policy.meters import projected_meters
from cabructl.policy.report import project
from cabructl.topology import load_topology
from support import TOPOLOGY

PREFIX = "cabruca-segmentation-prod-"
DAYS = 7


@pytest.fixture
def cloudwatch() -> Iterator[object]:
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="sa-east-1")


def counted(cloudwatch: object, namespace: str, metric: str, dimension: tuple[str, str] | None, value: float) -> None:
    dimensions = [{"Name": dimension[0], "Value": dimension[1]}] if dimension else []
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{  # type: ignore[attr-defined]
        "MetricName": metric, "Dimensions": dimensions, "Value": value, "Unit": "Count",
        "Timestamp": _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(hours=1)}])


def readings(*args: str) -> dict[str, list[dict]]:
    result = CliRunner().invoke(cli, ["cost", "-f", str(TOPOLOGY), "--days", str(DAYS), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["services"]


def reading(services: dict[str, list[dict]], service: str, metric: str, resource: str) -> dict:
    return next(item for item in services[service] if item["metric"] == metric and item["resource"] == resource)


def model_for_window(service: str, metric: str, resource: str) -> float:
    """The meter's expected month × 7 / 30, computed here from the meters themselves."""
    topology = load_topology(str(TOPOLOGY))
    model, policy_set = project(topology)
    meter = next(m for m in projected_meters(topology, model, policy_set.model)
                 if (m.service, m.metric, m.resource) == (service, metric, resource))
    return meter.monthly["expected"] * DAYS / 30


def test_each_service_sets_the_measured_figure_beside_the_model_and_their_ratio(cloudwatch: object) -> None:
    counted(cloudwatch, "AWS/Events", "PutEventsEntriesCount", None, 7_350)  # 1 % of the declared week
    counted(cloudwatch, "AWS/SQS", "NumberOfMessagesSent", ("QueueName", PREFIX + "product-requests"), 350)
    counted(cloudwatch, "AWS/Logs", "IncomingBytes", ("LogGroupName", "/aws/events/cabruca-segmentation-prod/agents"), 9_000_000)
    counted(cloudwatch, "AWS/SNS", "NumberOfMessagesPublished", ("TopicName", PREFIX + "critical-alerts"), 525)
    services = readings()

    assert set(services) == {"eventbridge", "logs", "sqs", "sns", "dynamodb"}
    sent = reading(services, "sqs", "NumberOfMessagesSent", "queue product-requests")
    # 5,000 feature requests a day, every one to product-requests: 35,000 in 7 days.
    assert sent["model"] == pytest.approx(35_000) == pytest.approx(model_for_window("sqs", "NumberOfMessagesSent", "queue product-requests"))
    assert (sent["measured"], sent["ratio"]) == (350, pytest.approx(0.01))
    # The week published 1 % of the declared volume: at that rate the model expects 350 sends, as measured.
    assert sent["model_at_observed_rate"] == pytest.approx(350) and sent["ratio_at_observed_rate"] == pytest.approx(1.0)
    logs = reading(services, "logs", "IncomingBytes", "log group agents")
    assert logs["ratio"] == pytest.approx(9_000_000 / model_for_window("logs", "IncomingBytes", "log group agents"))
    published = reading(services, "sns", "NumberOfMessagesPublished", "topic critical-alerts")
    assert published["ratio"] == pytest.approx(525 / 52_500)  # HIGH and CRITICAL: 15 % of 50,000 a day × 7


def test_a_metric_without_datapoints_is_no_data_not_zero(cloudwatch: object) -> None:
    services = readings()
    deleted = reading(services, "sqs", "NumberOfMessagesDeleted", "queue cicd-changes")
    assert deleted["measured"] is None and deleted["ratio"] is None and deleted["model"] > 0
    # Without PutEventsEntriesCount there is no observed rate to scale the model by.
    assert deleted["model_at_observed_rate"] is None


def test_empty_receives_do_not_scale_with_the_publish_rate(cloudwatch: object) -> None:
    counted(cloudwatch, "AWS/Events", "PutEventsEntriesCount", None, 7_350)
    empty = reading(readings(), "sqs", "NumberOfEmptyReceives", "queue product-requests")
    assert empty["traffic_driven"] is False
    assert empty["model"] == pytest.approx(DAYS * 86_400 / 20) == pytest.approx(empty["model_at_observed_rate"])


def test_text_output_has_the_per_service_table(cloudwatch: object) -> None:
    counted(cloudwatch, "AWS/SQS", "NumberOfMessagesSent", ("QueueName", PREFIX + "cicd-changes"), 84)
    result = CliRunner().invoke(cli, ["cost", "-f", str(TOPOLOGY), "--days", str(DAYS)])
    assert result.exit_code == 0, result.output
    assert "per service: CloudWatch's sums for these 7 days beside the model's expected case" in result.output
    row = next(line for line in result.output.splitlines() if "NumberOfMessagesSent" in line and "cicd-changes" in line)
    # APPROVED and MERGED, 30 % of 20,000 a day × 7 = 42,000; measured 84: a ratio of 0.002.
    assert row.split()[-6:-3] == ["84", "42,000", "0.002"]
