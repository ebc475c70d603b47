"""Out-of-band changes to deployments of the real topology, as someone at the console would make them.

A module of its own (not conftest) so tests import it by a name no other test folder uses.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Callable

from deployment import REGION, copy_topology
from deployment import Deployment as BaseDeployment

__all__ = ["REGION", "Deployment", "Deploy", "copy_topology", "make_drift", "changed_lines", "RENAMED_WIDGET"]

RENAMED_WIDGET = "Renamed by hand"


@dataclass
class Deployment(BaseDeployment):
    """One applied copy of the topology, and ways to poke at it out of band."""

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


Deploy = Callable[..., Deployment]


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
