"""Complexity limits and dotted paths: the numbers and decisions behind them.

Complexity values are pinned by aws/event-ruler itself: MachineComplexityEvaluatorCorpus
(machines built from JSON rules, as EventBridge builds them) and the JSON-rule cases of
MachineComplexityEvaluatorTest. EventBridge refuses a rule above 10 (the corpus'
"per-rule maximum of 10 ... rejects on complexity > max", evaluated with a cap of 11).
"""

from __future__ import annotations

import pytest

from cabructl.patterns import PatternError, compile_pattern, compile_rules, pattern_fields, validate_pattern
from cabructl.patterns.complexity import or_combinations, wildcard_complexity
from cabructl.patterns.grammar import MAX_OR_COMBINATIONS, MAX_WILDCARD_COMPLEXITY, TOO_COMPLEX
from cabructl.patterns.parser import PatternParser
from cabructl.patterns.ruleset import pinned_fields

UNCAPPED = 1_000_000
QUAMINA_EXPLODER = [
    "aahed*", "aal*ii", "aargh*", "aarti*", "a*baca", "*abaci", "a*back", "ab*acs", "abaf*t", "*abaka", "ab*amp",
    "a*band", "*abase", "abash*", "abas*k", "ab*ate", "aba*ya", "abbas*", "abbed*", "ab*bes", "abbey*", "*abbot",
    "ab*cee", "abea*m", "abe*ar", "a*bele", "a*bers", "abet*s", "*abhor", "abi*de", "a*bies", "*abled",
]
LEADING_STARS = ["*kiwi*", "*BASE_QuxB*", "*Delta*", "*a/example-lake-abc98765432*"]


def wildcards(*texts: str) -> list[dict]:
    return [{"wildcard": text} for text in texts]


def leading_star_set(count: int) -> list[dict]:
    return wildcards(*("*" + chr(ord("a") + i % 26) + chr(ord("a") + i // 26) + "*" for i in range(count)))


def measured(pattern: dict, cap: int = UNCAPPED) -> int:
    """The complexity of a pattern, measured even past the limit (the parser would refuse it)."""
    parser = PatternParser()
    tree = parser.object_node(pattern, (), depth=1, inside_or=False)
    assert tree is not None and not parser.problems
    return wildcard_complexity(tree, cap)


VALUE_LISTS = {
    "aaa": ["ErrCodeOne", "ErrCodeTwo"],
    "bbb": [f"MakeThing{i}" for i in range(25)] + [f"DropThing{i}" for i in range(25)],
    "ccc": [f"svc{i:02d}.example.com" for i in range(21)],
    "zzz": [{"anything-but": {"wildcard": LEADING_STARS}}],
}

EVENT_RULER_VALUES = [
    pytest.param({"key": wildcards(*QUAMINA_EXPLODER)}, 45, id="corpus-quamina-exploder"),
    pytest.param({"key": [{"anything-but": {"wildcard": LEADING_STARS}}]}, 7, id="corpus-anything-but-set"),
    pytest.param({"key": wildcards(*LEADING_STARS)}, 12, id="corpus-leading-star-plain-wildcards"),
    pytest.param(VALUE_LISTS, 7, id="corpus-value-lists-then-anything-but"),
    pytest.param({"zzz": wildcards("*a" * 50 + "*")}, 101, id="corpus-multi-star-50"),
    pytest.param({"zzz": leading_star_set(4)}, 12, id="corpus-leading-star-set-4"),
    pytest.param({"zzz": leading_star_set(8)}, 24, id="corpus-leading-star-set-8"),
    pytest.param({"zzz": wildcards("*a*a*a*")}, 7, id="test-wildcard-of-complexity-7"),
    pytest.param({"zzz": wildcards("*a*a*a*a*a*a*")}, 13, id="test-wildcard-of-complexity-13"),
    pytest.param({"zzz": wildcards("*z*")}, 3, id="test-star-z-star"),
    pytest.param({"zzz": wildcards("abc*def")}, 2, id="test-abc-star-def"),
    pytest.param({"abc": [{"prefix": "a"}, "abcdef", {"suffix": "z"}],
                  "def": [{"prefix": "b"}, {"wildcard": "a*a*a*a*a*a*"}, {"suffix": "c"}],
                  "ghi": [{"prefix": "a"}, "abcdef", {"suffix": "z"}]}, 11, id="test-nested-machines"),
    pytest.param({"aaa": [{"exists": True}], "zzz": wildcards("*z*")}, 3, id="test-behind-present-key"),
    pytest.param({"zzz": [{"exists": False}], "aaa": wildcards("*a*a*a*")}, 7, id="test-absent-key-sorts-after"),
    pytest.param({"aaa": ["x", {"exists": False}], "zzz": wildcards("*a*a*a*")}, 7, id="test-absent-or-value"),
]


@pytest.mark.parametrize("pattern, expected", EVENT_RULER_VALUES)
def test_complexity_is_event_rulers(pattern: dict, expected: int) -> None:
    assert measured(pattern) == expected


def test_capped_evaluation_stops_at_the_cap() -> None:
    """A leading-star set of 16 takes event-ruler minutes uncapped; capped, it stops at once."""
    assert measured({"zzz": leading_star_set(16)}, cap=MAX_WILDCARD_COMPLEXITY + 1) == MAX_WILDCARD_COMPLEXITY + 1
    assert measured({"zzz": wildcards("F*e*a*t*u*r*e*" * 100)}, cap=11) == 11


def test_machines_reached_only_through_exists_false_are_not_measured() -> None:
    """EventBridge keeps event-ruler's evaluation from before 2.1.0 (aws/event-ruler#270, #278):
    a field sorting after an ``exists: false`` key, reached through no value, is not walked."""
    behind = {"aaa": [{"exists": False}], "zzz": wildcards("*a*a*a*a*a*a*")}
    assert measured(behind) == 0
    assert validate_pattern(behind) == []
    assert measured({"aaa": {"inner": [{"exists": False}]}, "zzz": wildcards("*a*a*a*")}) == 0
    mixed = {"aaa": wildcards("*a*"), "mmm": [{"exists": False}], "zzz": wildcards("*a*a*a*")}
    assert measured(mixed) == 3


@pytest.mark.parametrize("count, refused", [(10, False), (11, True)])
def test_the_limit_is_ten(count: int, refused: bool) -> None:
    pattern = {"f": wildcards(*(f"{chr(ord('a') + i)}*" for i in range(count)))}
    assert measured(pattern) == count
    assert bool(validate_pattern(pattern)) is refused


@pytest.mark.parametrize("pattern", [
    {"f": wildcards("*a*a*a*a*a*")},
    {key: {"$or": [{"n": [i]} for i in range(count)]} for key, count in (("a", 7), ("b", 11), ("c", 13))},
])
def test_too_complex_is_awss_exact_message(pattern: dict) -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern(pattern)
    assert caught.value.reason == TOO_COMPLEX
    assert caught.value.message == "Event pattern is not valid. Reason: " + TOO_COMPLEX


def test_or_combinations_multiply_across_groups_and_add_within_one() -> None:
    parser = PatternParser()
    nested = {"$or": [{"a": ["1"]}, {"b": ["2"], "$or": [{"c": ["3"]}, {"d": ["4"]}, {"e": ["5"]}]}]}
    assert or_combinations(parser.object_node(nested, (), 1, False)) == 4
    thousand = {key: {"$or": [{"n": [i]} for i in range(10)]} for key in "abc"}
    assert or_combinations(parser.object_node(thousand, (), 1, False)) == MAX_OR_COMBINATIONS
    assert validate_pattern(thousand) == []


def test_or_branches_on_one_field_share_its_machine() -> None:
    """Each branch alone is fine; together they are one machine (the same field, the same step)."""
    alone = {"f": wildcards("*a*a*a*")}
    assert validate_pattern(alone) == []
    assert measured({"$or": [alone, {"f": wildcards("*b*b*b*")}]}) > MAX_WILDCARD_COMPLEXITY
    assert validate_pattern({"$or": [alone, {"g": wildcards("*b*b*b*")}]}) == []


def test_duplicate_dotted_path_keeps_the_later_values() -> None:
    """event-ruler compiles with rule overriding (its default): a path given twice keeps
    the list written last, as JSON text with a duplicate key does."""
    assert compile_pattern({"a.b": ["1"], "a": {"b": ["2"]}}).tree == compile_pattern({"a": {"b": ["2"]}}).tree
    assert compile_pattern({"a": {"b": ["2"]}, "a.b": ["1"]}).tree == compile_pattern({"a": {"b": ["1"]}}).tree
    assert compile_pattern('{"a": {"b": ["1"]}, "a": {"b": ["2"]}}').tree == compile_pattern({"a.b": ["2"]}).tree


def test_dotted_keys_and_nesting_are_one_tree() -> None:
    spellings = [{"detail": {"state.status": ["running"]}}, {"detail.state.status": ["running"]},
                 {"detail.state": {"status": ["running"]}}, {"detail": {"state": {"status": ["running"]}}}]
    trees = {compile_pattern(pattern).tree for pattern in spellings}
    assert len(trees) == 1


def test_merged_objects_keep_every_or_group() -> None:
    """Two $or groups meeting at one path must both hold: (x or y) and (z or w)."""
    compiled = compile_pattern({"a.b": {"$or": [{"x": ["1"]}, {"y": ["2"]}]},
                                "a": {"b": {"$or": [{"z": ["3"]}, {"w": ["4"]}]}}})
    assert compiled.matches({"a": {"b": {"x": "1", "w": "4"}}})
    assert compiled.matches({"a.b": {"y": "2"}, "a": {"b.z": "3"}})
    assert not compiled.matches({"a": {"b": {"x": "1"}}})


def test_pattern_fields_and_index_use_the_flattened_path() -> None:
    assert pattern_fields({"detail.state": ["x"], "detail": {"kind": ["y"]}}) == {"detail.state", "detail.kind"}
    assert pattern_fields({"$or": [{"a.b": ["1"]}, {"a": {"c": ["2"]}}]}) == {"a.b", "a.c"}
    tree = compile_pattern({"detail.status": ["A"], "source": ["s"]}).tree
    assert dict(pinned_fields(tree)) == {("detail", "status"): ("A",), ("source",): ("s",)}


def test_rule_index_files_dotted_rules_and_finds_dotted_events() -> None:
    rules = {f"rule-{index}": pattern for index, pattern in enumerate([
        {"source": ["s"], "detail.status": ["A"]},
        {"source": ["s"], "detail": {"status": ["B"]}},
        {"source": ["s"], "detail": {"status.code": ["C"]}},
        {"source": ["s"], "detail.status": ["A", "B"], "detail.kind": ["k"]},
    ])}
    rule_set = compile_rules(rules)
    events = [{"source": "s", "detail": {"status": "A"}}, {"source": "s", "detail.status": "B"},
              {"source": "s", "detail": {"status.code": "C"}}, {"source": "s", "detail.status": {"code": "C"}},
              {"source": "s", "detail.status": "A", "detail": {"kind": "k"}}, {"source": "s", "detail": {}}]
    for event in events:
        expected = [name for name, pattern in rules.items() if compile_pattern(pattern).matches(event)]
        assert rule_set.matching(event) == expected
    assert rule_set.matching(events[1]) == ["rule-1"]
    assert rule_set.matching(events[4]) == ["rule-0", "rule-3"]


def test_reserved_names_in_or_are_checked_on_the_whole_key() -> None:
    """event-ruler refuses operator names as field names inside $or; "prefix.x" is none."""
    assert validate_pattern({"$or": [{"prefix.x": ["a"]}, {"b": ["c"]}]}) == []
    assert compile_pattern({"$or": [{"prefix.x": ["a"]}, {"b": ["c"]}]}).matches({"prefix": {"x": "a"}})


def test_self_referencing_dotted_events_never_raise() -> None:
    event: dict = {"a": {"b": {}}}
    event["a.b"] = event
    event["a"]["b"]["c"] = event["a"]
    compiled = compile_pattern({"a": {"b": {"c": {"d": [1]}}}})
    assert compiled.matches(event) is False
    assert compile_rules({"r": {"a": {"b": {"c": {"d": [1]}}}}}).matching(event) == []
