"""Deployments of the real topology on the embedded endpoint, and out-of-band changes to them.

A module of its own (not conftest) so tests import it by a name no other test folder uses.
"""

from __future__ import annotations

import difflib

import functools
import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import boto3
from click.testing import CliRunner, Result

from cabructl.aws import Aws, AwsSettings
from cabructl.engine import Engine
from cabructl.topology import Topology, load_topology
from support import ROOT, edit_topology

REGION = "sa-east-1"
RENAMED_WIDGET = "Renamed by hand"


@dataclass
class Deployment:
    """One applied copy of the topology, and ways to poke at it out of band."""

    file: Path
    endpoint_url: str
    env: str | None = None

    def __post_init__(self) -> None:
        # Kept, not re-read: tests may break the file, and teardown still needs them.
        topology = self.topology
        self.prefix, self.bus, self.region = topology.prefix, topology.bus.name, topology.region

    @property
    def topology(self) -> Topology:
        """The file as it is now (tests edit it), parsed once per content."""
        return _load(str(self.file), self.file.read_text(encoding="utf-8"), self.env)

    def aws(self, **settings: Any) -> Aws:
        """A fresh boundary (its own call log) on the endpoint."""
        return Aws(AwsSettings(region=self.region, endpoint_url=self.endpoint_url, **settings))

    def engine(self, aws: Aws | None = None) -> Engine:
        return Engine(self.topology, aws or self.aws())

    def client(self, service: str) -> Any:
        return _client(service, self.endpoint_url, self.region)

    def apply(self) -> None:
        engine = self.engine()
        result = engine.apply(engine.plan(), allow_data_loss=True)
        assert result.ok, [outcome.error for outcome in result.failed]

    def release(self) -> None:
        """Delete the deployment's CloudWatch Logs resource policy: AWS (and moto) allow ten per
        account and region, and every test deployment shares the endpoint's one account."""
        logs = self.client("logs")
        for policy in logs.describe_resource_policies().get("resourcePolicies", []):
            if policy["policyName"].startswith(self.prefix):
                logs.delete_resource_policy(policyName=policy["policyName"])

    def cli(self, *args: str, input: str | None = None) -> Result:
        """``cabructl <args> -f FILE [--env ENV] --endpoint-url URL``."""
        from cabructl.cli import cli

        options = ["-f", str(self.file), "--endpoint-url", self.endpoint_url]
        if self.env:
            options += ["--env", self.env]
        return CliRunner().invoke(cli, [args[0], *options, *args[1:]], input=input, catch_exceptions=False)

    # -- out-of-band changes, as someone with console access would make them -------------------
    def queue_url(self, logical: str) -> str:
        return self.client("sqs").get_queue_url(QueueName=self.prefix + logical)["QueueUrl"]

    def queue_arn(self, logical: str) -> str:
        url = self.queue_url(logical)
        return self.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def set_queue_attribute(self, logical: str, name: str, value: str) -> None:
        """SetQueueAttributes, re-sending the queue policy: moto drops it otherwise (AWS keeps it)."""
        sqs = self.client("sqs")
        url = self.queue_url(logical)
        current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value, **({"Policy": current["Policy"]} if "Policy" in current else {})})

    def put_pattern(self, rule_logical: str, pattern: dict[str, Any]) -> None:
        events = self.client("events")
        rule = events.describe_rule(Name=self.prefix + rule_logical, EventBusName=self.bus)
        events.put_rule(Name=rule["Name"], EventBusName=self.bus, EventPattern=json.dumps(pattern),
                        State=rule["State"], Description=rule.get("Description", ""))

    def target(self, rule_logical: str, target_id: str) -> dict[str, Any]:
        targets = self.client("events").list_targets_by_rule(Rule=self.prefix + rule_logical, EventBusName=self.bus)["Targets"]
        return next(target for target in targets if target["Id"] == target_id)

    def put_target(self, rule_logical: str, target: dict[str, Any]) -> None:
        response = self.client("events").put_targets(Rule=self.prefix + rule_logical, EventBusName=self.bus, Targets=[target])
        assert not response.get("FailedEntryCount"), response

    def delete_rule(self, rule_logical: str) -> None:
        events = self.client("events")
        name = self.prefix + rule_logical
        ids = [target["Id"] for target in events.list_targets_by_rule(Rule=name, EventBusName=self.bus)["Targets"]]
        if ids:
            events.remove_targets(Rule=name, EventBusName=self.bus, Ids=ids)
        events.delete_rule(Name=name, EventBusName=self.bus)

    def put_alarm_threshold(self, threshold: float) -> None:
        cloudwatch = self.client("cloudwatch")
        alarm = cloudwatch.describe_alarms(AlarmNamePrefix=self.prefix)["MetricAlarms"][0]
        kept = ("AlarmName", "AlarmDescription", "Namespace", "MetricName", "Dimensions", "Statistic", "Period",
                "EvaluationPeriods", "ComparisonOperator", "TreatMissingData", "ActionsEnabled", "AlarmActions")
        cloudwatch.put_metric_alarm(**{key: alarm[key] for key in kept if key in alarm}, Threshold=threshold)

    def topic_arn(self, logical: str) -> str:
        topics = self.client("sns").list_topics()["Topics"]
        return next(topic["TopicArn"] for topic in topics if topic["TopicArn"].endswith(":" + self.prefix + logical))

    def retitle_dashboard_widget(self, title: str) -> None:
        cloudwatch = self.client("cloudwatch")
        name = cloudwatch.list_dashboards(DashboardNamePrefix=self.prefix)["DashboardEntries"][0]["DashboardName"]
        body = json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"])
        body["widgets"][0]["properties"]["title"] = title
        cloudwatch.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))


@functools.lru_cache(maxsize=64)
def _load(file: str, text: str, env: str | None) -> Topology:
    return load_topology(file, env)


@functools.lru_cache(maxsize=None)
def _client(service: str, endpoint_url: str, region: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region)


Deploy = Callable[..., Deployment]


def copy_topology(folder: Path) -> Path:
    """topology.yaml and schemas/ in ``folder``, renamed so nothing collides with other tests."""
    project = f"drift-{uuid.uuid4().hex[:8]}"
    file = folder / "topology.yaml"
    shutil.copy(ROOT / "topology.yaml", file)
    shutil.copytree(ROOT / "schemas", folder / "schemas")
    edit_topology(file, "project: cabruca-segmentation", f"project: {project}")
    edit_topology(file, "name: cabruca-agents-bus\n", f"name: {project}-bus\n")
    return file


def make_drift(deployment: Deployment, *, queue_attributes: bool = True) -> None:
    """The out-of-band changes test_drift_detect expects, each as someone at the console would make it."""
    if queue_attributes:
        deployment.set_queue_attribute("cicd-changes", "MessageRetentionPeriod", "604800")
    deployment.put_pattern("critical-issues", {"source": ["cabruca.agents.monitor"], "detail-type": ["Issue Detection Event"],
                                               "detail": {"severity": ["CRITICAL"]}})
    target = deployment.target("failed-tests", "failed-tests-queue")
    deployment.put_target("failed-tests", {**target, "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 3600}})
    deployment.put_alarm_threshold(9000.0)
    deployment.client("sns").tag_resource(ResourceArn=deployment.topic_arn("critical-alerts"),
                                          Tags=[{"Key": "Owner", "Value": "someone-else"}])
    deployment.retitle_dashboard_widget(RENAMED_WIDGET)
    deployment.client("sqs").delete_queue(QueueUrl=deployment.queue_url("test-investigation"))
    deployment.delete_rule("test-results-routing")
    deployment.put_target("code-change-routing", {"Id": "hand-added", "Arn": deployment.queue_arn("eventbridge-dlq")})


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """(removed, added) line pairs from a line-by-line diff; lone additions pair with ""."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return list(zip(removed + [""] * (len(added) - len(removed)), added))
