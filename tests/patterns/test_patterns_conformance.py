"""Conformance: named pattern/event pairs written from the documented semantics.

Sources: the EventBridge user guide (event patterns, content filtering, arrays,
null values, comparison operators) and the README of event-ruler, the engine
EventBridge runs. Each case is checked three ways: compiled from a dict, compiled
from JSON text, and through the indexed rule set, so the index can never answer
differently from the pattern it indexes.
"""

from __future__ import annotations

import json

import pytest

from cabructl.patterns import compile_pattern, compile_rules


def match(case_id: str, pattern: dict, event: object) -> object:
    return pytest.param(pattern, event, True, id=case_id)


def no_match(case_id: str, pattern: dict, event: object) -> object:
    return pytest.param(pattern, event, False, id=case_id)


def agent_event(source: str, detail_type: str, **detail: object) -> dict:
    """An event as an agent of the Cabruca system publishes it."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2025-03-01T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


EXACT_STRINGS = [
    match("exact-string", {"source": ["aws.ec2"]}, {"source": "aws.ec2"}),
    no_match("exact-string-other", {"source": ["aws.ec2"]}, {"source": "aws.s3"}),
    match("exact-any-of-list", {"source": ["aws.ec2", "aws.fargate"]}, {"source": "aws.fargate"}),
    no_match("exact-value-case-sensitive", {"state": ["Running"]}, {"state": "running"}),
    no_match("field-name-case-sensitive", {"Source": ["aws.ec2"]}, {"source": "aws.ec2"}),
    no_match("exact-missing-field", {"state": ["running"]}, {"source": "aws.ec2"}),
    match("unnamed-event-fields-ignored", {"source": ["a"]}, {"source": "a", "other": 1, "x": {"y": []}}),
    match("empty-string", {"eventVersion": [""]}, {"eventVersion": ""}),
    no_match("empty-string-is-not-null", {"eventVersion": [""]}, {"eventVersion": None}),
    no_match("whitespace-is-significant", {"state": ["on "]}, {"state": "on"}),
    match("unicode-exact", {"city": ["São Paulo"]}, {"city": "São Paulo"}),
    no_match("unicode-not-normalised", {"city": ["caf\u00e9"]}, {"city": "cafe\u0301"}),
    match("emoji-exact", {"mood": ["🚀"]}, {"mood": "🚀"}),
    no_match("string-5-is-not-number-5", {"count": ["5"]}, {"count": 5}),
    no_match("string-null-is-not-null", {"v": ["null"]}, {"v": None}),
    no_match("string-true-is-not-true", {"v": ["true"]}, {"v": True}),
    match("fields-and-all-match", {"source": ["a"], "detail-type": ["b"]}, {"source": "a", "detail-type": "b"}),
    no_match("fields-and-one-fails", {"source": ["a"], "detail-type": ["b"]}, {"source": "a", "detail-type": "c"}),
    match("nested-object", {"detail": {"state": ["on"]}}, {"detail": {"state": "on"}}),
    no_match("nested-parent-missing", {"detail": {"state": ["on"]}}, {"state": "on"}),
    no_match("nested-parent-is-scalar", {"detail": {"state": ["on"]}}, {"detail": "on"}),
    match("nested-three-levels", {"a": {"b": {"c": ["d"]}}}, {"a": {"b": {"c": "d", "e": 1}}}),
    no_match("nested-three-levels-wrong-leaf", {"a": {"b": {"c": ["d"]}}}, {"a": {"b": {"c": "x"}}}),
    no_match("nested-name-case-sensitive", {"detail": {"State": ["on"]}}, {"detail": {"state": "on"}}),
    no_match("exact-string-vs-object", {"detail": ["x"]}, {"detail": {"x": 1}}),
    match("same-value-twice-in-list", {"s": ["a", "a"]}, {"s": "a"}),
]

NUMBERS = [
    match("number-int", {"n": [5]}, {"n": 5}),
    match("number-int-matches-float", {"n": [5]}, {"n": 5.0}),
    match("number-float-matches-int", {"n": [5.0]}, {"n": 5}),
    match("number-300-matches-300.0", {"n": [300]}, {"n": 300.0}),
    match("number-exponent-form", {"n": [3.0e2]}, {"n": 300}),
    no_match("number-does-not-match-string", {"n": [5]}, {"n": "5"}),
    no_match("number-0-is-not-false", {"n": [0]}, {"n": False}),
    no_match("number-1-is-not-true", {"n": [1]}, {"n": True}),
    no_match("number-0-is-not-null", {"n": [0]}, {"n": None}),
    match("number-negative", {"n": [-1]}, {"n": -1}),
    match("number-fraction", {"n": [0.1]}, {"n": 0.1}),
    no_match("number-other", {"n": [5]}, {"n": 6}),
    match("number-account-id", {"account": [123456789012]}, {"account": 123456789012}),
    match("number-in-event-array", {"n": [5]}, {"n": [1, 5]}),
    match("number-risk-score-nested", {"detail": {"risk-score": [80], "trigger": {"risk": [8]}}},
          {"detail": {"risk-score": 80, "trigger": {"risk": 8.0}}}),
    match("number-zero-matches-negative-zero", {"n": [0]}, {"n": -0.0}),
]

LITERALS = [
    match("true-literal", {"v": [True]}, {"v": True}),
    no_match("true-is-not-string-true", {"v": [True]}, {"v": "true"}),
    match("false-literal", {"v": [False]}, {"v": False}),
    no_match("false-is-not-zero", {"v": [False]}, {"v": 0}),
    no_match("true-is-not-one", {"v": [True]}, {"v": 1}),
    match("null-literal", {"responseElements": [None]}, {"responseElements": None}),
    no_match("null-does-not-match-missing", {"responseElements": [None]}, {}),
    no_match("null-is-not-string-null", {"v": [None]}, {"v": "null"}),
    no_match("false-is-not-null", {"v": [False]}, {"v": None}),
    no_match("null-is-not-false", {"v": [None]}, {"v": False}),
    no_match("null-is-not-empty-string", {"v": [None]}, {"v": ""}),
    match("null-in-event-array", {"v": [None]}, {"v": ["a", None]}),
]

EVENT_ARRAYS = [
    match("array-intersects", {"resources": ["arn:1", "arn:2"]}, {"resources": ["arn:0", "arn:2"]}),
    no_match("array-disjoint", {"resources": ["arn:1"]}, {"resources": ["arn:0", "arn:2"]}),
    no_match("array-empty-event", {"resources": ["arn:1"]}, {"resources": []}),
    match("array-nested-arrays-flattened", {"v": ["x"]}, {"v": [["a"], [["x"]]]}),
    match("array-prefix-any-element", {"tags": [{"prefix": "ad"}]}, {"tags": ["user", "admin"]}),
    match("array-numeric-any-element", {"vals": [{"numeric": [">", 0, "<", 10]}]}, {"vals": [100, 5, 200]}),
    no_match("array-numeric-no-element", {"vals": [{"numeric": [">", 0, "<", 10]}]}, {"vals": [100, 200]}),
    match("array-anything-but-one-element-differs", {"tags": [{"anything-but": "banned"}]}, {"tags": ["banned", "ok"]}),
    no_match("array-anything-but-all-excluded", {"tags": [{"anything-but": ["a", "b"]}]}, {"tags": ["a", "b", "a"]}),
    no_match("array-of-objects-is-not-a-leaf", {"v": ["x"]}, {"v": [{"x": "x"}]}),
    match("array-mixed-scalars-and-objects", {"v": ["x"]}, {"v": [{"y": 1}, "x"]}),
]

ARRAYS_OF_OBJECTS = [
    match("objects-element-match", {"d": {"a": ["1"]}}, {"d": [{"a": "0"}, {"a": "1"}]}),
    match("objects-same-element", {"d": {"name": ["alice"], "status": ["active"]}},
          {"d": [{"name": "alice", "status": "active"}]}),
    no_match("objects-split-across-elements", {"d": {"name": ["alice"], "status": ["active"]}},
             {"d": [{"name": "alice"}, {"status": "active"}]}),
    match("objects-one-of-many-elements", {"d": {"a": ["target"], "b": ["found"]}},
          {"d": [{"a": "x"}, {"a": "target", "b": "found"}, {"a": "z"}]}),
    match("objects-nested-inner-same", {"u": {"t": {"k": ["color"], "v": ["blue"]}}},
          {"u": [{"t": [{"k": "color", "v": "blue"}]}]}),
    no_match("objects-nested-inner-split", {"u": {"t": {"k": ["color"], "v": ["blue"]}}},
             {"u": [{"t": [{"k": "color"}, {"v": "blue"}]}]}),
    no_match("objects-outer-split", {"d": {"name": [{"exists": True}], "info": {"x": ["1"]}}},
             {"d": [{"name": "alice"}, {"info": {"x": "1"}}]}),
    match("objects-exists-false-per-element", {"d": {"a": [{"exists": True}], "b": [{"exists": False}]}},
          {"d": [{"a": 1}]}),
    no_match("objects-exists-false-present-in-element", {"d": {"a": [{"exists": True}], "b": [{"exists": False}]}},
             {"d": [{"a": 1, "b": 2}]}),
    match("objects-array-of-arrays", {"d": {"a": ["1"]}}, {"d": [[{"a": "2"}], [{"a": "1"}]]}),
    match("objects-employees-first-name", {"employees": {"firstName": ["Anna"]}},
          {"employees": [{"firstName": "John"}, {"firstName": "Anna"}]}),
    no_match("objects-employees-first-and-last-split", {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
             {"employees": [{"firstName": "Anna", "lastName": "Smith"}, {"firstName": "Peter", "lastName": "Jones"}]}),
    no_match("objects-empty-array", {"d": {"a": [{"exists": True}]}}, {"d": []}),
    match("objects-empty-array-exists-false", {"d": {"a": [{"exists": False}]}}, {"d": []}),
]

PREFIX_SUFFIX = [
    match("prefix", {"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-02T18:43:48Z"}),
    no_match("prefix-other", {"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-03T18:43:48Z"}),
    no_match("prefix-case-sensitive", {"r": [{"prefix": "us-"}]}, {"r": "US-east-1"}),
    no_match("prefix-not-on-number", {"n": [{"prefix": "1"}]}, {"n": 12}),
    no_match("prefix-not-on-null", {"n": [{"prefix": "n"}]}, {"n": None}),
    match("prefix-empty-matches-any-string", {"s": [{"prefix": ""}]}, {"s": "anything"}),
    no_match("prefix-empty-not-on-number", {"s": [{"prefix": ""}]}, {"s": 1}),
    no_match("prefix-longer-than-value", {"s": [{"prefix": "abcdef"}]}, {"s": "abc"}),
    match("prefix-whole-value", {"s": [{"prefix": "abc"}]}, {"s": "abc"}),
    match("prefix-unicode", {"s": [{"prefix": "Zürich"}]}, {"s": "Zürich HB"}),
    match("prefix-ignore-case", {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}, {"service": "eventbridge"}),
    no_match("prefix-ignore-case-other", {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}, {"service": "s3"}),
    no_match("prefix-ignore-case-not-on-number", {"s": [{"prefix": {"equals-ignore-case": "1"}}]}, {"s": 1}),
    match("suffix", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.png"}),
    no_match("suffix-other", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.jpg"}),
    no_match("suffix-case-sensitive", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.PNG"}),
    match("suffix-ignore-case", {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"FileName": "image.PNG"}),
    no_match("suffix-not-on-number", {"n": [{"suffix": "5"}]}, {"n": 15}),
    match("suffix-empty-matches-any-string", {"s": [{"suffix": ""}]}, {"s": "x"}),
]

EQUALS_IGNORE_CASE = [
    match("ignore-case", {"name": [{"equals-ignore-case": "alice"}]}, {"name": "ALICE"}),
    no_match("ignore-case-other", {"name": [{"equals-ignore-case": "alice"}]}, {"name": "alicia"}),
    no_match("ignore-case-not-on-number", {"n": [{"equals-ignore-case": "5"}]}, {"n": 5}),
    no_match("ignore-case-not-on-true", {"n": [{"equals-ignore-case": "true"}]}, {"n": True}),
    match("ignore-case-unicode", {"s": [{"equals-ignore-case": "ÉTÉ"}]}, {"s": "été"}),
    match("ignore-case-array", {"s": [{"equals-ignore-case": "b"}]}, {"s": ["a", "B"]}),
    no_match("ignore-case-is-not-prefix", {"s": [{"equals-ignore-case": "ab"}]}, {"s": "ABC"}),
]

WILDCARDS = [
    match("wildcard-middle", {"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleQueueService"}),
    match("wildcard-empty-span", {"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleService"}),
    no_match("wildcard-other", {"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleQueue"}),
    match("wildcard-leading", {"f": [{"wildcard": "*.png"}]}, {"f": "dir/a.png"}),
    match("wildcard-trailing", {"f": [{"wildcard": "dir/*"}]}, {"f": "dir/a.png"}),
    match("wildcard-no-star-is-exact", {"f": [{"wildcard": "abc"}]}, {"f": "abc"}),
    no_match("wildcard-no-star-not-prefix", {"f": [{"wildcard": "abc"}]}, {"f": "abcd"}),
    match("wildcard-escaped-star", {"f": [{"wildcard": "a\\*b"}]}, {"f": "a*b"}),
    no_match("wildcard-escaped-star-is-literal", {"f": [{"wildcard": "a\\*b"}]}, {"f": "axb"}),
    match("wildcard-escaped-backslash", {"f": [{"wildcard": "a\\\\b"}]}, {"f": "a\\b"}),
    match("wildcard-two-stars", {"FilePath": [{"wildcard": "*/lib/*"}]}, {"FilePath": "/usr/lib/x.so"}),
    no_match("wildcard-two-stars-miss", {"FilePath": [{"wildcard": "*/lib/*"}]}, {"FilePath": "/usr/bin/x"}),
    match("wildcard-pieces-in-order", {"f": [{"wildcard": "a*b*c"}]}, {"f": "aXbYbZc"}),
    no_match("wildcard-pieces-out-of-order", {"f": [{"wildcard": "a*b*c"}]}, {"f": "acb"}),
    no_match("wildcard-overlapping-ends", {"f": [{"wildcard": "ab*ba"}]}, {"f": "aba"}),
    no_match("wildcard-not-on-number", {"f": [{"wildcard": "1*"}]}, {"f": 12}),
    no_match("wildcard-case-sensitive", {"f": [{"wildcard": "a*"}]}, {"f": "Abc"}),
    match("wildcard-star-spans-newline", {"f": [{"wildcard": "a*b"}]}, {"f": "a\nb"}),
    match("wildcard-star-alone-matches-empty", {"f": [{"wildcard": "*"}]}, {"f": ""}),
    no_match("wildcard-star-alone-not-on-null", {"f": [{"wildcard": "*"}]}, {"f": None}),
]

ANYTHING_BUT = [
    match("anything-but-string", {"state": [{"anything-but": "initializing"}]}, {"state": "running"}),
    no_match("anything-but-string-excluded", {"state": [{"anything-but": "initializing"}]}, {"state": "initializing"}),
    no_match("anything-but-never-matches-missing", {"state": [{"anything-but": "initializing"}]}, {}),
    match("anything-but-matches-null", {"state": [{"anything-but": "initializing"}]}, {"state": None}),
    match("anything-but-string-matches-number", {"state": [{"anything-but": "5"}]}, {"state": 5}),
    no_match("anything-but-object-is-no-leaf", {"state": [{"anything-but": "x"}]}, {"state": {"a": 1}}),
    no_match("anything-but-empty-array-is-no-leaf", {"state": [{"anything-but": "x"}]}, {"state": []}),
    match("anything-but-list", {"state": [{"anything-but": ["stopped", "overloaded"]}]}, {"state": "running"}),
    no_match("anything-but-list-excluded", {"state": [{"anything-but": ["stopped", "overloaded"]}]}, {"state": "stopped"}),
    match("anything-but-number", {"x-limit": [{"anything-but": 123}]}, {"x-limit": 124}),
    no_match("anything-but-number-excluded", {"x-limit": [{"anything-but": 123}]}, {"x-limit": 123}),
    no_match("anything-but-number-excluded-as-float", {"x-limit": [{"anything-but": 123}]}, {"x-limit": 123.0}),
    match("anything-but-number-matches-string", {"x-limit": [{"anything-but": 123}]}, {"x-limit": "123"}),
    no_match("anything-but-number-list-excluded", {"x-limit": [{"anything-but": [100, 200, 300]}]}, {"x-limit": 300.0}),
    match("anything-but-number-list", {"x-limit": [{"anything-but": [100, 200, 300]}]}, {"x-limit": 250}),
    no_match("anything-but-prefix-excluded", {"state": [{"anything-but": {"prefix": "init"}}]}, {"state": "initializing"}),
    match("anything-but-prefix", {"state": [{"anything-but": {"prefix": "init"}}]}, {"state": "running"}),
    match("anything-but-prefix-matches-number", {"state": [{"anything-but": {"prefix": "init"}}]}, {"state": 5}),
    no_match("anything-but-suffix-excluded", {"f": [{"anything-but": {"suffix": ".png"}}]}, {"f": "a.png"}),
    match("anything-but-suffix", {"f": [{"anything-but": {"suffix": ".png"}}]}, {"f": "a.jpg"}),
    no_match("anything-but-ignore-case-excluded", {"s": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
             {"s": "INITIALIZING"}),
    match("anything-but-ignore-case", {"s": [{"anything-but": {"equals-ignore-case": "initializing"}}]}, {"s": "running"}),
    no_match("anything-but-ignore-case-list-excluded", {"s": [{"anything-but": {"equals-ignore-case": ["a", "b"]}}]},
             {"s": "B"}),
    no_match("anything-but-wildcard-excluded", {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
             {"FilePath": "/usr/lib/x.so"}),
    match("anything-but-wildcard", {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/bin/x"}),
    match("anything-but-wildcard-list", {"f": [{"anything-but": {"wildcard": ["a*", "b*"]}}]}, {"f": "cat"}),
    no_match("anything-but-wildcard-list-excluded", {"f": [{"anything-but": {"wildcard": ["a*", "b*"]}}]}, {"f": "bat"}),
    no_match("anything-but-nested-missing-parent", {"detail": {"state": [{"anything-but": "x"}]}}, {"detail": {}}),
]

NUMERIC = [
    match("numeric-range-upper-inclusive", {"c": [{"numeric": [">", 0, "<=", 5]}]}, {"c": 5}),
    no_match("numeric-range-lower-exclusive", {"c": [{"numeric": [">", 0, "<=", 5]}]}, {"c": 0}),
    match("numeric-range-just-above-lower", {"c": [{"numeric": [">", 0, "<=", 5]}]}, {"c": 0.000001}),
    no_match("numeric-range-just-above-upper", {"c": [{"numeric": [">", 0, "<=", 5]}]}, {"c": 5.000001}),
    match("numeric-range-closed-lower", {"c": [{"numeric": [">=", 0, "<", 5]}]}, {"c": 0}),
    no_match("numeric-range-open-upper", {"c": [{"numeric": [">=", 0, "<", 5]}]}, {"c": 5}),
    match("numeric-less-than", {"d": [{"numeric": ["<", 10]}]}, {"d": 9.99}),
    no_match("numeric-less-than-boundary", {"d": [{"numeric": ["<", 10]}]}, {"d": 10}),
    match("numeric-less-or-equal-boundary", {"d": [{"numeric": ["<=", 10]}]}, {"d": 10}),
    match("numeric-greater-or-equal-boundary", {"d": [{"numeric": [">=", 10]}]}, {"d": 10}),
    no_match("numeric-greater-than-boundary", {"d": [{"numeric": [">", 10]}]}, {"d": 10}),
    match("numeric-equals", {"x": [{"numeric": ["=", 3.018e2]}]}, {"x": 301.8}),
    no_match("numeric-equals-other", {"x": [{"numeric": ["=", 3.018e2]}]}, {"x": 301}),
    match("numeric-equals-int-float", {"x": [{"numeric": ["=", 5]}]}, {"x": 5.0}),
    no_match("numeric-not-on-string", {"x": [{"numeric": [">", 0]}]}, {"x": "5"}),
    no_match("numeric-not-on-true", {"x": [{"numeric": [">", 0]}]}, {"x": True}),
    no_match("numeric-not-on-null", {"x": [{"numeric": ["<", 0]}]}, {"x": None}),
    no_match("numeric-not-on-missing", {"x": [{"numeric": ["<", 0]}]}, {}),
    match("numeric-negative-range", {"t": [{"numeric": [">", -10, "<", -5]}]}, {"t": -7}),
    no_match("numeric-negative-range-outside", {"t": [{"numeric": [">", -10, "<", -5]}]}, {"t": -5}),
    match("numeric-large-event-value", {"t": [{"numeric": [">", 0]}]}, {"t": 4_999_999_999}),
    match("numeric-pattern-limit-inclusive", {"t": [{"numeric": ["<=", 5e9]}]}, {"t": 5e9}),
    match("numeric-two-ranges-any-of", {"t": [{"numeric": ["<", 0]}, {"numeric": [">", 100]}]}, {"t": 101}),
    no_match("numeric-two-ranges-gap", {"t": [{"numeric": ["<", 0]}, {"numeric": [">", 100]}]}, {"t": 50}),
]

EXISTS = [
    match("exists-true-string", {"c": [{"exists": True}]}, {"c": "x"}),
    match("exists-true-null-counts-as-present", {"c": [{"exists": True}]}, {"c": None}),
    match("exists-true-false-value", {"c": [{"exists": True}]}, {"c": False}),
    no_match("exists-true-missing", {"c": [{"exists": True}]}, {}),
    no_match("exists-true-object-is-not-leaf", {"c": [{"exists": True}]}, {"c": {"c1": 100}}),
    no_match("exists-true-empty-array", {"c": [{"exists": True}]}, {"c": []}),
    match("exists-true-scalar-array", {"c": [{"exists": True}]}, {"c": ["a"]}),
    match("exists-false-missing", {"detail": {"c-count": [{"exists": False}]}}, {"detail": {"state": "x"}}),
    no_match("exists-false-present", {"detail": {"c-count": [{"exists": False}]}}, {"detail": {"c-count": 5}}),
    no_match("exists-false-null-is-present", {"c": [{"exists": False}]}, {"c": None}),
    match("exists-false-object-is-not-leaf", {"detail": {"c-count": [{"exists": False}]}},
          {"detail": {"c-count": {"c1": 100}}}),
    match("exists-false-empty-array", {"c": [{"exists": False}]}, {"c": []}),
    match("exists-false-missing-parent", {"detail": {"c": [{"exists": False}]}}, {"source": "x"}),
    match("exists-false-parent-is-scalar", {"detail": {"c": [{"exists": False}]}}, {"detail": "text"}),
    no_match("exists-false-scalar-array", {"c": [{"exists": False}]}, {"c": [1]}),
    match("exists-true-in-array-of-objects", {"d": {"a": [{"exists": True}]}}, {"d": [{"b": 1}, {"a": 2}]}),
    match("exists-false-with-other-field", {"source": ["a"], "detail": {"x": [{"exists": False}]}},
          {"source": "a", "detail": {}}),
    no_match("exists-false-with-other-field-failing", {"source": ["a"], "detail": {"x": [{"exists": False}]}},
             {"source": "b", "detail": {}}),
]

CIDR = [
    match("cidr-v4", {"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.33"}),
    no_match("cidr-v4-outside", {"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.1.1"}),
    match("cidr-v4-first-address", {"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.0"}),
    match("cidr-v4-last-address", {"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.255"}),
    match("cidr-v4-slash-8", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "10.200.3.4"}),
    match("cidr-v4-slash-0", {"ip": [{"cidr": "0.0.0.0/0"}]}, {"ip": "203.0.113.9"}),
    no_match("cidr-v4-pattern-v6-event", {"ip": [{"cidr": "0.0.0.0/0"}]}, {"ip": "::1"}),
    match("cidr-v6", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8::1"}),
    no_match("cidr-v6-outside", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db9::1"}),
    match("cidr-v6-expanded-event", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:0db8:0000:0000:0000:0000:0000:0001"}),
    no_match("cidr-not-an-address", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "ten.zero"}),
    no_match("cidr-not-on-number", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": 167772161}),
    match("cidr-in-array", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": ["192.168.0.1", "10.1.1.1"]}),
    no_match("cidr-host-bits-start-the-range", {"ip": [{"cidr": "10.0.0.5/24"}]}, {"ip": "10.0.0.4"}),
    match("cidr-host-bits-range-to-last-host", {"ip": [{"cidr": "10.0.0.5/24"}]}, {"ip": "10.0.0.200"}),
]

OR = [
    match("or-first-branch", {"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"a": "1"}),
    match("or-second-branch", {"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"b": "2"}),
    no_match("or-no-branch", {"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"a": "2", "b": "1"}),
    match("or-and-outer-field", {"source": ["cw"], "$or": [{"m": ["cpu"]}, {"n": ["ec2"]}]}, {"source": "cw", "n": "ec2"}),
    no_match("or-outer-field-fails", {"source": ["cw"], "$or": [{"m": ["cpu"]}, {"n": ["ec2"]}]}, {"source": "x", "n": "ec2"}),
    match("or-nested-in-detail", {"detail": {"$or": [{"c": [{"numeric": [">", 0, "<=", 5]}]}, {"d": [{"numeric": ["<", 10]}]}]}},
          {"detail": {"c": 50, "d": 3}}),
    match("or-parallel-groups", {"$or": [{"m": ["a"]}, {"n": ["b"]}], "detail": {"$or": [{"s": ["c"]}, {"t": ["d"]}]}},
          {"n": "b", "detail": {"t": "d"}}),
    no_match("or-parallel-groups-one-fails", {"$or": [{"m": ["a"]}, {"n": ["b"]}], "detail": {"$or": [{"s": ["c"]}, {"t": ["d"]}]}},
             {"n": "b", "detail": {"t": "x"}}),
    match("or-branch-with-and", {"$or": [{"m": ["x"]}, {"t": ["T"], "ns": ["N"]}]}, {"t": "T", "ns": "N"}),
    no_match("or-branch-with-and-partial", {"$or": [{"m": ["x"]}, {"t": ["T"], "ns": ["N"]}]}, {"t": "T"}),
    match("or-nested-or", {"$or": [{"a": ["1"]}, {"b": ["2"], "$or": [{"c": [3]}, {"d": [4]}]}]}, {"b": "2", "d": 4}),
    no_match("or-nested-or-inner-fails", {"$or": [{"a": ["1"]}, {"b": ["2"], "$or": [{"c": [3]}, {"d": [4]}]}]},
             {"b": "2", "d": 5}),
    match("or-branch-exists-false", {"$or": [{"a": ["1"]}, {"b": [{"exists": False}]}]}, {"c": 1}),
    match("or-array-element-satisfies-branch", {"d": {"$or": [{"a": ["1"]}, {"b": ["2"]}]}}, {"d": [{"a": "0"}, {"b": "2"}]}),
    no_match("or-array-field-and-branch-split", {"d": {"x": ["1"], "$or": [{"a": ["1"]}, {"b": ["2"]}]}},
             {"d": [{"x": "1"}, {"b": "2"}]}),
    match("or-different-depths", {"$or": [{"source": ["a"]}, {"detail": {"s": ["b"]}}]}, {"source": "z", "detail": {"s": "b"}}),
]

MIXED_LEAVES = [
    match("leaf-exact-or-prefix", {"s": ["a", {"prefix": "b"}]}, {"s": "bc"}),
    match("leaf-numeric-or-string-string", {"s": [{"numeric": [">", 10]}, "low"]}, {"s": "low"}),
    match("leaf-numeric-or-string-number", {"s": [{"numeric": [">", 10]}, "low"]}, {"s": 11}),
    no_match("leaf-numeric-or-string-neither", {"s": [{"numeric": [">", 10]}, "low"]}, {"s": 5}),
    match("leaf-exists-false-or-value-missing", {"s": [{"exists": False}, "x"]}, {}),
    match("leaf-exists-false-or-value-value", {"s": [{"exists": False}, "x"]}, {"s": "x"}),
    no_match("leaf-exists-false-or-value-other", {"s": [{"exists": False}, "x"]}, {"s": "y"}),
    match("leaf-anything-but-or-missing", {"s": [{"anything-but": "a"}, {"exists": False}]}, {}),
    match("leaf-null-or-string", {"s": [None, "x"]}, {"s": None}),
    match("leaf-true-or-number", {"s": [True, 1]}, {"s": 1}),
]

NON_OBJECT_EVENTS = [
    no_match("event-list", {"source": [{"exists": False}]}, [{"source": "a"}]),
    no_match("event-string", {"source": [{"exists": False}]}, "source"),
    no_match("event-null", {"source": [{"exists": False}]}, None),
    match("event-empty-object-exists-false", {"source": [{"exists": False}]}, {}),
]

ISSUE_ROUTING = {"source": ["cabruca.agents.monitor"], "detail-type": ["Issue Detection Event"],
                 "detail": {"severity": [{"exists": True}]}}
CRITICAL = {"source": ["cabruca.agents.monitor"], "detail-type": ["Issue Detection Event"],
            "detail": {"severity": ["CRITICAL", "HIGH"]}}
CODE_CHANGE = {"source": ["cabruca.agents.developer"], "detail-type": ["Code Change Event"],
               "detail": {"status": ["APPROVED", "MERGED"]}}
FAILED_TESTS = {"source": ["cabruca.agents.tester"], "detail-type": ["Test Results Event"],
                "detail": {"status": ["FAILED", "ERROR"]}}
FEATURES = {"source": ["cabruca.agents.product"], "detail-type": ["Feature Request Event"]}

CABRUCA_RULES = [
    match("cabruca-issue-routing", ISSUE_ROUTING,
          agent_event("cabruca.agents.monitor", "Issue Detection Event", severity="LOW")),
    no_match("cabruca-issue-routing-no-severity", ISSUE_ROUTING,
             agent_event("cabruca.agents.monitor", "Issue Detection Event", component="api")),
    match("cabruca-critical", CRITICAL, agent_event("cabruca.agents.monitor", "Issue Detection Event", severity="HIGH")),
    no_match("cabruca-critical-medium", CRITICAL,
             agent_event("cabruca.agents.monitor", "Issue Detection Event", severity="MEDIUM")),
    no_match("cabruca-critical-lowercase", CRITICAL,
             agent_event("cabruca.agents.monitor", "Issue Detection Event", severity="critical")),
    no_match("cabruca-critical-wrong-source", CRITICAL,
             agent_event("cabruca.agents.tester", "Issue Detection Event", severity="CRITICAL")),
    match("cabruca-feature-request", FEATURES, agent_event("cabruca.agents.product", "Feature Request Event", title="x")),
    no_match("cabruca-feature-request-wrong-type", FEATURES,
             agent_event("cabruca.agents.product", "Feature Request", title="x")),
    match("cabruca-code-change-merged", CODE_CHANGE,
          agent_event("cabruca.agents.developer", "Code Change Event", status="MERGED")),
    no_match("cabruca-code-change-open", CODE_CHANGE,
             agent_event("cabruca.agents.developer", "Code Change Event", status="OPEN")),
    match("cabruca-failed-tests-error", FAILED_TESTS,
          agent_event("cabruca.agents.tester", "Test Results Event", status="ERROR", failed=3)),
    no_match("cabruca-failed-tests-passed", FAILED_TESTS,
             agent_event("cabruca.agents.tester", "Test Results Event", status="PASSED")),
]

# anything-but with a list of prefixes, suffixes, wildcards or case-insensitive values
# (event-ruler JsonRuleCompiler, aws/event-ruler#143 and #145; EventBridge user guide,
# "Anything-but matching"): a string matching ANY listed one is excluded; numbers,
# booleans and null are never excluded by a string operator; a missing field never matches.
AB_PREFIXES = {"state": [{"anything-but": {"prefix": ["init", "stop"]}}]}
AB_SUFFIXES = {"FileName": [{"anything-but": {"suffix": [".png", ".jpg"]}}]}
AB_WILDCARDS = {"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*.tmp"]}}]}
AB_IGNORE_CASE = {"s": [{"anything-but": {"equals-ignore-case": ["Stopped", "Overloaded"]}}]}

ANYTHING_BUT_LISTS = [
    match("ab-prefixes-other", AB_PREFIXES, {"state": "running"}),
    no_match("ab-prefixes-first-excluded", AB_PREFIXES, {"state": "initializing"}),
    no_match("ab-prefixes-second-excluded", AB_PREFIXES, {"state": "stopped"}),
    no_match("ab-prefixes-exact-prefix-excluded", AB_PREFIXES, {"state": "stop"}),
    match("ab-prefixes-case-sensitive", AB_PREFIXES, {"state": "Initializing"}),
    match("ab-prefixes-number", AB_PREFIXES, {"state": 5}),
    match("ab-prefixes-null", AB_PREFIXES, {"state": None}),
    match("ab-prefixes-true", AB_PREFIXES, {"state": True}),
    no_match("ab-prefixes-missing", AB_PREFIXES, {}),
    no_match("ab-prefixes-object-is-no-leaf", AB_PREFIXES, {"state": {"init": 1}}),
    match("ab-prefixes-array-one-survives", AB_PREFIXES, {"state": ["init-1", "running"]}),
    no_match("ab-prefixes-array-all-excluded", AB_PREFIXES, {"state": ["init-1", "stop-2"]}),
    match("ab-prefixes-one-element-list", {"state": [{"anything-but": {"prefix": ["init"]}}]}, {"state": "up"}),
    match("ab-prefixes-duplicates", {"state": [{"anything-but": {"prefix": ["a", "a"]}}]}, {"state": "b"}),
    no_match("ab-suffixes-first-excluded", AB_SUFFIXES, {"FileName": "a.png"}),
    no_match("ab-suffixes-second-excluded", AB_SUFFIXES, {"FileName": "b.jpg"}),
    match("ab-suffixes-other", AB_SUFFIXES, {"FileName": "c.gif"}),
    match("ab-suffixes-case-sensitive", AB_SUFFIXES, {"FileName": "d.PNG"}),
    match("ab-suffixes-number", AB_SUFFIXES, {"FileName": 3}),
    no_match("ab-suffixes-nested-missing", {"detail": AB_SUFFIXES}, {"detail": {}}),
    no_match("ab-wildcards-first-excluded", AB_WILDCARDS, {"FilePath": "/usr/lib/x.so"}),
    no_match("ab-wildcards-second-excluded", AB_WILDCARDS, {"FilePath": "/home/a.tmp"}),
    match("ab-wildcards-other", AB_WILDCARDS, {"FilePath": "/usr/bin/x"}),
    match("ab-wildcards-number", AB_WILDCARDS, {"FilePath": 7}),
    match("ab-wildcards-null", AB_WILDCARDS, {"FilePath": None}),
    no_match("ab-wildcards-empty-string-excludes-empty",
             {"f": [{"anything-but": {"wildcard": ["", "a*"]}}]}, {"f": ""}),
    match("ab-wildcards-empty-string-keeps-others", {"f": [{"anything-but": {"wildcard": ["", "a*"]}}]}, {"f": "b"}),
    no_match("ab-ignore-case-list-any-casing", AB_IGNORE_CASE, {"s": "OVERLOADED"}),
    match("ab-ignore-case-list-other", AB_IGNORE_CASE, {"s": "running"}),
    match("ab-ignore-case-list-number", AB_IGNORE_CASE, {"s": 1}),
    match("ab-prefixes-or-exists-false-missing", {"s": [{"anything-but": {"prefix": ["a"]}}, {"exists": False}]}, {}),
]

# Dots in field names: AWS joins nested keys with dots on both sides (event-ruler flattens
# rules and events to dotted paths), so every spelling of a path is the same field.
DUPLICATE_PATH = {"a.b": ["1"], "a": {"b": ["2"]}}  # one path twice: the later values win (rule overriding)

DOTTED_FIELDS = [
    match("dots-pattern-dotted-event-nested", {"detail": {"state.status": ["running"]}},
          {"detail": {"state": {"status": "running"}}}),
    match("dots-pattern-nested-event-dotted", {"detail": {"state": {"status": ["running"]}}},
          {"detail": {"state.status": "running"}}),
    match("dots-both-dotted", {"detail": {"state.status": ["running"]}}, {"detail": {"state.status": "running"}}),
    match("dots-top-level-pattern", {"detail.state": ["x"]}, {"detail": {"state": "x"}}),
    match("dots-top-level-event", {"detail": {"state": ["x"]}}, {"detail.state": "x"}),
    match("dots-three-segments-split-differently", {"a.b.c": [1]}, {"a": {"b.c": 1}}),
    match("dots-event-key-mid-path", {"a": {"b": {"c": [1]}}}, {"a.b": {"c": 1}}),
    no_match("dots-other-value", {"detail.state": ["x"]}, {"detail": {"state": "y"}}),
    no_match("dots-segment-is-not-a-prefix", {"a.b": ["x"]}, {"a.bc": "x"}),
    no_match("dots-leaf-is-not-an-object", {"a.b": ["x"]}, {"a": "x"}),
    match("dots-plain-and-dotted-pattern-fields", {"detail": {"a": ["1"], "b.c": ["2"]}},
          {"detail": {"a": "1", "b": {"c": "2"}}}),
    match("dots-event-siblings-in-both-spellings", {"a": {"b": ["1"], "c": ["2"]}}, {"a": {"b": "1"}, "a.c": "2"}),
    match("dots-event-one-path-two-values", {"a": {"b": ["2"]}}, {"a": {"b": "1"}, "a.b": "2"}),
    no_match("dots-exists-false-sees-dotted-key", {"a": {"b": [{"exists": False}]}}, {"a.b": 1}),
    match("dots-exists-false-other-field", {"a": {"b": [{"exists": False}]}}, {"a.c": 1}),
    match("dots-exists-true-null", {"a.b": [{"exists": True}]}, {"a.b": None}),
    match("dots-array-of-objects", {"a.b": ["x"]}, {"a": [{"b": "y"}, {"b": "x"}]}),
    no_match("dots-array-fields-from-two-elements", {"a.b": ["1"], "a.c": ["2"]}, {"a": [{"b": "1"}, {"c": "2"}]}),
    match("dots-array-fields-from-one-element", {"a.b": ["1"], "a.c": ["2"]}, {"a": [{"b": "1", "c": "2"}]}),
    match("dots-event-array-value", {"a": {"b": ["x"]}}, {"a.b": ["y", "x"]}),
    match("dots-or-branch", {"$or": [{"a.b": ["1"]}, {"c": ["2"]}]}, {"a": {"b": "1"}}),
    match("dots-anything-but", {"a.b": [{"anything-but": "x"}]}, {"a.b": "y"}),
    no_match("dots-anything-but-missing", {"a.b": [{"anything-but": "x"}]}, {"a": {}}),
    match("dots-suffix", {"detail.file": [{"suffix": ".png"}]}, {"detail.file": "a.png"}),
    match("dots-empty-segment", {"a..b": ["x"]}, {"a": {"": {"b": "x"}}}),
    match("dots-source-anchor-and-dotted-detail", {"source": ["a"], "detail.x": ["1"]},
          {"source": "a", "detail.x": "1"}),
    match("dots-duplicate-path-later-wins", DUPLICATE_PATH, {"a": {"b": "2"}}),
    no_match("dots-duplicate-path-earlier-dropped", DUPLICATE_PATH, {"a": {"b": "1"}}),
    match("dots-duplicate-path-reversed", {"a": {"b": ["2"]}, "a.b": ["1"]}, {"a.b": "1"}),
]

# Near the complexity limits and accepted (the refusals are in test_patterns_invalid.py):
# wildcard complexity at most 10 per field machine, $or combinations at most 1,000.
STACKS = {"detail": {"stack-id": [{"wildcard": f"*:stack/{name}/*"} for name in ("App", "Data", "Net")]}}
LEADING_STARS = ["*kiwi*", "*BASE_QuxB*", "*Delta*", "*a/example-lake-abc98765432*"]
THOUSAND = {key: {"$or": [{"n": [index]} for index in range(10)]} for key in ("a", "b", "c")}

COMPLEXITY_EDGES = [
    match("complexity-three-stack-wildcards", STACKS, {"detail": {"stack-id": "arn:aws:cf:x:1:stack/Data/9"}}),
    no_match("complexity-three-stack-wildcards-other", STACKS, {"detail": {"stack-id": "arn:aws:cf:x:1:stack/Mon/9"}}),
    match("complexity-repeated-a-9", {"f": [{"wildcard": "*a*a*a*a*"}]}, {"f": "banana bar"}),
    no_match("complexity-repeated-a-9-too-few", {"f": [{"wildcard": "*a*a*a*a*"}]}, {"f": "banana"}),
    match("complexity-five-suffix-wildcards", {"f": [{"wildcard": f"*.{e}"} for e in ("bif", "tif", "svs", "png", "gif")]},
          {"f": "scan.svs"}),
    match("complexity-ten-prefix-wildcards", {"f": [{"wildcard": f"{c}*"} for c in "abcdefghij"]}, {"f": "jam"}),
    match("complexity-anything-but-set-counts-once", {"f": [{"anything-but": {"wildcard": LEADING_STARS}}]},
          {"f": "banana"}),
    no_match("complexity-anything-but-set-excludes", {"f": [{"anything-but": {"wildcard": LEADING_STARS}}]},
             {"f": "a kiwi"}),
    match("complexity-is-per-field-not-summed", {"a": [{"wildcard": "*a*a*a*a*"}], "b": [{"wildcard": "*b*b*b*b*"}]},
          {"a": "aaaa", "b": "bbbb"}),
    match("complexity-or-branches-on-different-fields",
          {"$or": [{"f": [{"wildcard": "*a*a*a*"}]}, {"g": [{"wildcard": "*b*b*b*"}]}]}, {"g": "bbb"}),
    match("complexity-or-thousand-combinations", THOUSAND, {"a": {"n": 3}, "b": {"n": 9}, "c": {"n": 0}}),
    no_match("complexity-or-thousand-combinations-miss", THOUSAND, {"a": {"n": 3}, "b": {"n": 10}, "c": {"n": 0}}),
]

CASES = (
    EXACT_STRINGS + NUMBERS + LITERALS + EVENT_ARRAYS + ARRAYS_OF_OBJECTS + PREFIX_SUFFIX + EQUALS_IGNORE_CASE
    + WILDCARDS + ANYTHING_BUT + NUMERIC + EXISTS + CIDR + OR + MIXED_LEAVES + NON_OBJECT_EVENTS + CABRUCA_RULES
    + ANYTHING_BUT_LISTS + DOTTED_FIELDS + COMPLEXITY_EDGES
)


def test_suite_is_large_and_uniquely_named() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 150
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("pattern, event, expected", CASES)
def test_compiled_pattern(pattern: dict, event: object, expected: bool) -> None:
    assert compile_pattern(pattern).matches(event) is expected


@pytest.mark.parametrize("pattern, event, expected", CASES)
def test_pattern_from_json_text(pattern: dict, event: object, expected: bool) -> None:
    assert compile_pattern(json.dumps(pattern)).matches(event) is expected


@pytest.mark.parametrize("pattern, event, expected", CASES)
def test_rule_set_with_neighbours(pattern: dict, event: object, expected: bool) -> None:
    """The case's rule among decoys that share its anchor values: the index must not mix them up."""
    decoys = {"decoy-never": {"source": ["\x00never"]}, "decoy-any-source": {"source": [{"prefix": "\x00"}]}}
    rules = compile_rules({"first": {"zzz": [1]}, "case": pattern, **decoys})
    assert rules.matching(event) == (["case"] if expected else [])
