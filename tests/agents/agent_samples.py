"""Valid events of each kind, for tests that need many of them."""

from __future__ import annotations

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

