"""Bad input gets a clear error with file and line, exit code 1, and never a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bad_input_support import Bad, assert_refused, nested, where
from cabructl.cli import cli
from cabructl.constants import MAX_NESTING_DEPTH
from cabructl.topology import load_topology
from support import edit_topology, line_of

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join('*' + chr(97 + n) for _ in range(10))}]\n" for n in range(9)
)

# (id, file content as bytes, expected line, message fragment)
RAW_CASES = [
    ("empty-file", b"", 1, "the file is empty"),
    ("comment-only", b"# nothing here\n", 1, "the file is empty"),
    ("list-instead-of-mapping", b"- bus\n- rules\n", 1, "must be a mapping of sections, but the file is a list"),
    ("scalar-document", b"just text\n", 1, "but the file is a str"),
    ("yaml-syntax-error", b"version: 1\nproject: [unclosed\nbus: {}\n", 3, "YAML syntax error"),
    ("duplicate-key", b"version: 1\nproject: a\nproject: b\n", 3, "duplicate key: project"),
    ("tab-indentation", b"version: 1\nbus:\n\tname: x\n", 3, "tabs are not allowed"),
    ("non-utf8", b"version: 1\nproject: caf\xe9\n", 2, "not UTF-8: byte 0xe9"),
    ("alias-bomb", BILLION_LAUGHS.encode(), 5, "alias bomb"),  # at the alias that crosses the budget
]


@pytest.mark.parametrize("content,line,message", [c[1:] for c in RAW_CASES], ids=[c[0] for c in RAW_CASES])
def test_unreadable_files_name_the_line(tmp_path: Path, content: bytes, line: int, message: str) -> None:
    path = tmp_path / "topology.yaml"
    path.write_bytes(content)
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["validate", "-f", str(path)])
    assert time.monotonic() - started < 5, "bad input must be rejected quickly"
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert message in result.output
    assert f"topology.yaml:{line}:" in result.output


def test_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "-f", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "nope.yaml:0:0: (document): no such file" in result.output


# (id, replace, with, line fragment, message fragment)
SCHEMA_CASES = [
    ("unknown-top-level-key", "budget:\n  monthly_usd", "budgte:\n  monthly_usd", "budgte:", 'unknown key "budgte" — did you mean "budget"?'),
    ("unknown-nested-key", "visibility_timeout: 1m", "visiblity_timeout: 1m", "visiblity_timeout", 'unknown key "visiblity_timeout" — did you mean "visibility_timeout"?'),
    ("wrong-type", "monthly_usd: 10", "monthly_usd: ten", "monthly_usd: ten", "'ten' is not of type 'number'"),
    ("out-of-range-number", "monthly_usd: 10", "monthly_usd: -5", "monthly_usd: -5", "-5 is less than or equal to the minimum of 0"),
    ("bad-duration", "retention: 14d\n    visibility_timeout: 5m", "retention: 14 days\n    visibility_timeout: 5m", "retention: 14 days", "'14 days' is not valid"),
    ("bad-state", "description: HIGH and CRITICAL", "state: ON\n    description: HIGH and CRITICAL", "state: ON", "'ON' is not one of ['ENABLED', 'DISABLED']"),
    ("target-without-destination", "        topic: critical-alerts\n", "", "id: critical-issues-sns", "needs exactly one of: log_group, topic, queue"),
    ("missing-required", "  monitor:\n    source: cabruca.agents.monitor\n", "  monitor:\n", "  monitor:", "'source' is required"),
]


@pytest.mark.parametrize("old,new,fragment,message", [c[1:] for c in SCHEMA_CASES], ids=[c[0] for c in SCHEMA_CASES])
def test_schema_errors_name_the_line(topology_copy: Path, old: str, new: str, fragment: str, message: str) -> None:
    edit_topology(topology_copy, old, new)
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    line = line_of(topology_copy, fragment)
    matching = [row for row in result.output.splitlines() if message in row]
    assert matching, result.output
    assert any(f"topology.yaml:{line}:" in row for row in matching), (line, matching)


# --- One table per class of bad input (cases and assert_refused: bad_input_support.py) ------------

DEPTH = MAX_NESTING_DEPTH
TOO_DEEP = f"levels deep; at most {DEPTH} levels of mappings and lists are read"
NESTED = f"nested more than {DEPTH} {TOO_DEEP}"
_PATTERN = "rules.critical-issues.pattern.detail.severity"

# The top-level mapping is level 1: rules(2) critical-issues(3) pattern(4) detail(5), so the
# severity value's first "{a: " is level 6 and the one that is too deep is number DEPTH - 4.
DEPTH_CASES = [
    Bad("pattern-300-levels", "severity: [CRITICAL, HIGH]", "severity: " + nested(300, "{a: ", "}"), "{a: ",
        _PATTERN + ".a" * (DEPTH - 5), NESTED, offset=4 * (DEPTH - 5)),
    Bad("flow-list-3000", "budget:\n", "deep: " + nested(3000) + "\nbudget:\n", "deep: [",
        "deep" + "[0]" * (DEPTH - 1), NESTED, offset=len("deep: ") + DEPTH - 1),
    Bad("flow-mapping-5000", "budget:\n", "deep: " + nested(5000, "{k: ", "}") + "\nbudget:\n", "deep: {",
        "deep" + ".k" * (DEPTH - 1), NESTED, offset=len("deep: ") + 4 * (DEPTH - 1)),
    Bad("block-mapping-3000", "budget:\n", "deep:\n" + "".join(f"{' ' * (i + 1)}k{i}:\n" for i in range(3000)) + "budget:\n",
        f"k{DEPTH - 1}:", "deep" + "".join(f".k{i}" for i in range(DEPTH - 1)), NESTED),
    Bad("block-list-3000", "budget:\n", "deep:\n" + "".join(f"{'  ' * i}- # L{i}\n" for i in range(3000)) + "budget:\n",
        f"- # L{DEPTH - 1}", "deep" + "[0]" * (DEPTH - 1), NESTED),
    Bad("alias-repeats-deep-node", "budget:\n", "a: &deep " + nested(40) + "\nb: " + nested(30, "[", "]", "*deep") + "\nbudget:\n",
        "*deep", "b" + "[0]" * 30, "alias *deep repeats a node 40 levels deep here, at level 32; at most"),
    Bad("schema-file-json-style", "  IssueDetectionEvent:\n      type: object\n", "  IssueDetectionEvent:\n      type: object\n      x-deep: "
        + nested(200, "{k: ", "}") + "\n", "x-deep:", "components.schemas.IssueDetectionEvent.x-deep" + ".k" * (DEPTH - 4),
        NESTED, file="schemas/IssueDetectionEvent.yaml", offset=len("x-deep: ") + 4 * (DEPTH - 4)),
]


@pytest.mark.parametrize("case", DEPTH_CASES, ids=[c.id for c in DEPTH_CASES])
def test_nesting_deeper_than_the_limit_is_refused_where_it_goes_too_deep(topology_copy: Path, case: Bad) -> None:
    assert_refused(topology_copy, case)


def test_nesting_at_the_limit_is_read(topology_copy: Path) -> None:
    """Exactly MAX_NESTING_DEPTH levels: no depth error, and nothing after the loader recurses
    into trouble (the pattern checker, JSON Schema, the schema file's checks)."""
    edit_topology(topology_copy, "severity: [CRITICAL, HIGH]", "severity: " + nested(DEPTH - 6, "{a: ", "}", "[x]"))
    schema = topology_copy.parent / "schemas/IssueDetectionEvent.yaml"
    edit_topology(schema, "      type: object\n", "      type: object\n      x-deep: " + nested(DEPTH - 4, "{k: ", "}") + "\n", count=1)
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy)])
    assert result.exit_code == 0, result.output


def test_a_json_schema_file_is_read_with_the_same_limit(topology_copy: Path) -> None:
    schema = topology_copy.parent / "schemas" / "Deep.json"
    schema.write_text('{\n\t"type": "object",\n\t"x-deep": ' + nested(100, '{"k": ', "}", "1") + "\n}\n", encoding="utf-8")
    edit_topology(topology_copy, "file: schemas/TestResultsEvent.yaml", "type: JSONSchemaDraft4\n      file: schemas/Deep.json")
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy)])
    assert result.exit_code == 1
    column = len('\t"x-deep": ') + 1 + 6 * (DEPTH - 1)
    assert f"schemas/Deep.json:3:{column}: x-deep{'.k' * (DEPTH - 1)}: nested more than" in result.output, result.output


# Merge keys: these topologies are valid, and their values are the merged ones.
MERGED_QUEUE = "  critical-events-dlq:\n    retention: 4d\n    visibility_timeout: 1m\n    receive_wait: 20s\n    encryption: sqs\n"
MERGE_CASES = [
    ("alias-then-override", "  eventbridge-dlq:\n", "  eventbridge-dlq: &std\n", MERGED_QUEUE,
     "  critical-events-dlq:\n    <<: *std\n    retention: 4d\n", {"retention": 345_600, "visibility_timeout": 300, "receive_wait": 20}),
    ("inline-then-key", None, None, MERGED_QUEUE,
     "  critical-events-dlq:\n    <<: {retention: 4d, receive_wait: 20s}\n    visibility_timeout: 1m\n", {"retention": 345_600, "visibility_timeout": 60}),
    ("override-before-merge", "  eventbridge-dlq:\n", "  eventbridge-dlq: &std\n", MERGED_QUEUE,
     "  critical-events-dlq:\n    retention: 4d\n    <<: *std\n", {"retention": 345_600, "visibility_timeout": 300}),
    ("list-earlier-wins", "  eventbridge-dlq:\n", "  eventbridge-dlq: &std\n", MERGED_QUEUE,
     "  critical-events-dlq:\n    <<: [{visibility_timeout: 7m}, *std]\n", {"retention": 1_209_600, "visibility_timeout": 420}),
    ("flow-merge", None, None, MERGED_QUEUE,
     "  critical-events-dlq: {<<: {retention: 4d}, receive_wait: 5s}\n", {"retention": 345_600, "receive_wait": 5}),
]


@pytest.mark.parametrize("anchor_old,anchor_new,old,new,expected", [c[1:] for c in MERGE_CASES], ids=[c[0] for c in MERGE_CASES])
def test_merge_keys_are_supported(topology_copy: Path, anchor_old: str | None, anchor_new: str | None, old: str, new: str,
                                  expected: dict[str, int]) -> None:
    if anchor_old:
        edit_topology(topology_copy, anchor_old, anchor_new or "")
    edit_topology(topology_copy, old, new)
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy)])
    assert result.exit_code == 0, result.output
    queue = load_topology(str(topology_copy)).queues["critical-events-dlq"]
    assert {key: getattr(queue, key) for key in expected} == expected


def _merge_error(case_id: str, new: str, at: str, path: str, message: str, occurrence: int = 1) -> Bad:
    return Bad(case_id, MERGED_QUEUE, new, at, path, message, occurrence=occurrence)


MERGE_ERRORS = [
    # A merged key's problem is reported where its anchor wrote it; an override's at the override.
    Bad("merged-key-points-at-anchor", "  eventbridge-dlq:\n    retention: 14d\n    visibility_timeout: 5m\n",
        "  eventbridge-dlq: &std\n    retention: 14d\n    visibility_timeout: 99h\n", "99h", "queues.critical-events-dlq.visibility_timeout",
        "visibility timeout 356400s is outside AWS's range 0s–43200s"),
    _merge_error("merged-from-anchor", "  critical-events-dlq:\n    <<: {retention: 4d, visibility_timeout: 99h}\n", "99h",
                 "queues.critical-events-dlq.visibility_timeout", "visibility timeout 356400s is outside"),
    _merge_error("override-points-at-override", "  critical-events-dlq:\n    <<: {retention: 4d}\n    visibility_timeout: 99h\n", "99h",
                 "queues.critical-events-dlq.visibility_timeout", "visibility timeout 356400s is outside"),
    Bad("merge-of-a-scalar", MERGED_QUEUE, "  critical-events-dlq:\n    <<: 4d\n", "<<: 4d", "queues.critical-events-dlq.<<",
        "`<<` merges a mapping or a list of mappings", offset=4),
    Bad("merge-of-a-list-of-scalars", MERGED_QUEUE, "  critical-events-dlq:\n    <<: [4d, 1m]\n", "<<: [4d", "queues.critical-events-dlq.<<",
        "`<<` merges a mapping or a list of mappings", offset=4),
    _merge_error("two-merge-keys", "  critical-events-dlq:\n    <<: {retention: 4d}\n    <<: {delay: 1s}\n", "<<: {delay",
                 "queues.critical-events-dlq.<<", "duplicate key: <<"),
    _merge_error("unknown-alias", "  critical-events-dlq:\n    <<: *nowhere\n", "*nowhere", "queues.critical-events-dlq.<<",
                 "alias *nowhere has no anchor before it"),
    _merge_error("duplicate-beside-merge", "  critical-events-dlq:\n    <<: {retention: 4d}\n    delay: 1s\n    delay: 2s\n", "delay: 2s",
                 "queues.critical-events-dlq.delay", "duplicate key: delay"),
]


@pytest.mark.parametrize("case", MERGE_ERRORS, ids=[c.id for c in MERGE_ERRORS])
def test_merge_key_problems_point_at_the_right_line(topology_copy: Path, case: Bad) -> None:
    if case.id == "merged-key-points-at-anchor":
        edit_topology(topology_copy, MERGED_QUEUE, "  critical-events-dlq:\n    <<: *std\n    retention: 4d\n")
        output = assert_refused(topology_copy, case)
        assert f"{where(topology_copy.parent, case)}: queues.eventbridge-dlq.visibility_timeout:" in output  # the anchor's own
        return
    assert_refused(topology_copy, case)


NOT_A_STRING = "not a string; keys are names: quote it"
KEY_CASES = [
    Bad("queue-404", "  test-investigation:\n", "  404:\n", "404:", "queues.404", f'key 404 is an integer, {NOT_A_STRING} ("404":)'),
    Bad("rule-1", "  failed-tests:\n", "  1:\n", "1:", "rules.1", f'key 1 is an integer, {NOT_A_STRING} ("1":)'),
    Bad("log-group-7", "  agents:\n    name: /aws/events", "  7:\n    name: /aws/events", "7:", "log_groups.7", "key 7 is an integer"),
    Bad("schema-name", "    CodeChangeEvent:\n", "    1:\n", "1:", "schemas.events.1", "key 1 is an integer"),
    Bad("tag-key", "  Owner: cabruca-platform", "  Owner: cabruca-platform\n  123: x", "123:", "tags.123", f'key 123 is an integer, {NOT_A_STRING} ("123":)'),
    Bad("output-key", "  event_bus_name: bus.name", "  1: bus.name", "1: bus", "outputs.1", "key 1 is an integer"),
    Bad("float-key", "  Owner: cabruca-platform", "  1.5: x", "1.5:", "tags.1.5", f'key 1.5 is a number, {NOT_A_STRING} ("1.5":)'),
    Bad("boolean-key", "{LOW: 0.55,", "{true: 0.55,", "true:", "agents.monitor.mix.severity.true", "key true is a boolean"),
    Bad("null-key", "  Owner: cabruca-platform", "  ~: x", "~:", "tags.~", f'key ~ is null, {NOT_A_STRING} ("~":)'),
    Bad("list-as-key", "  Owner: cabruca-platform", "  ? [a, b]\n  : x", "[a, b]", "tags.[…]", "a list cannot be a key"),
    Bad("environment-override", "  dev:\n    region: us-east-1", "  2:\n    region: us-east-1", "2:", "environments.2", "key 2 is an integer"),
    Bad("schema-file-property", "      properties:\n", "      properties:\n        404: {type: string}\n", "404:",
        "components.schemas.IssueDetectionEvent.properties.404", "key 404 is an integer", file="schemas/IssueDetectionEvent.yaml"),
]


@pytest.mark.parametrize("case", KEY_CASES, ids=[c.id for c in KEY_CASES])
def test_every_key_must_be_a_string(topology_copy: Path, case: Bad) -> None:
    assert_refused(topology_copy, case)


def test_a_quoted_number_is_a_name(topology_copy: Path) -> None:
    edit_topology(topology_copy, "  Owner: cabruca-platform", '  Owner: cabruca-platform\n  "123": x')
    edit_topology(topology_copy, "  event_bus_name: bus.name", '  "1": bus.name')
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy)])
    assert result.exit_code == 0, result.output
    assert load_topology(str(topology_copy)).outputs["1"] == "bus.name"


TOO_LARGE = "is too large: numbers must lie between -2**63 and 2**63-1"
NUMBER_CASES = [
    Bad("5000-digit-integer", "threshold: 7500", "threshold: " + "9" * 5000, "9999", "monitoring.cost_alarm.threshold",
        f"999999999999…9999 (5,000 characters) {TOO_LARGE}"),
    Bad("two-to-the-63", "threshold: 7500", f"threshold: {2**63}", str(2**63), "monitoring.cost_alarm.threshold", f"{2**63} {TOO_LARGE}"),
    Bad("below-minus-two-to-the-63", "monthly_usd: 10", f"monthly_usd: {-(2**63) - 1}", "-9", "budget.monthly_usd", TOO_LARGE),
    Bad("huge-hex", "per_day: 50000", "per_day: 0x" + "f" * 400, "0x", "agents.monitor.volume.per_day", TOO_LARGE),
    Bad("huge-float", "monthly_usd: 10", "monthly_usd: 1.5e300", "1.5e300", "budget.monthly_usd", f"1.5e300 {TOO_LARGE}"),
    Bad("environment-override", "monitor: {volume: {per_day: 5000,", "monitor: {volume: {per_day: 1" + "0" * 4400 + ",",
        "per_day: 1", "environments.dev.agents.monitor.volume.per_day", TOO_LARGE, offset=len("per_day: ")),
    Bad("schema-file", "duration: {type: number}", "duration: {type: number, maximum: 1e30}", "1e30",
        "components.schemas.TestResultsEvent.properties.summary.properties.duration.maximum", f"1e30 {TOO_LARGE}",
        file="schemas/TestResultsEvent.yaml"),
    Bad("huge-duration-string", "retention: 14d\n    visibility_timeout: 5m", "retention: " + "9" * 5000 + "d\n    visibility_timeout: 5m",
        "retention: 9", "queues.eventbridge-dlq.retention", "(5,003 characters) is not valid: Seconds, or a number with a unit", offset=len("retention: ")),
]


@pytest.mark.parametrize("case", NUMBER_CASES, ids=[c.id for c in NUMBER_CASES])
def test_numbers_beyond_any_aws_limit_are_refused(topology_copy: Path, case: Bad) -> None:
    assert_refused(topology_copy, case)


@pytest.mark.parametrize("written,value", [(str(2**63 - 1), 2**63 - 1), (str(-(2**63)), -(2**63)), ("0" * 5_000 + "7500", 7500),
                                           ("7_500", 7500), ("0x1D4C", 7500), ("7.5e3", 7500.0)])
def test_numbers_within_range_are_read(topology_copy: Path, written: str, value: float) -> None:
    """The 64-bit bounds themselves, and long spellings of small numbers (leading zeros are not digits)."""
    edit_topology(topology_copy, "threshold: 7500", f"threshold: {written}")
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy)])
    assert TOO_LARGE not in result.output and "Traceback" not in result.output, result.output
    if value == 7500:
        assert result.exit_code == 0, result.output
        assert load_topology(str(topology_copy)).cost_alarm.threshold == value  # type: ignore[union-attr]


NUL = "character U+0000 (a NUL byte) is not allowed in YAML"
# (id, text to insert after "Owner: cabruca", line fragment, column offset from the fragment, message)
CHARACTER_CASES = [
    ("nul-in-a-value", "\x00", "Owner: cabruca", len("Owner: cabruca"), NUL),
    ("nul-in-a-comment", "# \x00", "Owner: cabruca", len("Owner: cabruca# "), NUL),
    ("bell", "\x07", "Owner: cabruca", len("Owner: cabruca"), "character U+0007 is not allowed in YAML"),
    ("escape", "\x1b[31m", "Owner: cabruca", len("Owner: cabruca"), "character U+001B is not allowed in YAML"),
]


@pytest.mark.parametrize("inserted,fragment,offset,message", [c[1:] for c in CHARACTER_CASES], ids=[c[0] for c in CHARACTER_CASES])
def test_control_characters_are_reported_at_their_line_and_column(topology_copy: Path, inserted: str, fragment: str, offset: int,
                                                                   message: str) -> None:
    edit_topology(topology_copy, "Owner: cabruca", "Owner: cabruca" + inserted)
    line = line_of(topology_copy, fragment)
    column = topology_copy.read_text(encoding="utf-8").splitlines()[line - 1].index(fragment) + offset + 1
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy)])
    assert result.exit_code == 1
    assert f"topology.yaml:{line}:{column}: (document): {message}" in result.output, result.output


def test_the_alias_budget_counts_only_what_aliases_add(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many plain nodes are no alias bomb; a few aliases that add more than the budget are."""
    import cabructl.topology.builder as builder

    monkeypatch.setattr(builder, "MAX_DOCUMENT_NODES", 1_000)
    plain = tmp_path / "plain.yaml"
    plain.write_text("tags:\n" + "".join(f"  T{i}: v{i}\n" for i in range(5_000)), encoding="utf-8")
    assert "alias bomb" not in CliRunner().invoke(cli, ["validate", "-f", str(plain)]).output
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [" + ", ".join(["x"] * 300) + "]\nb: [*a, *a, *a, *a]\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "-f", str(bomb)])
    assert result.exit_code == 1
    assert "bomb.yaml:2:17: b[3]: aliases expand the document by more than 1,000 nodes (an alias bomb?)" in result.output, result.output
