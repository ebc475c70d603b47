"""Paths of a target's input are checked against the schemas of the events that reach its rule."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from cabructl.topology import Topology, load_topology
from cabructl.topology.input_checks import check_target_input
from cabructl.topology.model import InputTransformer
from support import TOPOLOGY


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(str(TOPOLOGY))


def with_input(topology: Topology, rule: str, **settings: Any) -> Topology:
    """The topology with the rule's first target given these input settings."""
    target = dataclasses.replace(topology.rules[rule].targets[0], **settings)
    changed = dataclasses.replace(topology.rules[rule], targets=(target,))
    return dataclasses.replace(topology, rules={**topology.rules, rule: changed})


def findings(topology: Topology) -> list[tuple[str, str]]:
    return [(reference, message) for _, reference, message, _ in check_target_input(topology)]


@pytest.mark.parametrize("path", ["$.detail.severity", "$.detail.metrics", "$.detail.affectedResources[0]", "$.resources[0]",
                                  "$.detail", "$.time", "$", "$.detail.metrics.p95_latency_ms"])
def test_a_path_the_issue_schema_has_is_accepted(topology: Topology, path: str) -> None:
    assert findings(with_input(topology, "critical-issues", input_path=path)) == []


def test_a_misspelt_detail_field_is_named_with_the_schema_and_a_suggestion(topology: Topology) -> None:
    found = list(check_target_input(with_input(topology, "critical-issues", input_path="$.detail.severty")))
    [(_, reference, message, hint)] = found
    assert reference == "unknown-event-field" and "IssueDetectionEvent" in message and hint == 'did you mean "severity"?'


def test_a_field_only_other_events_have_is_refused_for_this_rule(topology: Topology) -> None:
    """`status` is a field of code changes and test results, not of the issues this rule receives."""
    assert [ref for ref, _ in findings(with_input(topology, "critical-issues", input_path="$.detail.status"))] == ["unknown-event-field"]
    assert findings(with_input(topology, "failed-tests", input_path="$.detail.status")) == []


def test_transformer_paths_are_checked_one_by_one(topology: Topology) -> None:
    transformer = InputTransformer({"sev": "$.detail.severity", "who": "$.detail.agentid", "odd": "$.detail[?(@.x)]"},
                                   '{"who": <who>, "sev": <sev>, "odd": <odd>}')
    references = [ref for ref, _ in findings(with_input(topology, "critical-issues", input_transformer=transformer))]
    assert references == ["unknown-event-field", "invalid-json-path"]


def test_two_input_settings_are_refused_as_putTargets_refuses_them(topology: Topology) -> None:
    [(reference, message)] = findings(with_input(topology, "critical-issues", input='{"a": 1}', input_path="$.detail"))
    assert reference == "invalid-target-input" and "Only one of Input, InputPath, or InputTransformer" in message
