"""Invalid patterns: each must be refused with EventBridge-like wording and the path
of the offending key inside the pattern (what ``cabructl validate`` maps to a line).
"""

from __future__ import annotations

import json

import pytest

from cabructl.patterns import MAX_PATTERN_CHARS, PatternError, compile_pattern, validate_pattern


def invalid(case_id: str, pattern: object, fragment: str, path: tuple) -> object:
    return pytest.param(pattern, fragment, path, id=case_id)


def nested(depth: int) -> dict:
    pattern: dict = {"leaf": ["x"]}
    for _ in range(depth):
        pattern = {"n": pattern}
    return pattern


def numeric(*terms: object) -> dict:
    return {"detail": {"severity": [{"numeric": list(terms)}]}}


NUMERIC_PATH = ("detail", "severity", 0, "numeric")
AB_PATH = ("s", 0, "anything-but")
AFFIX_NOT_STRING = "prefix/suffix match pattern must be a string"
AB_OPERAND = "Value of anything-but must be an array or single string/number value."
TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences"
    " after a wildcard character"
)


def ab_set(operator: str, operand: object) -> dict:
    return {"s": [{"anything-but": {operator: operand}}]}


def wildcards(field: str, *texts: str) -> dict:
    return {field: [{"wildcard": text} for text in texts]}

INVALID = [
    invalid("not-an-object-list", [{"source": ["a"]}], "Filter is not an object", ()),
    invalid("not-an-object-json-string", '"source"', "Filter is not an object", ()),
    invalid("not-an-object-none", None, "Filter is not an object", ()),
    invalid("broken-json-text", '{"source": [', "Filter is not valid JSON", ()),
    invalid("nan-in-json-text", '{"n": [NaN]}', "Filter is not valid JSON", ()),
    invalid("empty-pattern", {}, "Empty objects are not allowed", ()),
    invalid("empty-nested-object", {"detail": {}}, "Empty objects are not allowed", ("detail",)),
    invalid("scalar-string-leaf", {"source": "aws.ec2"}, '"source" must be an object or an array', ("source",)),
    invalid("scalar-number-leaf", {"detail": {"n": 5}}, '"n" must be an object or an array', ("detail", "n")),
    invalid("null-leaf", {"source": None}, "must be an object or an array", ("source",)),
    invalid("empty-array", {"source": []}, "Empty arrays are not allowed", ("source",)),
    invalid("array-in-array", {"source": [["a"]]}, "Match value must be String, number, true, false, or null",
            ("source", 0)),
    invalid("nan-value", {"n": [float("nan")]}, "Match value must be", ("n", 0)),
    invalid("non-string-field-name", {1: ["a"]}, "Field names must be strings", (1,)),
    invalid("wrong-case-operator", {"x": [{"Prefix": "a"}]}, "Unrecognized match type Prefix", ("x", 0, "Prefix")),
    invalid("unknown-operator", {"x": [{"contains": "a"}]}, "Unrecognized match type contains", ("x", 0, "contains")),
    invalid("operator-object-empty", {"x": [{}]}, "Match expression name not found", ("x", 0)),
    invalid("operator-object-two-keys", {"x": [{"prefix": "a", "suffix": "b"}]}, "Only one key allowed", ("x", 0)),
    invalid("prefix-not-string", {"x": [{"prefix": 5}]}, "prefix match pattern must be a string", ("x", 0, "prefix")),
    invalid("prefix-ignore-case-not-string", {"x": [{"prefix": {"equals-ignore-case": 5}}]},
            "equals-ignore-case match pattern must be a string", ("x", 0, "prefix", "equals-ignore-case")),
    invalid("prefix-unknown-modifier", {"x": [{"prefix": {"wildcard": "a"}}]}, "Unsupported prefix pattern",
            ("x", 0, "prefix")),
    invalid("suffix-not-string", {"x": [{"suffix": ["a"]}]}, "suffix match pattern must be a string", ("x", 0, "suffix")),
    invalid("equals-ignore-case-number", {"x": [{"equals-ignore-case": 1}]}, "must be a string",
            ("x", 0, "equals-ignore-case")),
    invalid("numeric-not-array", {"detail": {"severity": [{"numeric": 5}]}},
            "Value of numeric must be an array", NUMERIC_PATH),
    invalid("numeric-empty", numeric(), "Invalid member in numeric match", NUMERIC_PATH),
    invalid("numeric-unknown-operator", numeric("!=", 5), "Unrecognized numeric range operator: !=", NUMERIC_PATH),
    invalid("numeric-operator-only", numeric(">"), "Value of > must be numeric", NUMERIC_PATH),
    invalid("numeric-string-operand", numeric(">", "5"), "Value of > must be numeric", NUMERIC_PATH),
    invalid("numeric-boolean-operand", numeric("<", True), "Value of < must be numeric", NUMERIC_PATH),
    invalid("numeric-reversed-range", numeric(">", 10, "<", 5), "Bottom must be less than top", NUMERIC_PATH),
    invalid("numeric-empty-range", numeric(">=", 5, "<=", 5), "Bottom must be less than top", NUMERIC_PATH),
    invalid("numeric-second-operator-wrong", numeric(">", 0, ">", 5), "Bad numeric range operator: >", NUMERIC_PATH),
    invalid("numeric-upper-then-lower", numeric("<", 5, ">", 0), "Too many elements in numeric expression",
            NUMERIC_PATH),
    invalid("numeric-equals-with-range", numeric("=", 1, "<", 5), "Too many elements", NUMERIC_PATH),
    invalid("numeric-too-many-terms", numeric(">", 0, "<", 5, "<", 6), "Too many terms", NUMERIC_PATH),
    invalid("numeric-missing-upper-operand", numeric(">", 0, "<"), "Value of < must be numeric", NUMERIC_PATH),
    invalid("numeric-beyond-limit", numeric(">", 6e9), "Value must be between -5.0E9 and 5.0E9", NUMERIC_PATH),
    invalid("exists-string", {"x": [{"exists": "true"}]}, "exists match pattern must be either true or false",
            ("x", 0, "exists")),
    invalid("cidr-no-mask", {"ip": [{"cidr": "10.0.0.1"}]}, "Malformed CIDR, one '/' required", ("ip", 0, "cidr")),
    invalid("cidr-bad-address", {"ip": [{"cidr": "10.0.0.256/24"}]}, "Invalid IP address: 10.0.0.256",
            ("ip", 0, "cidr")),
    invalid("cidr-bad-mask", {"ip": [{"cidr": "10.0.0.0/x"}]}, "mask bits must be an integer", ("ip", 0, "cidr")),
    invalid("cidr-v4-mask-too-long", {"ip": [{"cidr": "10.0.0.0/33"}]}, "IPv4 mask bits must be < 32",
            ("ip", 0, "cidr")),
    invalid("cidr-v6-mask-too-long", {"ip": [{"cidr": "2001:db8::/129"}]}, "IPv6 mask bits must be < 128",
            ("ip", 0, "cidr")),
    invalid("cidr-not-string", {"ip": [{"cidr": 10}]}, "cidr match pattern must be a string", ("ip", 0, "cidr")),
    invalid("wildcard-consecutive-stars", {"f": [{"wildcard": "a**b"}]}, "Consecutive wildcard characters",
            ("f", 0, "wildcard")),
    invalid("wildcard-bad-escape", {"f": [{"wildcard": "a\\b"}]}, "Invalid escape character", ("f", 0, "wildcard")),
    invalid("wildcard-trailing-backslash", {"f": [{"wildcard": "a\\"}]}, "Invalid escape character",
            ("f", 0, "wildcard")),
    invalid("wildcard-not-string", {"f": [{"wildcard": ["a*"]}]}, "wildcard match pattern must be a string",
            ("f", 0, "wildcard")),
    invalid("anything-but-mixed-list", {"s": [{"anything-but": ["a", 1]}]}, "mixed type is not supported",
            ("s", 0, "anything-but")),
    invalid("anything-but-empty-list", {"s": [{"anything-but": []}]}, "either all values are number or string",
            ("s", 0, "anything-but")),
    invalid("anything-but-null", {"s": [{"anything-but": None}]}, "Value of anything-but must be an array",
            ("s", 0, "anything-but")),
    invalid("anything-but-boolean", {"s": [{"anything-but": True}]}, "must be an array or single string/number",
            ("s", 0, "anything-but")),
    invalid("anything-but-null-in-list", {"s": [{"anything-but": ["a", None]}]}, "start|null|boolean is not supported",
            ("s", 0, "anything-but")),
    invalid("anything-but-empty-prefix", {"s": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed",
            ("s", 0, "anything-but", "prefix")),
    invalid("anything-but-numeric", {"s": [{"anything-but": {"numeric": [">", 1]}}]},
            "Unsupported anything-but pattern: numeric", ("s", 0, "anything-but", "numeric")),
    invalid("anything-but-two-operators", {"s": [{"anything-but": {"prefix": "a", "suffix": "b"}}]},
            "Only one key allowed", ("s", 0, "anything-but")),
    invalid("anything-but-wildcard-stars", {"s": [{"anything-but": {"wildcard": ["ok*", "a**"]}}]},
            "Consecutive wildcard characters", ("s", 0, "anything-but", "wildcard")),
    invalid("anything-but-number-beyond-limit", {"s": [{"anything-but": [1, 1e10]}]}, "Value must be between",
            ("s", 0, "anything-but")),
    # anything-but with lists of prefixes, suffixes, wildcards (event-ruler's JsonRuleCompiler wording)
    invalid("ab-prefix-list-number", ab_set("prefix", ["a", 1]), AFFIX_NOT_STRING, AB_PATH + ("prefix",)),
    invalid("ab-suffix-list-null", ab_set("suffix", [".png", None]), AFFIX_NOT_STRING, AB_PATH + ("suffix",)),
    invalid("ab-suffix-list-nested-list", ab_set("suffix", [["a"]]), AFFIX_NOT_STRING, AB_PATH + ("suffix",)),
    invalid("ab-prefix-number", ab_set("prefix", 27), AFFIX_NOT_STRING, AB_PATH + ("prefix",)),
    invalid("ab-prefix-null", ab_set("prefix", None), AB_OPERAND, AB_PATH + ("prefix",)),
    invalid("ab-suffix-boolean", ab_set("suffix", True), AB_OPERAND, AB_PATH + ("suffix",)),
    invalid("ab-prefix-ignore-case-object", ab_set("prefix", {"equals-ignore-case": "a"}), AB_OPERAND,
            AB_PATH + ("prefix",)),
    invalid("ab-prefix-list-empty-string", ab_set("prefix", ["a", ""]), "Null prefix/suffix not allowed",
            AB_PATH + ("prefix",)),
    invalid("ab-prefix-empty-list", ab_set("prefix", []), "Empty arrays are not allowed", AB_PATH + ("prefix",)),
    invalid("ab-suffix-empty-list", ab_set("suffix", []), "Empty arrays are not allowed", AB_PATH + ("suffix",)),
    invalid("ab-wildcard-empty-list", ab_set("wildcard", []), "Empty arrays are not allowed", AB_PATH + ("wildcard",)),
    invalid("ab-ignore-case-empty-list", ab_set("equals-ignore-case", []), "Empty arrays are not allowed",
            AB_PATH + ("equals-ignore-case",)),
    invalid("ab-wildcard-list-number", ab_set("wildcard", ["a*", 5]), "wildcard match pattern must be a string",
            AB_PATH + ("wildcard",)),
    invalid("ab-ignore-case-list-number", ab_set("equals-ignore-case", ["a", 5]),
            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
            AB_PATH + ("equals-ignore-case",)),
    # dots in field names
    invalid("dotted-key-nested-too-deep", {"a" + ".a" * 120: ["x"]}, "nested more than 100 levels",
            ("a" + ".a" * 120,)),
    invalid("dotted-or-is-a-plain-field", {"a.$or": [{"b": ["1"]}, {"c": ["2"]}]}, "Unrecognized match type b",
            ("a.$or", 0, "b")),
    # complexity: wildcard state machines past 10, $or past 1,000 combinations
    invalid("too-complex-four-stack-wildcards", wildcards("f", *(f"*:stack/{n}/*" for n in ("A", "B", "C", "D"))),
            TOO_COMPLEX, ()),
    invalid("too-complex-repeated-a-11", wildcards("f", "*a*a*a*a*a*"), TOO_COMPLEX, ()),
    invalid("too-complex-eleven-prefix-wildcards", wildcards("f", *(f"{c}*" for c in "abcdefghijk")), TOO_COMPLEX, ()),
    invalid("too-complex-six-suffix-wildcards", wildcards("f", *(f"*.{c}" for c in "abcdef")), TOO_COMPLEX, ()),
    invalid("too-complex-four-datasync-wildcards",
            wildcards("key", *(f"*/datasync/*.{e}" for e in ("bif", "tif", "tiff", "svs"))), TOO_COMPLEX, ()),
    invalid("too-complex-four-leading-star-wildcards", wildcards("f", "*kiwi*", "*BASE_QuxB*", "*Delta*", "*a/x*"),
            TOO_COMPLEX, ()),
    invalid("too-complex-anything-but-wildcard", ab_set("wildcard", ["*a*a*a*a*a*"]), TOO_COMPLEX, ()),
    invalid("too-complex-nested-field", {"detail": wildcards("f", "*a*a*a*a*a*")}, TOO_COMPLEX, ()),
    invalid("too-complex-or-branches-share-a-field",
            {"$or": [wildcards("f", "*a*a*a*"), wildcards("f", "*b*b*b*")]}, TOO_COMPLEX, ()),
    invalid("too-complex-behind-absent-or-value",
            {"aaa": ["x", {"exists": False}], **wildcards("zzz", "*a*a*a*a*a*a*")}, TOO_COMPLEX, ()),
    invalid("too-complex-or-1100-combinations",
            {key: {"$or": [{"n": [i]} for i in range(count)]} for key, count in (("a", 11), ("b", 10), ("c", 10))},
            TOO_COMPLEX, ()),
    invalid("too-complex-or-parallel-groups", {f"k{i}": {"$or": [{"x": [1]}, {"y": [2]}]} for i in range(10)}
            | {"$or": [{"p": [1]}, {"q": [2]}]}, TOO_COMPLEX, ()),
    invalid("or-single-branch", {"$or": [{"a": ["1"]}]}, "at least 2 Objects in $or", ("$or",)),
    invalid("or-not-array", {"$or": {"a": ["1"]}}, "It must be an Array followed with $or", ("$or",)),
    invalid("or-branch-not-object", {"$or": [{"a": ["1"]}, ["b"]]}, "Only JSON object is allowed", ("$or", 1)),
    invalid("or-empty-branch", {"$or": [{"a": ["1"]}, {}]}, "Empty objects are not allowed", ("$or", 1)),
    invalid("or-reserved-field-name", {"$or": [{"prefix": ["a"]}, {"b": ["c"]}]}, "reserved fieldName",
            ("$or", 0, "prefix")),
    invalid("or-nested-error-path", {"detail": {"$or": [{"a": [{"numeric": [">", 1, ">", 2]}]}, {"b": ["x"]}]}},
            "Bad numeric range operator", ("detail", "$or", 0, "a", 0, "numeric")),
    invalid("pattern-too-long", {"source": ["x" * MAX_PATTERN_CHARS]}, "the maximum is 2,048", ()),
    invalid("nested-too-deep", nested(150), "nested more than 100 levels", ("n",) * 100),
]


def test_enough_invalid_cases() -> None:
    assert len(INVALID) >= 25


@pytest.mark.parametrize("pattern, fragment, path", INVALID)
def test_compile_refuses(pattern: object, fragment: str, path: tuple) -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern(pattern)
    error = caught.value
    assert fragment in error.message
    assert error.message.startswith("Event pattern is not valid. Reason: ")
    assert str(error) == error.message
    assert error.path == path


@pytest.mark.parametrize("pattern, fragment, path", INVALID)
def test_validate_reports_the_same_first_problem(pattern: object, fragment: str, path: tuple) -> None:
    problems = validate_pattern(pattern)
    assert problems and fragment in problems[0].message and problems[0].path == path


def test_validate_reports_every_problem_with_its_path() -> None:
    pattern = {
        "source": "aws.ec2",
        "detail": {"severity": [{"numeric": [">", 5, "<", 1]}], "state": [], "kind": [{"Prefix": "a"}]},
        "$or": [{"a": ["1"]}],
    }
    found = {(problem.path, problem.reason.split(":")[0]) for problem in validate_pattern(pattern)}
    assert found == {
        (("source",), '"source" must be an object or an array'),
        (("detail", "severity", 0, "numeric"), "Bottom must be less than top"),
        (("detail", "state"), "Empty arrays are not allowed"),
        (("detail", "kind", 0, "Prefix"), "Unrecognized match type Prefix"),
        (("$or",), "There must have at least 2 Objects in $or relationship."),
    }


def test_valid_pattern_has_no_problems() -> None:
    assert validate_pattern({"source": ["a"], "detail": {"n": [{"numeric": [">=", 0, "<", 5]}]}}) == []


@pytest.mark.parametrize("size", [MAX_PATTERN_CHARS - 1, MAX_PATTERN_CHARS])
def test_pattern_at_the_size_limit_is_accepted(size: int) -> None:
    overhead = len(json.dumps({"s": [""]}, separators=(",", ":")))
    compile_pattern({"s": ["x" * (size - overhead)]})


def test_size_counts_characters_not_escapes() -> None:
    overhead = len(json.dumps({"s": [""]}, separators=(",", ":")))
    compile_pattern({"s": ["é" * (MAX_PATTERN_CHARS - overhead)]})
