"""Every event is checked against its topology schema before it leaves the process."""

from __future__ import annotations

from typing import Any

import pytest

from cabructl.agents import EventBridgeAgent, EventValidationError, GenericEvent, UnknownEventError
from cabructl.agents.catalog import EventCatalog, validator_for
from cabructl.errors import CabructlError
from cabructl.topology import Topology

UUID = "6f1c1d34-8a52-4b7e-9a51-2f3f3c0c9a11"
VALID_ISSUE = {
    "issueId": UUID,
    "timestamp": "2024-01-15T10:00:00+00:00",
    "severity": "HIGH",
    "agentId": "monitor-001",
    "issueType": "PERFORMANCE",
    "description": "latency",
}


def problems(topology: Topology, detail: dict[str, Any], schema: str = "IssueDetectionEvent") -> list[str]:
    return EventCatalog(topology).kind(schema).problems(detail)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"severity": "SEVERE"}, "detail.severity: 'SEVERE' is not one of ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']"),
        ({"issueId": "not-a-uuid"}, "detail.issueId: 'not-a-uuid' is not a 'uuid'"),
        ({"timestamp": "yesterday"}, "detail.timestamp: 'yesterday' is not a 'date-time'"),
        ({"timestamp": "2024-01-15T10:00:00"}, "detail.timestamp: '2024-01-15T10:00:00' is not a 'date-time'"),  # no zone
        ({"metrics": {"p95": "slow"}}, "detail.metrics.p95: 'slow' is not of type 'number'"),
        ({"affectedResources": ["a", 3]}, "detail.affectedResources[1]: 3 is not of type 'string'"),
        ({"description": None}, "detail.description: None is not of type 'string'"),
    ],
    ids=["enum", "uuid", "date-time", "date-time-without-zone", "nested-number", "array-item", "type"],
)
def test_each_problem_names_its_field(topology: Topology, change: dict[str, Any], expected: str) -> None:
    assert problems(topology, {**VALID_ISSUE, **change}) == [expected]


def test_a_missing_required_field_is_named(topology: Topology) -> None:
    detail = {key: value for key, value in VALID_ISSUE.items() if key != "issueType"}
    assert problems(topology, detail) == ["detail.issueType: is required"]


def test_nested_required_fields_are_named(topology: Topology) -> None:
    detail = {"testRunId": UUID, "timestamp": "2024-01-15T10:00:00Z", "agentId": "t", "testType": "UNIT", "status": "PASSED",
              "summary": {"total": 1, "passed": 1, "failed": 0, "skipped": 0}}
    assert problems(topology, detail, "TestResultsEvent") == ["detail.summary.duration: is required"]


def test_the_valid_event_has_no_problems(topology: Topology) -> None:
    assert problems(topology, VALID_ISSUE) == []


def test_publishing_an_invalid_event_raises_before_any_call(topology: Topology) -> None:
    from cabructl.aws import Aws, AwsSettings

    aws = Aws(AwsSettings(region="sa-east-1", endpoint_url="http://127.0.0.1:9"))  # nothing listens: a call would fail differently
    agent = EventBridgeAgent("monitor-001", topology=topology, aws=aws)
    with pytest.raises(EventValidationError) as raised:
        agent.publish(GenericEvent("IssueDetectionEvent", {**VALID_ISSUE, "severity": "SEVERE", "issueId": "x"}))
    assert isinstance(raised.value, CabructlError)
    assert str(raised.value) == (
        "invalid Issue Detection Event: detail.issueId: 'x' is not a 'uuid'; "
        "detail.severity: 'SEVERE' is not one of ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']"
    )
    assert aws.calls.total == 0


def test_events_are_found_by_schema_name_or_detail_type(topology: Topology) -> None:
    catalog = EventCatalog(topology)
    assert catalog.kind("Issue Detection Event") is catalog.kind("IssueDetectionEvent")
    with pytest.raises(UnknownEventError, match='no event "Mystery Event"'):
        catalog.kind("Mystery Event")


def test_an_agent_may_only_publish_what_it_declares(topology: Topology) -> None:
    catalog = EventCatalog(topology)
    with pytest.raises(UnknownEventError, match='agent "product" does not declare IssueDetectionEvent'):
        catalog.agent_for(catalog.kind("IssueDetectionEvent"), "product")
    assert catalog.agent_for(catalog.kind("IssueDetectionEvent")).name == "monitor"


def test_validators_are_compiled_once(topology: Topology) -> None:
    schema = topology.schemas["IssueDetectionEvent"].detail_schema
    assert validator_for(schema) is validator_for(dict(schema))
    assert EventCatalog(topology).kind("IssueDetectionEvent").validator is EventCatalog(topology).kind("IssueDetectionEvent").validator


@pytest.mark.parametrize(
    ("value", "valid"),
    [("2024-01-15T10:00:00Z", True), ("2024-01-15T10:00:00.123+02:00", True), ("2024-01-15T10:00:00", False),
     ("2024-01-15", False), ("2024-13-45T99:00:00Z", False)],
)
def test_date_times_are_checked_even_without_rfc3339_validator(monkeypatch: pytest.MonkeyPatch, value: str, valid: bool) -> None:
    """jsonschema skips date-time silently when its optional package is missing; the SDK must not."""
    from jsonschema import FormatChecker

    from cabructl.agents.catalog import _format_checker

    monkeypatch.setattr(FormatChecker, "checkers", {k: v for k, v in FormatChecker.checkers.items() if k != "date-time"})
    assert "date-time" not in FormatChecker().checkers
    assert _format_checker().conforms(value, "date-time") is valid
