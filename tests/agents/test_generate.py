"""Generated details are valid for their schema and follow the agents' declared mix."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from cabructl.agents.catalog import EventCatalog
from cabructl.agents.generate import DetailGenerator
from cabructl.topology import Topology


@pytest.mark.parametrize("schema", ["IssueDetectionEvent", "FeatureRequestEvent", "CodeChangeEvent", "TestResultsEvent"])
def test_every_generated_detail_is_valid(topology: Topology, schema: str) -> None:
    kind = EventCatalog(topology).kind(schema)
    generator = DetailGenerator(kind.validator.schema, random.Random(1))
    problems = [problem for _ in range(300) for problem in kind.problems(generator.detail())]
    assert problems == []


def test_enum_values_follow_the_declared_mix(topology: Topology) -> None:
    kind = EventCatalog(topology).kind("IssueDetectionEvent")
    mix = topology.agents["monitor"].mix
    generator = DetailGenerator(kind.validator.schema, random.Random(2), mix)
    severities = Counter(generator.detail()["severity"] for _ in range(4000))
    for value, share in mix["severity"].items():
        assert severities[value] / 4000 == pytest.approx(share, abs=0.03)


def test_the_same_seed_gives_the_same_details(topology: Topology) -> None:
    schema = EventCatalog(topology).kind("CodeChangeEvent").validator.schema
    first, second = (DetailGenerator(schema, random.Random(5)).detail() for _ in range(2))
    first.pop("timestamp"), second.pop("timestamp")  # the time of generation, not random
    assert first == second


def test_details_follow_references_and_numeric_bounds_so_a_load_test_publishes_valid_events() -> None:
    from cabructl.agents.catalog import validator_for
    from cabructl.topology.openapi import detail_json_schema

    content = {"openapi": "3.0.0", "info": {"title": "Job", "version": "1"}, "paths": {}, "components": {"schemas": {
        "Job": {"type": "object", "required": ["owner", "retries", "score", "ratio", "tree"], "properties": {
            "owner": {"$ref": "#/components/schemas/Owner"},
            "retries": {"type": "integer", "minimum": 3, "maximum": 5},
            "score": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": True},
            "ratio": {"type": "integer", "maximum": -10},
            "tree": {"$ref": "#/components/schemas/Node"}}},
        "Owner": {"type": "object", "required": ["team"], "properties": {"team": {"type": "string", "enum": ["a", "b"]}}},
        "Node": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Node"}}}}}}
    schema = detail_json_schema("OpenApi3", content, "Job")
    validator = validator_for(schema)
    generator = DetailGenerator(schema, random.Random(3))
    details = [generator.detail() for _ in range(300)]
    assert [error.message for detail in details for error in validator.iter_errors(detail)] == []
    assert {detail["retries"] for detail in details} == {3, 4, 5}
    assert {detail["owner"]["team"] for detail in details} == {"a", "b"}
