"""A pattern that can never match is refused: fields, enum values and operator types against the schemas."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from cabructl.topology import Topology, load_topology
from cabructl.topology.pattern_checks import check_patterns_against_schemas, written_path
from support import TOPOLOGY


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(str(TOPOLOGY))


def references(topology: Topology, rule: str, pattern: dict[str, Any]) -> list[str]:
    changed = dataclasses.replace(topology.rules[rule], pattern=pattern)
    probe = dataclasses.replace(topology, rules={rule: changed})
    return [reference for _, reference, _, _ in check_patterns_against_schemas(probe)]


@pytest.mark.parametrize("pattern", [
    {"source": ["cabruca.agents.tester"], "detail": {"status": ["FAILED"]}},
    {"detail": {"status": ["FAILED"]}},  # any source: test results and code changes both have a status
    {"detail": {"status": ["MERGED"]}},
    {"source": ["cabruca.agents.monitor"], "detail": {"severity": [{"anything-but": ["LOW"]}], "metrics": {"p95": [{"numeric": [">", 1]}]}}},
    {"$or": [{"source": ["cabruca.agents.monitor"], "detail": {"severity": ["HIGH"]}}, {"detail": {"status": ["ERROR"]}}]},
    {"source": ["cabruca.agents.monitor"], "detail": {"affectedResources": [{"prefix": "seg"}]}},
], ids=["tester-status", "any-source", "code-change-status", "open-map-and-anything-but", "or-branches", "array-of-strings"])
def test_a_pattern_some_event_can_satisfy_passes(topology: Topology, pattern: dict[str, Any]) -> None:
    assert references(topology, "failed-tests", pattern) == []


@pytest.mark.parametrize("pattern, reference", [
    ({"source": ["cabruca.agents.monitor"], "detail": {"status": ["FAILED"]}}, "pattern-field-never-present"),  # issues have no status
    ({"source": ["cabruca.agents.tester"], "detail": {"status": ["FAILD"]}}, "pattern-value-not-in-enum"),
    ({"source": ["cabruca.agents.tester"], "detail": {"status": [{"numeric": [">", 1]}]}}, "pattern-type-mismatch"),
    ({"$or": [{"detail": {"severty": ["HIGH"]}}, {"detail": {"status": ["ERROR"]}}]}, "pattern-field-never-present"),
], ids=["field-of-other-events", "misspelt-enum", "numeric-on-string", "misspelt-in-or-branch"])
def test_a_pattern_no_event_can_satisfy_is_refused(topology: Topology, pattern: dict[str, Any], reference: str) -> None:
    assert references(topology, "failed-tests", pattern) == [reference]


def test_findings_point_at_the_key_as_written_dotted_nested_or_in_a_branch() -> None:
    assert written_path({"detail": {"host.zone": ["a"]}}, ("detail", "host", "zone")) == ("detail", "host.zone")
    assert written_path({"detail.host": {"zone": ["a"]}}, ("detail", "host", "zone")) == ("detail.host", "zone")
    assert written_path({"$or": [{"a": [1]}, {"detail": {"x": [1]}}]}, ("detail", "x")) == ("$or", 1, "detail", "x")


def test_a_schema_change_removing_a_value_a_rule_routes_on_names_that_rule(topology: Topology) -> None:
    """Removing CRITICAL from the issue schema breaks routing: the critical-issues rule says so, at its line."""
    import copy

    schema = topology.schemas["IssueDetectionEvent"]
    content = copy.deepcopy(schema.content)
    severity = content["components"]["schemas"]["IssueDetectionEvent"]["properties"]["severity"]
    severity["enum"] = [value for value in severity["enum"] if value != "CRITICAL"]
    changed = dataclasses.replace(topology, schemas={**topology.schemas, schema.name: dataclasses.replace(schema, content=content)})
    found = [(path, reference) for path, reference, _, _ in check_patterns_against_schemas(changed)]
    assert found == [(("rules", "critical-issues", "pattern", "detail", "severity"), "pattern-value-not-in-enum")]
