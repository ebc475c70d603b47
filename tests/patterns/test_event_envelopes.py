"""`cabructl test-event` refuses, with exit 1, every event PutEvents would refuse.

An event EventBridge never accepts is delivered nowhere; "matches no rule"
(exit 2) would say it was fine to send. The limits are publish's own:
field types, EVENT_JSON_MAX_DEPTH and PUT_EVENTS_MAX_BYTES.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cabructl.cli import cli
from cabructl.constants import EVENT_JSON_MAX_DEPTH, PUT_EVENTS_MAX_BYTES
from support import TOPOLOGY

SOURCE, DETAIL_TYPE = "cabruca.agents.monitor", "Issue Detection Event"
HINT = "hint: PutEvents refuses such an event, so it reaches no rule"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["test-event", *args, "-f", str(TOPOLOGY)], input=input, catch_exceptions=False)


def event(**fields: Any) -> dict[str, Any]:
    return {"source": SOURCE, "detail-type": DETAIL_TYPE, "detail": {"severity": "HIGH"}, **fields}


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def assert_refused(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


ENVELOPES = [
    # (id, the file's content, what the message says about it)
    ("source-number", event(source=123), "source must be a non-empty string, not a number (123)"),
    ("source-empty", event(source=""), 'source must be a non-empty string, not a string ("")'),
    ("detail-type-array", event(**{"detail-type": ["x"]}), "detail-type must be a non-empty string, not an array"),
    ("detail-text", event(detail="text"), 'detail must be a JSON object, not a string ("text")'),
    ("detail-array", event(detail=[1, 2]), "detail must be a JSON object, not an array"),
    ("detail-null", event(detail=None), "detail must be a JSON object, not null"),
    ("resources-string", event(resources="arn:aws:s3:::bucket"), 'resources must be a list of strings, not a string ("arn:aws:s3:::bucket")'),
    ("resources-numbers", event(resources=[1]), "resources must be a list of strings: resources[0] is a number (1)"),
    ("time-number", event(time=1705312800), "time must be a string, not a number (1705312800)"),
    ("region-object", event(region={}), "region must be a string, not an object"),
    ("too-large", event(detail={"severity": "HIGH", "blob": "x" * 300_000}),
     f"the event is 300,072 bytes; PutEvents takes at most {PUT_EVENTS_MAX_BYTES:,} per entry"),
]


@pytest.mark.parametrize("document,fragment", [case[1:] for case in ENVELOPES], ids=[case[0] for case in ENVELOPES])
def test_an_envelope_put_events_refuses_is_an_error(tmp_path: Path, document: Any, fragment: str) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert_refused(run(str(path)), f"{path}: {fragment}", HINT)


def test_a_300_kb_event_says_its_size() -> None:
    result = run("--source", SOURCE, "--detail-type", DETAIL_TYPE, "--detail", json.dumps({"blob": "x" * 300_000}))
    assert_refused(result, "--source/--detail-type/--detail: the event is 300,0", "bytes; PutEvents takes at most 262,144 per entry")


def test_each_event_of_a_list_is_named_by_its_position(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps([event(), event(source=1), event(detail="x", resources="r")]), encoding="utf-8")
    assert_refused(run(str(path)), f"{path}[1]: source must be", f"{path}[2]: detail must be", f"{path}[2]: resources must be")


def test_entries_in_an_object_are_named_by_their_position(tmp_path: Path) -> None:
    path = tmp_path / "entries.json"
    big = json.dumps({"blob": "x" * 300_000})
    path.write_text(json.dumps({"Entries": [{"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": big}]}), encoding="utf-8")
    assert_refused(run(str(path)), f"{path}: Entries[0]: the event is 300,0")


FLAG_DETAILS = [
    ("detail-text", '"text"', '--source/--detail-type/--detail: detail must be a JSON object, not a string ("text")'),
    ("detail-array", "[1, 2]", "--source/--detail-type/--detail: detail must be a JSON object, not an array"),
    ("detail-number", "5", "--source/--detail-type/--detail: detail must be a JSON object, not a number (5)"),
    ("detail-deep", "[" * 10_000 + "]" * 10_000, "--detail: line 1, column 65: nested deeper than 64 levels"),
    ("detail-nan", '{"a": NaN}', "--detail: line 1, column 7: NaN is not JSON"),
    ("detail-surrogate", '{"a": "\\udfff"}', "--detail: line 1, column 7: this string holds a lone UTF-16 surrogate (\\udfff)"),
    ("detail-not-json", "{", "--detail is not valid JSON"),
]


@pytest.mark.parametrize("detail,fragment", [case[1:] for case in FLAG_DETAILS], ids=[case[0] for case in FLAG_DETAILS])
def test_a_bad_detail_option_is_an_error(detail: str, fragment: str) -> None:
    assert_refused(run("--source", SOURCE, "--detail-type", DETAIL_TYPE, "--detail", detail), fragment)


def test_the_depth_limit_is_one_rule_for_file_and_event(tmp_path: Path) -> None:
    """An event of exactly EVENT_JSON_MAX_DEPTH levels is routed; one level more is refused, with its position."""
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event(detail={"severity": "HIGH", **nested(EVENT_JSON_MAX_DEPTH - 1)})), encoding="utf-8")
    assert run(str(path)).exit_code == 0
    path.write_text(json.dumps(event(detail={"severity": "HIGH", **nested(EVENT_JSON_MAX_DEPTH)})), encoding="utf-8")
    assert_refused(run(str(path)), f"{path}: line 1, column ", "nested deeper than 64 levels")


@pytest.mark.parametrize("name,message", [
    ("absent.json", "cannot read {path}: No such file or directory"),
    ("", "cannot read {path}: Is a directory"),
], ids=["missing-file", "directory"])
def test_an_unreadable_event_file_is_an_error_not_no_match(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name if name else tmp_path
    assert_refused(run(str(path)), message.format(path=path))


def test_stdin_is_read_by_the_same_rule() -> None:
    assert_refused(run("-", input="[" * 10_000), "stdin: line 1, column 65: nested deeper than 64 levels")
    assert_refused(run("-", input=json.dumps(event(source=5))), "stdin: source must be a non-empty string")
    assert run("-", input=json.dumps(event())).exit_code == 0


def test_a_valid_event_still_routes() -> None:
    ok = run("--source", SOURCE, "--detail-type", DETAIL_TYPE, "--detail", '{"severity": "CRITICAL"}', "--json")
    assert ok.exit_code == 0 and json.loads(ok.output)[0]["rules"] == ["issue-detection-routing", "critical-issues"]
    nowhere = run("--source", SOURCE, "--detail-type", DETAIL_TYPE, "--detail", "{}")
    assert nowhere.exit_code == 2
