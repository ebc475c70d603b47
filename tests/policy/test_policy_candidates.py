"""Candidate events: which fields are enumerated, relaxed or absent, and how shares are weighed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cabructl.policy.candidates import ABSENT, EventSpace, MatchTable, relax, pattern_paths
from cabructl.topology.model import EventSchema

DETAIL = {
    "type": "object",
    "required": ["level"],
    "properties": {
        "level": {"type": "string", "enum": ["LOW", "HIGH"]},
        "kind": {"type": "string", "enum": ["A", "B", "C"]},
        "urgent": {"type": "boolean"},
        "owner": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}},
    },
}


def schema(detail: dict = DETAIL) -> EventSchema:
    return EventSchema("Thing", "src", "Thing Happened", "", "JSONSchemaDraft4", detail, None, None, {}, ("schemas", "events", "Thing"))


def table(*patterns: dict, max_candidates: int = 4096) -> MatchTable:
    named = {f"r{index}": pattern for index, pattern in enumerate(patterns)}
    paths = {path for pattern in named.values() for path in pattern_paths(pattern)}
    return MatchTable(EventSpace(schema(), "sa-east-1", paths, max_candidates), named)


def test_tested_paths_follow_nesting_and_or() -> None:
    pattern = {"source": ["src"], "detail": {"level": ["HIGH"], "$or": [{"kind": ["A"]}, {"owner": [{"prefix": "a"}]}]}}
    assert sorted(pattern_paths(pattern)) == [("detail", "kind"), ("detail", "level"), ("detail", "owner"), ("source",)]


@pytest.mark.parametrize("pattern, free, relaxed", [
    pytest.param({"detail": {"owner": ["me"]}}, {("detail", "owner")}, None, id="only-free-field"),
    pytest.param({"source": ["s"], "detail": {"owner": ["me"]}}, {("detail", "owner")}, {"source": ["s"]}, id="parent-emptied"),
    pytest.param({"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {("b",)}, None, id="or-branch-always-true"),
    pytest.param({"$or": [{"a": ["1"]}, {"b": ["2"]}]}, set(), {"$or": [{"a": ["1"]}, {"b": ["2"]}]}, id="or-kept"),
])
def test_relax(pattern: dict, free: set, relaxed: dict | None) -> None:
    assert relax(pattern, frozenset(free)) == relaxed


def test_enumerations_optional_fields_and_free_fields() -> None:
    space = EventSpace(schema(), "sa-east-1", {("detail", "level"), ("detail", "kind"), ("detail", "urgent"),
                                               ("detail", "owner"), ("detail", "tags"), ("detail", "missing"), ("account",)}, 4096)
    domains = {domain.path: domain.values for domain in space.domains}
    assert domains[("detail", "level")] == ("LOW", "HIGH")  # required: never absent
    assert domains[("detail", "kind")] == ("A", "B", "C", ABSENT)  # optional
    assert domains[("detail", "urgent")] == (True, False, ABSENT)
    assert space.free == {("detail", "owner"), ("detail", "tags"), ("account",)}
    assert ("detail", "missing") not in domains  # undeclared: absent from every candidate
    assert len(space.candidates()) == 2 * 4 * 3


def test_free_conditions_are_assumed_to_match() -> None:
    matches = table({"detail": {"owner": [{"prefix": "team-"}]}})
    assert matches.worst_share("r0") == 1.0


def test_exists_false_on_an_optional_field() -> None:
    matches = table({"detail": {"kind": [{"exists": False}]}})
    assert matches.worst_share("r0") == 1.0
    assert matches.expected_share("r0", {"kind": {"A": 0.5, "B": 0.5}}) == 0.0


def test_expected_share_combines_independent_fields() -> None:
    matches = table({"detail": {"level": ["HIGH"], "kind": ["A", "B"]}})
    share = matches.expected_share("r0", {"level": {"LOW": 0.8, "HIGH": 0.2}, "kind": {"A": 0.25, "B": 0.25, "C": 0.5}})
    assert share == pytest.approx(0.2 * 0.5)


def test_expected_share_without_mix_is_the_worst_case() -> None:
    matches = table({"detail": {"level": ["HIGH"]}})
    assert matches.expected_share("r0", {}) == 1.0


def test_too_many_combinations_relax_the_widest_field() -> None:
    space = EventSpace(schema(), "sa-east-1", {("detail", "level"), ("detail", "kind")}, max_candidates=2)
    assert [domain.path for domain in space.domains] == [("detail", "level")]
    assert ("detail", "kind") in space.free


shares = st.floats(min_value=0, max_value=1, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(level=st.dictionaries(st.sampled_from(["LOW", "HIGH", "TYPO"]), shares),
       kind=st.dictionaries(st.sampled_from(["A", "B", "C"]), shares),
       wanted=st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, unique=True))
def test_expected_share_never_exceeds_the_worst_case(level: dict, kind: dict, wanted: list) -> None:
    matches = table({"detail": {"level": ["HIGH"], "kind": wanted}})
    share = matches.expected_share("r0", {"level": level, "kind": kind})
    assert 0.0 <= share <= matches.worst_share("r0") + 1e-12
