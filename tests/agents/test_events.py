"""The typed events: seed-compatible construction, and enums that cannot drift from the schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from cabructl.agents import (
    CRITICAL_VALUES,
    FeatureRequestEvent,
    FeatureType,
    IssueDetectionEvent,
    IssueType,
    Priority,
    Severity,
    is_critical,
)
from cabructl.agents.events import TYPED_EVENTS, enum_drift
from cabructl.topology import Topology


def test_enums_equal_the_schema_enums(topology: Topology) -> None:
    assert enum_drift(topology) == []


def test_enum_drift_is_reported(topology: Topology) -> None:
    import copy

    drifted = copy.deepcopy(topology)
    properties = drifted.schemas["IssueDetectionEvent"].detail_schema["properties"]
    properties["severity"]["enum"] = ["LOW", "HIGH"]
    assert enum_drift(drifted) == [
        "IssueDetectionEvent.severity: Severity has ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'], the schema ['LOW', 'HIGH']"
    ]


def test_every_typed_event_has_a_schema_with_its_fields(topology: Topology) -> None:
    import dataclasses

    for event_class in TYPED_EVENTS:
        declared = set(topology.schemas[event_class.schema_name].detail_schema["properties"])
        fields = {field.name for field in dataclasses.fields(event_class)}
        assert fields == declared, event_class.__name__


def test_create_is_the_seeds_signature_with_generated_id_and_zoned_timestamp() -> None:
    issue = IssueDetectionEvent.create(agent_id="monitor-001", severity=Severity.HIGH, issue_type=IssueType.PERFORMANCE,
                                       description="High API latency detected", metrics={"p95": 5.2})
    detail = issue.to_detail()
    assert detail["severity"] == "HIGH" and detail["issueType"] == "PERFORMANCE" and detail["metrics"] == {"p95": 5.2}
    uuid.UUID(detail["issueId"])
    assert datetime.fromisoformat(detail["timestamp"]).utcoffset() is not None
    assert "affectedResources" not in detail  # unset optional fields are left out, as the seed did


def test_strings_are_accepted_where_the_seed_passed_strings() -> None:
    request = FeatureRequestEvent.create(agent_id="product-001", feature_type=FeatureType.ML_MODEL, priority="HIGH",
                                         description="multi-crop detection")
    assert request.priority == "HIGH" == Priority.HIGH


def test_ids_and_timestamps_may_be_supplied() -> None:
    issue = IssueDetectionEvent.create(agent_id="m", severity="LOW", issue_type="ERROR", description="d",
                                       issueId="00000000-0000-4000-8000-000000000000", timestamp="2024-01-15T10:00:00Z")
    assert issue.issueId == "00000000-0000-4000-8000-000000000000" and issue.timestamp == "2024-01-15T10:00:00Z"


def test_the_critical_table_names_real_schema_values(topology: Topology) -> None:
    for schema_name, (field, values) in CRITICAL_VALUES.items():
        enum = topology.schemas[schema_name].detail_schema["properties"][field]["enum"]
        assert values < set(enum), schema_name


@pytest.mark.parametrize(
    ("schema_name", "detail", "critical"),
    [
        ("IssueDetectionEvent", {"severity": "CRITICAL"}, True),
        ("IssueDetectionEvent", {"severity": "HIGH"}, True),
        ("IssueDetectionEvent", {"severity": "MEDIUM"}, False),
        ("IssueDetectionEvent", {"severity": "LOW"}, False),
        ("TestResultsEvent", {"status": "FAILED"}, True),
        ("TestResultsEvent", {"status": "PASSED"}, False),
        ("CodeChangeEvent", {"status": "MERGED"}, True),
        ("CodeChangeEvent", {"status": "IN_REVIEW"}, False),
        ("FeatureRequestEvent", {"priority": "URGENT"}, True),
        ("SomeFutureEvent", {"anything": 1}, True),  # not in the table: never sampled
    ],
)
def test_criticality(schema_name: str, detail: dict, critical: bool) -> None:
    assert is_critical(schema_name, detail) is critical
