"""Property tests: strange patterns and events never crash, and the parts agree.

Patterns are drawn from the real grammar with a share of mistakes mixed in (bad
operands, ``**``, reversed ranges, single-branch ``$or``), so most examples are
valid and actually exercise the matcher; arbitrary JSON covers the rest.
"""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cabructl.patterns import PatternError, compile_pattern, compile_rules, validate_pattern

# Generating nested patterns dominates the run time; tests that draw several
# patterns per example get fewer examples so the folder stays well under 20 s.
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(SETTINGS, max_examples=150)

# Dotted names too: "a.b" is the field b of a, on the pattern side and the event side alike.
FIELD_NAMES = st.sampled_from(["source", "detail-type", "detail", "a", "b", "Source", "é", "", "a.b", "detail.a", "."])
TEXTS = st.sampled_from(
    ["", "a", "A", "ab", "abc", "x.png", "10.0.0.1", "10.200.0.9", "2001:db8::1", "é", "É", "*",
     "cabruca.agents.monitor", "Issue Detection Event", "5", "null", "true"]
) | st.text(max_size=4)
NUMBERS = (
    st.integers(-10, 10)
    | st.sampled_from([0.0, -0.0, 0.5, 5e9, 1e10, 2**64])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-(2**80), max_value=2**80)
)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXTS
FINITE_NUMBERS = st.integers(-10, 10) | st.floats(-1e3, 1e3, allow_nan=False) | st.just(5e9)
WILDCARDS = st.sampled_from(["*", "a*", "*b", "a*b", "*.png", "a\\*", "a\\\\b", "10.*"])
CIDRS = st.sampled_from(["10.0.0.0/8", "10.0.0.5/24", "0.0.0.0/0", "2001:db8::/32", "10.0.0.0/31"])
NUMERIC_OPERATORS = st.sampled_from(["=", "<", "<=", ">", ">="])


def operator(name: str, argument: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(lambda value: {name: value}, argument)


def numeric_range(bounds: list) -> list:
    return [">", bounds[0], "<=", bounds[1]]


ANYTHING_BUT_ARGUMENTS = st.one_of(
    TEXTS,
    FINITE_NUMBERS,
    st.lists(TEXTS, min_size=1, max_size=3),
    st.lists(FINITE_NUMBERS, min_size=1, max_size=3),
    operator("prefix", TEXTS.filter(bool)),
    operator("suffix", TEXTS.filter(bool)),
    operator("equals-ignore-case", TEXTS | st.lists(TEXTS, min_size=1, max_size=2)),
    operator("wildcard", WILDCARDS | st.lists(WILDCARDS, min_size=1, max_size=2)),
)
NUMERIC_TERMS = st.tuples(NUMERIC_OPERATORS, FINITE_NUMBERS).map(list) | st.lists(
    FINITE_NUMBERS, min_size=2, max_size=2, unique=True
).map(sorted).map(numeric_range)
VALID_CONDITIONS = st.one_of(
    st.none() | st.booleans() | FINITE_NUMBERS | TEXTS,
    operator("prefix", TEXTS | operator("equals-ignore-case", TEXTS)),
    operator("suffix", TEXTS | operator("equals-ignore-case", TEXTS)),
    operator("equals-ignore-case", TEXTS),
    operator("wildcard", WILDCARDS),
    operator("anything-but", ANYTHING_BUT_ARGUMENTS),
    operator("numeric", NUMERIC_TERMS),
    operator("exists", st.booleans()),
    operator("cidr", CIDRS),
)
# The mistakes users make, mixed into the grammar for the crash tests.
FLAWED_CONDITIONS = VALID_CONDITIONS | st.sampled_from([
    {"wildcard": "a**b"}, {"wildcard": "a\\b"}, {"numeric": [">", 5, "<", 1]}, {"numeric": ["!=", 1]},
    {"numeric": [">", 6e9]}, {"cidr": "10.0.0.0/32"}, {"cidr": "x/1"}, {"anything-but": None},
    {"anything-but": {"prefix": ""}}, {"Prefix": "a"}, {}, {"prefix": "a", "suffix": "b"}, float("nan"), [],
])


def patterns(conditions: st.SearchStrategy, fewest_branches: int) -> st.SearchStrategy:
    """Patterns up to three objects deep, built level by level: st.recursive spends
    most of its time retrying draws that outgrow their budget."""
    leaves = st.lists(conditions, min_size=1, max_size=2)

    def objects(children: st.SearchStrategy) -> st.SearchStrategy:
        fields = st.dictionaries(FIELD_NAMES, leaves | children, min_size=1, max_size=2)
        branches = st.lists(children, min_size=fewest_branches, max_size=2)
        return fields | st.builds(lambda base, any_of: {**base, "$or": any_of}, fields, branches)

    flat = st.dictionaries(FIELD_NAMES, leaves, min_size=1, max_size=2)
    return flat | objects(flat) | objects(objects(flat))


PATTERNS = patterns(VALID_CONDITIONS, fewest_branches=2)
FLAWED_PATTERNS = patterns(FLAWED_CONDITIONS, fewest_branches=1)


def containers(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(children, max_size=3) | st.dictionaries(FIELD_NAMES | st.text(max_size=2), children, max_size=3)


JSON_VALUES = SCALARS | containers(SCALARS) | containers(containers(SCALARS))
EVENTS = st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=5) | JSON_VALUES
ANYTHING = FLAWED_PATTERNS | JSON_VALUES | st.text(max_size=20) | FLAWED_PATTERNS.map(json.dumps)


def compiled_or_none(pattern: object):
    try:
        return compile_pattern(pattern)
    except PatternError:
        return None


@SETTINGS
@given(ANYTHING)
def test_compile_raises_only_pattern_error_and_agrees_with_validate(pattern: object) -> None:
    problems = validate_pattern(pattern)
    try:
        compile_pattern(pattern)
    except PatternError as error:
        assert problems and problems[0] == error
    else:
        assert problems == []


@SETTINGS
@given(PATTERNS, st.lists(EVENTS, min_size=1, max_size=3))
def test_matches_never_raises(pattern: dict, events: list) -> None:
    compiled = compiled_or_none(pattern)
    assume(compiled is not None)
    for event in events:
        assert compiled.matches(event) in (True, False)


def valid_only(patterns: dict) -> dict:
    return {name: pattern for name, pattern in patterns.items() if compiled_or_none(pattern) is not None}


def fired_one_by_one(patterns: dict, event: object) -> list[str]:
    return [name for name, pattern in patterns.items() if compile_pattern(pattern).matches(event)]


@SETTINGS
@given(st.lists(PATTERNS, min_size=1, max_size=4), st.lists(EVENTS, min_size=1, max_size=3))
def test_rule_set_agrees_with_each_pattern(patterns: list, events: list) -> None:
    rules = valid_only({f"rule-{index}": pattern for index, pattern in enumerate(patterns)})
    assume(rules)
    rule_set = compile_rules(rules)
    for event in events:
        assert rule_set.matching(event) == fired_one_by_one(rules, event)


@FEWER
@given(st.lists(st.sampled_from(["cabruca.agents.monitor", "cabruca.agents.tester", "x"]), min_size=1, max_size=3),
       st.lists(st.sampled_from(["Issue Detection Event", "Test Results Event"]), min_size=1, max_size=2),
       PATTERNS, st.lists(EVENTS, min_size=1, max_size=3), st.booleans())
def test_indexed_rules_agree_on_agent_shaped_events(
    sources: list, types: list, extra: dict, events: list, source_as_array: bool
) -> None:
    """Rules anchored on source/detail-type, and events that carry those values."""
    rules = valid_only({"anchored": {**extra, "source": sources, "detail-type": types}, "free": extra})
    assume(rules)
    rule_set = compile_rules(rules)
    for event in events:
        if isinstance(event, dict):
            source = ["other", sources[-1]] if source_as_array else sources[-1]
            event = {**event, "source": source, "detail-type": types[0]}
        assert rule_set.matching(event) == fired_one_by_one(rules, event)


@SETTINGS
@given(SCALARS, st.sampled_from(["prefix", "suffix", "equals-ignore-case", "wildcard"]), TEXTS)
def test_anything_but_is_the_complement_on_leaf_values(value: object, name: str, text: str) -> None:
    assume(text and "\\" not in text and "**" not in text)
    positive = compile_pattern({"f": [{name: text}]})
    negative = compile_pattern({"f": [{"anything-but": {name: text}}]})
    assert negative.matches({"f": value}) is not positive.matches({"f": value})


@SETTINGS
@given(JSON_VALUES)
def test_exists_true_and_false_partition_every_value(value: object) -> None:
    present = compile_pattern({"d": {"f": [{"exists": True}]}})
    absent = compile_pattern({"d": {"f": [{"exists": False}]}})
    event = {"d": {"f": value}}
    assert present.matches(event) is not absent.matches(event)


@FEWER
@given(PATTERNS, PATTERNS, EVENTS)
def test_or_of_two_patterns_is_either(first: dict, second: dict, event: object) -> None:
    either = compiled_or_none({"$or": [first, second]})
    assume(either is not None)
    assert either.matches(event) is (compile_pattern(first).matches(event) or compile_pattern(second).matches(event))


@SETTINGS
@given(FINITE_NUMBERS, st.sampled_from(["=", "<", "<=", ">", ">="]), NUMBERS)
def test_numeric_compares_by_value(bound: float, op: str, value: object) -> None:
    assume(abs(bound) <= 5e9)
    compiled = compile_pattern({"n": [{"numeric": [op, bound]}]})
    expected = isinstance(value, (int, float)) and not isinstance(value, bool) and not (
        isinstance(value, float) and math.isnan(value)
    ) and {"=": value == bound, "<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound}[op]
    assert compiled.matches({"n": value}) is bool(expected)
