"""Valid events of each kind, and dead letters as EventBridge writes them, for tests that need many."""

from __future__ import annotations

import json
from typing import Any

from cabructl.agents import (
    ChangeStatus,
    ChangeType,
    CodeChangeEvent,
    FeatureRequestEvent,
    FeatureType,
    IssueDetectionEvent,
    IssueType,
    Priority,
    Severity,
    TestResultsEvent,
    TestStatus,
    TestType,
)
from cabructl.aws import Aws


def issue(severity: Severity | str = Severity.LOW, description: str = "disk almost full", **kwargs: Any) -> IssueDetectionEvent:
    return IssueDetectionEvent.create(agent_id="monitor-test", severity=severity, issue_type=IssueType.ERROR,
                                      description=description, **kwargs)


def feature(priority: Priority | str = Priority.MEDIUM) -> FeatureRequestEvent:
    return FeatureRequestEvent.create(agent_id="product-test", feature_type=FeatureType.API, priority=priority,
                                      description="bulk export")


def change(status: ChangeStatus | str = ChangeStatus.PROPOSED) -> CodeChangeEvent:
    return CodeChangeEvent.create(agent_id="dev-test", repository="cabruca", branch="main", change_type=ChangeType.BUGFIX,
                                  status=status)


def run_results(status: TestStatus | str = TestStatus.PASSED) -> TestResultsEvent:
    return TestResultsEvent.create(agent_id="tester-test", test_type=TestType.UNIT, status=status,
                                   summary={"total": 3, "passed": 3, "failed": 0, "skipped": 0, "duration": 1.5})


RULE_ARN = "arn:aws:events:sa-east-1:123456789012:rule/cabruca-agents-bus/cabruca-segmentation-prod-issue-detection-routing"


def failed_event(detail: dict[str, Any], source: str = "cabruca.agents.monitor", detail_type: str = "Issue Detection Event") -> dict[str, Any]:
    """An event as EventBridge writes it into a dead-letter queue."""
    return {"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": detail_type, "source": source,
            "account": "123456789012", "time": "2024-01-15T10:00:00Z", "region": "sa-east-1", "resources": [], "detail": detail}


def send_dead_letter(aws: Aws, url: str, body: str, *, error_code: str = "SDK_CLIENT_ERROR") -> str:
    """Put ``body`` in the queue as EventBridge would; returns its message id."""
    attributes = {"RULE_ARN": RULE_ARN, "TARGET_ARN": "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/events/agents",
                  "ERROR_CODE": error_code, "ERROR_MESSAGE": "Log group does not exist", "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
                  "RETRY_ATTEMPTS": "3"}
    return aws.client("sqs").send_message(QueueUrl=url, MessageBody=body, MessageAttributes={
        k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()})["MessageId"]
