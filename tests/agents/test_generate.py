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
