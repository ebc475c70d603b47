"""The public API other modules rely on: signatures, helpers, the rule set, robustness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import TOPOLOGY

import cabructl

from cabructl.errors import CabructlError
from cabructl.topology import load_topology
from cabructl.patterns import (
    PatternError,
    compile_pattern,
    compile_rules,
    pattern_fields,
    pattern_size,
    uses_wildcard,
    validate_pattern,
)

# The six routing rules of the real topology, as the product runs them.
CABRUCA_RULES = {name: rule.pattern for name, rule in load_topology(str(TOPOLOGY)).rules.items()}


def test_pattern_error_is_a_user_error_with_message_and_path() -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern({"detail": {"severity": [{"numeric": [">", "high"]}]}})
    error = caught.value
    assert isinstance(error, CabructlError) and isinstance(error, Exception)
    assert error.path == ("detail", "severity", 0, "numeric")
    assert str(error) == error.message == "Event pattern is not valid. Reason: Value of > must be numeric"


def test_compile_accepts_json_text_and_bytes() -> None:
    text = json.dumps(CABRUCA_RULES["critical-issues"])
    event = {"source": "cabruca.agents.monitor", "detail-type": "Issue Detection Event", "detail": {"severity": "HIGH"}}
    assert compile_pattern(text).matches(event)
    assert compile_pattern(text.encode()).matches(event)


def test_validate_never_raises_on_strange_input() -> None:
    for strange in (object(), {"a": {1, 2}}, b"\xff", float("inf"), {"a": [object()]}, {(1, 2): ["x"]}):
        assert all(isinstance(problem, PatternError) for problem in validate_pattern(strange))
        assert validate_pattern(strange)


def test_circular_pattern_is_refused_not_crashed() -> None:
    pattern: dict = {"a": ["x"]}
    pattern["self"] = pattern
    with pytest.raises(PatternError, match="nested more than"):
        compile_pattern(pattern)


def test_pattern_fields_are_dotted_leaf_paths_including_or_branches() -> None:
    pattern = {"source": ["a"], "detail": {"severity": ["HIGH"], "$or": [{"x": ["1"]}, {"y": {"z": [2]}}]}}
    assert pattern_fields(pattern) == {"source", "detail.severity", "detail.x", "detail.y.z"}
    assert pattern_fields(json.dumps(pattern)) == pattern_fields(compile_pattern(pattern))


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ({"f": [{"wildcard": "a*"}]}, True),
        ({"f": [{"anything-but": {"wildcard": "*/lib/*"}}]}, True),
        ({"$or": [{"a": ["1"]}, {"d": {"f": ["x", {"wildcard": "*.png"}]}}]}, True),
        ({"f": [{"prefix": "a*"}, "b*"]}, False),
        (CABRUCA_RULES["critical-issues"], False),
    ],
    ids=["wildcard", "anything-but-wildcard", "wildcard-in-or-branch", "stars-without-wildcard", "cabruca-rule"],
)
def test_uses_wildcard(pattern: dict, expected: bool) -> None:
    assert uses_wildcard(pattern) is expected


def test_pattern_size_is_compact_json_length() -> None:
    pattern = {"source": ["cabruca.agents.monitor"], "detail": {"city": ["São Paulo"]}}
    assert pattern_size(pattern) == len('{"source":["cabruca.agents.monitor"],"detail":{"city":["São Paulo"]}}')
    assert pattern_size(json.dumps(pattern, indent=4)) == pattern_size(pattern)
    assert pattern_size({}) == 2  # invalid patterns still have a size


def test_pattern_size_of_non_json_raises_pattern_error() -> None:
    with pytest.raises(PatternError):
        pattern_size("{nope")


@pytest.mark.parametrize(
    "event, expected",
    [
        ({"source": "cabruca.agents.monitor", "detail-type": "Issue Detection Event", "detail": {"severity": "CRITICAL"}},
         ["issue-detection-routing", "critical-issues"]),
        ({"source": "cabruca.agents.monitor", "detail-type": "Issue Detection Event", "detail": {"severity": "LOW"}},
         ["issue-detection-routing"]),
        ({"source": "cabruca.agents.tester", "detail-type": "Test Results Event", "detail": {"status": "FAILED"}},
         ["test-results-routing", "failed-tests"]),
        ({"source": "cabruca.agents.product", "detail-type": "Feature Request Event", "detail": {}},
         ["feature-request-routing"]),
        ({"source": "cabruca.agents.developer", "detail-type": "Code Change Event", "detail": {"status": "OPEN"}}, []),
        ({"source": ["cabruca.agents.tester", "cabruca.agents.product"],
          "detail-type": ["Test Results Event", "Feature Request Event"], "detail": {"status": "ERROR"}},
         ["feature-request-routing", "test-results-routing", "failed-tests"]),
        ("not an event", []),
    ],
    ids=["critical", "low", "failed-tests", "feature", "open-change", "array-anchors", "non-object-event"],
)
def test_rule_set_names_fired_rules_in_input_order(event: object, expected: list[str]) -> None:
    assert compile_rules(CABRUCA_RULES).matching(event) == expected


def test_rule_set_mixes_indexed_and_unindexed_rules_in_order() -> None:
    rules = compile_rules({
        "by-prefix": {"source": [{"prefix": "cabruca."}]},
        "by-source": {"source": ["cabruca.agents.monitor"]},
        "by-account": {"account": ["123"]},
        "by-or": {"$or": [{"source": ["x"]}, {"account": ["123"]}]},
    })
    event = {"source": "cabruca.agents.monitor", "account": "123"}
    assert rules.matching(event) == ["by-prefix", "by-source", "by-account", "by-or"]
    assert len(rules) == 4


def test_rule_set_names_the_rule_with_a_bad_pattern() -> None:
    with pytest.raises(PatternError) as caught:
        compile_rules({"good": {"source": ["a"]}, "bad": {"source": "a"}})
    assert caught.value.rule == "bad" and caught.value.path == ("source",)


def test_many_sources_fall_back_to_a_smaller_anchor() -> None:
    sources = [f"s{i}" for i in range(300)]
    rules = compile_rules({"wide": {"source": sources, "detail-type": ["a", "b"]}})
    assert rules.matching({"source": "s299", "detail-type": "b"}) == ["wide"]
    assert rules.matching({"source": "s299", "detail-type": "c"}) == []


def test_matching_survives_hostile_events() -> None:
    compiled = compile_pattern({"a": ["x"], "b": {"c": [{"exists": False}]}, "d": [{"anything-but": 1}]})
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    cyclic: list = ["y"]
    cyclic.append(cyclic)
    for value in (deep, cyclic, float("nan"), 10**400, b"x", object(), {"c": deep}):
        compiled.matches({"a": value, "b": value, "d": value})
    assert compiled.matches({"a": ["q", cyclic, "x"], "d": cyclic})


def test_import_is_light() -> None:
    """No submodule loads until a name is used, and ipaddress only for a cidr.

    Run without site (``-S``) because site hooks of the environment may import
    ipaddress themselves.
    """
    root = str(Path(cabructl.__file__).resolve().parents[1])
    code = (
        f"import sys; sys.path.insert(0, {root!r})\n"
        "import cabructl.patterns as p\n"
        "loaded = [m for m in sys.modules if m.startswith('cabructl.patterns.')]\n"
        "assert not loaded, loaded\n"
        "assert 'ipaddress' not in sys.modules\n"
        "p.compile_pattern({'a': ['b']})\n"
        "assert 'ipaddress' not in sys.modules\n"
        "p.compile_pattern({'a': [{'cidr': '10.0.0.0/8'}]})\n"
        "assert 'ipaddress' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-S", "-c", code], check=True)


@pytest.mark.parametrize(
    "operator, meant",
    [("Prefix", "prefix"), ("anythingBut", "anything-but"), ("equalsIgnoreCase", "equals-ignore-case")],
    ids=["capitalised", "camel-case", "camel-case-long"],
)
def test_misspelt_operator_gets_a_hint(operator: str, meant: str) -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern({"detail": {"state": [{operator: "x"}]}})
    assert caught.value.hint == f'did you mean "{meant}"?'
    with pytest.raises(PatternError) as labelled:
        compile_rules({"r": {"state": [{operator: "x"}]}})
    assert labelled.value.hint == caught.value.hint and labelled.value.rule == "r"  # survives labelling


def nest(depth: int, wrap) -> object:
    value: object = "x"
    for _ in range(depth):
        value = wrap(value)
    return value


HOSTILE_PATTERNS = {
    "deep-list-as-numeric-operator": {"a": [{"numeric": [nest(5000, lambda v: [v])]}]},
    "deep-list-as-numeric-upper-operator": {"a": [{"numeric": [">", 1, nest(5000, lambda v: [v]), 2]}]},
    "deep-tuple-as-operator-name": {"a": [{nest(5000, lambda v: (v,)): 1}]},
    "deep-tuple-as-anything-but-operator": {"a": [{"anything-but": {nest(5000, lambda v: (v,)): 1}}]},
    "deep-object-as-prefix": {"a": [{"prefix": nest(5000, lambda v: {"x": v})}]},
    "deep-object-in-or-branches": {"$or": [nest(5000, lambda v: {"x": v})] * 2},
    "deep-json-text": "[" * 100_000 + "]" * 100_000,
    "long-field-name": {"k" * 10_000: "x"},
}


@pytest.mark.parametrize("pattern", HOSTILE_PATTERNS.values(), ids=HOSTILE_PATTERNS.keys())
def test_hostile_patterns_get_a_short_pattern_error(pattern: object) -> None:
    problems = validate_pattern(pattern)
    assert problems and all(len(problem.message) < 300 for problem in problems)
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_deepest_accepted_pattern_compiles_and_matches() -> None:
    pattern = nest(99, lambda v: {"n": v} if isinstance(v, dict) else {"n": [v]})
    event = nest(99, lambda v: {"n": v})
    compiled = compile_pattern(pattern)
    assert compiled.matches(event)
    assert compile_rules({"deep": pattern}).matching(event) == ["deep"]
    with pytest.raises(PatternError, match="nested more than 100"):
        compile_pattern({"n": pattern, "m": {"o": pattern}})
