"""Bad input gets a clear error with file and line, exit code 1, and never a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
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
    ("alias-bomb", BILLION_LAUGHS.encode(), 1, "alias bomb"),
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
