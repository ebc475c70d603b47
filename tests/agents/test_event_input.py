"""Event JSON input, one class of bad input per row: `publish` and `test-event` read it by one rule.

Every row asserts the message (naming the file or option, with line and column
where there is one), exit code 1, no traceback and, for publish, nothing sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cabructl.patterns.entries import parse_entries
from cabructl.agents.errors import EventInputError
from cabructl.patterns.eventjson import loads_event_json, nests_deeper_than
from cabructl.cli import cli
from cabructl.constants import EVENT_JSON_MAX_DEPTH

from agent_backbone import Backbone
from agent_samples import issue
from support import TOPOLOGY

DEEP = 10_000
BUS = "cabruca-agents-bus"


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, [*args, "-f", str(TOPOLOGY)], input=input, catch_exceptions=False)


def assert_refused(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


def valid_detail(**extra: Any) -> dict[str, Any]:
    return {**issue(description="from a file").to_detail(), **extra}


def with_field(raw: str) -> str:
    """A valid detail's JSON text with one more field whose value is ``raw`` JSON text."""
    return json.dumps(valid_detail())[:-1] + f', "extra": {raw}}}'


# -- the reader: text → value ---------------------------------------------------------------------
PREFIX = len(json.dumps(valid_detail())[:-1] + ', "extra": ')  # column of the extra value, minus one

DETAIL_TEXTS = [
    # (id, detail text, fragment of the message)
    ("deep-arrays", with_field("[" * DEEP + "]" * DEEP), f"line 1, column {PREFIX + EVENT_JSON_MAX_DEPTH}: nested deeper than 64 levels"),
    ("deep-objects", with_field('{"a":' * DEEP + "1" + "}" * DEEP), "nested deeper than 64 levels (the limit of event JSON)"),
    ("lone-high-surrogate", with_field('"\\ud800"'), f"line 1, column {PREFIX + 1}: this string holds a lone UTF-16 surrogate (\\ud800)"),
    ("lone-low-surrogate", with_field('"ok \\udc00"'), "lone UTF-16 surrogate (\\udc00)"),
    ("high-surrogate-then-text", with_field('"\\ud83dx"'), "lone UTF-16 surrogate (\\ud83d)"),
    ("nan", with_field("NaN"), f"line 1, column {PREFIX + 1}: NaN is not JSON: numbers must be finite"),
    ("infinity", with_field("Infinity"), "Infinity is not JSON: numbers must be finite"),
    ("minus-infinity", with_field("[1, -Infinity]"), "-Infinity is not JSON: numbers must be finite"),
    ("overflowing-float", with_field("1e309"), f"line 1, column {PREFIX + 1}: 1e309 is out of range: numbers must be finite"),
    ("overflowing-negative-float", with_field("-1e309"), "-1e309 is out of range: numbers must be finite"),
    ("integer-past-int64", with_field("9223372036854775808"), "the integer 9223372036854775808 is outside PutEvents' range"),
    ("huge-integer", with_field("9" * 5000), "is outside PutEvents' range"),
    ("not-json", "{severity: HIGH}", "is not valid JSON: Expecting property name enclosed in double quotes"),
]


@pytest.mark.parametrize("text,fragment", [case[1:] for case in DETAIL_TEXTS], ids=[case[0] for case in DETAIL_TEXTS])
def test_publish_refuses_a_detail_file_and_sends_nothing(backbone: Backbone, tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "event.json"
    path.write_text(text, encoding="utf-8")
    assert_refused(run("publish", "--agent", "monitor", "--detail", f"@{path}"), f"{path}", fragment)
    assert backbone.received() == []


@pytest.mark.parametrize("text,fragment", [case[1:] for case in DETAIL_TEXTS], ids=[case[0] for case in DETAIL_TEXTS])
def test_test_event_refuses_the_same_detail_file(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "event.json"
    path.write_text(text, encoding="utf-8")
    result = run("test-event", "--source", "cabruca.agents.monitor", "--detail-type", "Issue Detection Event", "--detail", f"@{path}")
    assert_refused(result, f"{path}", fragment)


def test_inline_detail_text_is_named_by_its_option(backbone: Backbone) -> None:
    assert_refused(run("publish", "--agent", "monitor", "--detail", '{"a": NaN}'), "--detail: line 1, column 7: NaN is not JSON")
    assert_refused(run("publish", "--agent", "monitor", "--detail", "-"), "stdin is not valid JSON")
    assert_refused(run("publish", "--agent", "monitor", "--detail", "-", input="[" * DEEP), "stdin: line 1, column 65: nested deeper")
    assert backbone.received() == []


def test_unreadable_detail_files_are_named(backbone: Backbone, tmp_path: Path) -> None:
    (tmp_path / "latin1.json").write_bytes(b'{"description": "\xe7a"}')
    assert_refused(run("publish", "--agent", "monitor", "--detail", f"@{tmp_path / 'latin1.json'}"), "latin1.json is not UTF-8 text")
    assert_refused(run("publish", "--agent", "monitor", "--detail", f"@{tmp_path / 'absent.json'}"),
                   f"cannot read {tmp_path / 'absent.json'}: No such file or directory")
    assert backbone.received() == []


@pytest.mark.parametrize("text", [
    '{"a": "\\ud83d\\ude00"}',            # a surrogate pair is one character (an emoji)
    '{"a": "\\\\ud800"}',                  # an escaped backslash: the text \ud800, not a surrogate
    '{"a": "' + "[{" * 500 + '"}',        # brackets inside a string do not nest anything
    '{"a": [1e308, -1.5e-300, 9223372036854775807, -9223372036854775808]}',
    "[" * EVENT_JSON_MAX_DEPTH + "]" * EVENT_JSON_MAX_DEPTH,
], ids=["surrogate-pair", "escaped-backslash", "brackets-in-strings", "extreme-but-valid-numbers", "exactly-the-limit"])
def test_standard_json_within_the_limits_is_read(text: str) -> None:
    assert loads_event_json(text, "x") == json.loads(text)


def test_one_level_past_the_limit_is_refused_and_no_input_can_recurse() -> None:
    with pytest.raises(EventInputError, match="x: line 1, column 65: nested deeper than 64"):
        loads_event_json("[" * (EVENT_JSON_MAX_DEPTH + 1) + "]" * (EVENT_JSON_MAX_DEPTH + 1), "x")
    looped: dict[str, Any] = {}
    looped["self"] = looped
    assert nests_deeper_than(looped) and not nests_deeper_than({"a": [[]]}, 3) and nests_deeper_than({"a": [[]]}, 2)


# -- the entries format, as publish --entries and test-event read it --------------------------------
def entry(**fields: Any) -> dict[str, Any]:
    base = {"Source": "cabruca.agents.monitor", "DetailType": "Issue Detection Event", "Detail": json.dumps(valid_detail())}
    return {key: value for key, value in {**base, **fields}.items() if value is not DROP}


DROP = object()

ENTRIES = [
    # (id, entries document, fragment of the message)
    ("resources-numbers", [entry(Resources=[1, 2])],
     "entries[0]: Resources must be a list of strings: Resources[0] is a number (1), Resources[1] is a number (2)"),
    ("resources-string", [entry(Resources="arn:aws:s3:::bucket")],
     'entries[0]: Resources must be a list of strings, not a string ("arn:aws:s3:::bucket")'),
    ("bus-number", [entry(EventBusName=123)], "entries[0]: EventBusName must be a non-empty string, not a number (123)"),
    ("bus-empty", [entry(EventBusName="")], 'entries[0]: EventBusName must be a non-empty string, not a string ("")'),
    ("source-number", [entry(Source=123)], "entries[0]: Source must be a non-empty string, not a number (123)"),
    ("detail-type-list", [entry(DetailType=["x"])], "entries[0]: DetailType must be a non-empty string, not an array"),
    ("detail-type-missing", [entry(DetailType=DROP)], "entries[0]: DetailType is missing"),
    ("detail-missing", [entry(Detail=DROP)], "entries[0]: Detail is missing (PutEvents requires Source, DetailType and Detail)"),
    ("detail-array", [entry(Detail="[1, 2]")], "entries[0]: Detail must hold a JSON object, not an array"),
    ("detail-number", [entry(Detail=5)], "entries[0]: Detail must hold a JSON object, not a number"),
    ("detail-deep", [entry(Detail="[" * DEEP + "]" * DEEP)], "entries[0]: Detail: line 1, column 65: nested deeper than 64 levels"),
    ("detail-nan", [entry(Detail='{"a": NaN}')], "entries[0]: Detail: line 1, column 7: NaN is not JSON"),
    ("detail-infinite", [entry(Detail='{"a": 1e309}')], "entries[0]: Detail: line 1, column 7: 1e309 is out of range"),
    ("detail-surrogate", [entry(Detail='{"a": "\\ud800"}')], "entries[0]: Detail: line 1, column 7: this string holds a lone UTF-16 surrogate"),
    ("detail-not-json", [entry(Detail="{bad")], "entries[0]: Detail is not valid JSON"),
    ("time-text", [entry(Time="yesterday")], 'entries[0]: Time must be an RFC 3339 timestamp or epoch seconds, not a string ("yesterday")'),
    ("time-without-zone", [entry(Time="2024-01-15T10:00:00")], "entries[0]: Time '2024-01-15T10:00:00' needs a time zone"),
    ("time-boolean", [entry(Time=True)], "entries[0]: Time must be an RFC 3339 timestamp or epoch seconds, not a boolean (true)"),
    ("trace-header-number", [entry(TraceHeader=1)], "entries[0]: TraceHeader must be a non-empty string, not a number (1)"),
    ("unknown-field", [entry(Detial="{}")], 'entries[0]: unknown field "Detial" (PutEvents takes Source, DetailType, Detail'),
    ("not-an-object", [entry(), 5], "entries[1]: an entry must be a JSON object, not a number"),
    ("empty", {"Entries": []}, "the entries file must hold a non-empty JSON list"),
    ("other-bus", [entry(EventBusName="default")], f"EventBusName 'default' is not this topology's bus '{BUS}'"),
]


def entries_file(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "entries.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("document,fragment", [case[1:] for case in ENTRIES], ids=[case[0] for case in ENTRIES])
def test_publish_entries_refuses_a_bad_field_and_sends_nothing(backbone: Backbone, tmp_path: Path, document: Any, fragment: str) -> None:
    path = entries_file(tmp_path, document)
    assert_refused(run("publish", "--entries", str(path)), f"{path}: ", fragment)
    assert backbone.received() == []


@pytest.mark.parametrize("document,fragment", [case[1:] for case in ENTRIES], ids=[case[0] for case in ENTRIES])
def test_test_event_refuses_the_same_entries(tmp_path: Path, document: Any, fragment: str) -> None:
    path = entries_file(tmp_path, document)
    assert_refused(run("test-event", str(path)), f"{path}: ", fragment)


def test_an_entries_file_nested_too_deep_is_refused_by_both(backbone: Backbone, tmp_path: Path) -> None:
    path = tmp_path / "entries.json"
    path.write_text('{"Entries": ' + "[" * DEEP + "]" * DEEP + "}", encoding="utf-8")
    for result in (run("publish", "--entries", str(path)), run("test-event", str(path))):
        assert_refused(result, f"{path}: line 1, column 76: nested deeper than 64 levels")
    assert backbone.received() == []


def test_every_problem_of_every_entry_is_reported_at_once(backbone: Backbone, tmp_path: Path) -> None:
    path = entries_file(tmp_path, [entry(Resources="arn", EventBusName=7), entry(), entry(Detail="[]")])
    result = run("publish", "--entries", str(path))
    assert_refused(result, f"{path}: entries[0]: EventBusName must be a non-empty string",
                   f"{path}: entries[0]: Resources must be a list of strings", f"{path}: entries[2]: Detail must hold a JSON object")
    assert backbone.received() == []


def test_the_topologys_bus_by_name_or_arn_and_the_entrys_time_are_kept(backbone: Backbone, tmp_path: Path) -> None:
    arn = f"arn:aws:events:sa-east-1:123456789012:event-bus/{BUS}"
    path = entries_file(tmp_path, [entry(EventBusName=BUS, Time="2024-01-15T10:00:00Z", Resources=["arn:aws:s3:::a"]),
                                   entry(EventBusName=arn, Time=1705312800)])
    result = run("publish", "--entries", str(path))
    assert result.exit_code == 0, result.output
    received = backbone.received()
    assert [event["time"] for event in received] == ["2024-01-15T10:00:00Z"] * 2
    assert sorted(len(event["resources"]) for event in received) == [0, 1]


def test_the_parser_names_the_home_bus_rule_once() -> None:
    with pytest.raises(EventInputError, match=f"entries\\[0\\]: EventBusName 'default' is not this topology's bus '{BUS}'"):
        parse_entries([entry(EventBusName="default")], bus=BUS)
    [parts] = parse_entries([entry(EventBusName="default", Time=0)])  # without a bus to compare: types only
    assert parts.bus == "default" and parts.time == "1970-01-01T00:00:00Z"


def test_a_short_file_name_still_prefixes_every_line(backbone: Backbone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("e").write_text(json.dumps([entry(Resources="r")]), encoding="utf-8")
    assert_refused(run("publish", "--entries", "e"), "e: entries[0]: Resources must be a list of strings")
    assert_refused(run("test-event", "e"), "e: entries[0]: Resources must be a list of strings")
