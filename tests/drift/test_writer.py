"""Round-trip edits of topology.yaml: each edit changes its own line and nothing else (no AWS)."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import pytest

from cabructl.topology import load_topology
from cabructl.topology.writer import KeyEdit, Style, TopologyEditor, format_duration
from drift_support import changed_lines
from support import TOPOLOGY

THRESHOLD = load_topology(str(TOPOLOGY)).document["monitoring"]["cost_alarm"]["threshold"]  # as the file writes it



def test_the_untouched_file_round_trips_byte_for_byte() -> None:
    editor = TopologyEditor(str(TOPOLOGY))
    assert editor.faithful
    assert editor.text() == TOPOLOGY.read_text(encoding="utf-8")


@pytest.mark.parametrize(("seconds", "like", "written"), [
    (604_800, "4d", "7d"),         # the file's unit when it divides
    (90_000, "4d", "25h"),         # else the largest unit that does
    (5_400, "1h", "90m"),
    (45, "5m", "45s"),
    (1_209_600, 345_600, 1_209_600),  # integer seconds stay integers
    (3_600, None, "1h"),           # a new value: the largest whole unit
    (0, "20s", "0s"),
])
def test_durations_are_written_in_the_files_style(seconds: int, like: Any, written: Any) -> None:
    assert format_duration(seconds, like) == written


@pytest.mark.parametrize(("name", "edit", "old", "new"), [
    ("queue retention", KeyEdit(("queues", "cicd-changes", "retention"), 604_800, Style.DURATION),
     "    retention: 4d", "    retention: 7d"),
    ("retry in flow style", KeyEdit(("rules", "failed-tests", "targets", 0, "retry", "attempts"), 1),
     "        retry: {attempts: 3, max_age: 1h}", "        retry: {attempts: 1, max_age: 1h}"),
    ("integer threshold from CloudWatch's float", KeyEdit(("monitoring", "cost_alarm", "threshold"), 9000.0),
     f"    threshold: {THRESHOLD}", "    threshold: 9000"),
    ("quoted string stays quoted", KeyEdit(("tags", "Environment"), "{environment}-x"),
     '  Environment: "{environment}"', '  Environment: "{environment}-x"'),
    ("one pattern item", KeyEdit(("rules", "critical-issues", "pattern"),
                                 {"source": ["cabruca.agents.monitor"], "detail-type": ["Issue Detection Event"],
                                  "detail": {"severity": ["CRITICAL"]}}, Style.MERGE),
     "        severity: [CRITICAL, HIGH]", "        severity: [CRITICAL]"),
    ("a pattern operator in a flow list", KeyEdit(("rules", "issue-detection-routing", "pattern", "detail", "severity"),
                                                  [{"exists": False}], Style.MERGE),
     "        severity: [{exists: true}]", "        severity: [{exists: false}]"),
    ("a new key, before the blank line", KeyEdit(("queues", "test-investigation", "delay"), 30, Style.DURATION),
     "", "    delay: 30s"),
])
def test_one_edit_changes_exactly_its_line(topology_copy: Path, name: str, edit: KeyEdit, old: str, new: str) -> None:
    editor = TopologyEditor(str(topology_copy))
    editor.apply(edit)
    after = editor.text()
    assert changed_lines(editor.original, after) == [(old, new)]
    if not old:  # the added key sits at the end of its block, the blank line after it
        lines = after.splitlines()
        assert lines[lines.index(new) + 1] == ""


def test_removing_a_key_removes_its_line(topology_copy: Path) -> None:
    editor = TopologyEditor(str(topology_copy))
    written = editor.apply(KeyEdit(("queues", "eventbridge-dlq", "receive_wait"), None, Style.REMOVE))
    assert written.before == "20s"
    assert editor.original.splitlines()[written.line - 1] == "    receive_wait: 20s"  # positions are the file's
    diff = [line for line in difflib.ndiff(editor.original.splitlines(), editor.text().splitlines()) if line[:1] in "+-"]
    assert diff == ["-     receive_wait: 20s"]


def test_a_new_rule_is_declared_after_the_last_one_with_the_files_spacing(topology_copy: Path) -> None:
    editor = TopologyEditor(str(topology_copy))
    editor.add_entry(("rules",), "by-hand", {
        "description": "added by hand",
        "pattern": {"source": ["cabruca.agents.monitor"], "detail": {"severity": [{"prefix": "HI"}]}},
        "targets": [{"id": "t", "queue": "cicd-changes", "retry": {"attempts": 2, "max_age": "1h"}}],
    })
    text = editor.text()
    before, _, after = editor.original.partition("\nqueues:\n")
    assert text.startswith(before) and text.endswith("\nqueues:\n" + after)  # nothing else moved
    expected = ("        dead_letter: eventbridge-dlq\n"
                "\n"
                "  by-hand:\n"
                "    description: added by hand\n"
                "    pattern:\n"
                "      source: [cabruca.agents.monitor]\n"
                "      detail:\n"
                "        severity: [{prefix: HI}]\n"
                "    targets:\n"
                "      - id: t\n"
                "        queue: cicd-changes\n"
                "        retry: {attempts: 2, max_age: 1h}\n"
                "\n"
                "queues:\n")
    assert expected in text
    topology_copy.write_text(text, encoding="utf-8")
    assert load_topology(str(topology_copy)).rules["by-hand"].targets[0].retry.attempts == 2


def test_a_target_is_appended_to_its_rule(topology_copy: Path) -> None:
    editor = TopologyEditor(str(topology_copy))
    editor.append_item(("rules", "failed-tests", "targets"), {"id": "extra", "queue": "cicd-changes"})
    additions = [line[2:] for line in difflib.ndiff(editor.original.splitlines(), editor.text().splitlines()) if line[:1] == "+"]
    assert additions == ["      - id: extra", "        queue: cicd-changes"]


@pytest.mark.parametrize(("path", "environment", "expected"), [
    (("bus", "name"), "dev", (("environments", "dev", "bus", "name"), True)),  # dev overrides the bus name
    (("bus", "description"), "dev", (("bus", "description"), False)),          # but not its description
    (("bus", "name"), "prod", (("bus", "name"), False)),                       # prod overrides nothing
    (("agents", "monitor", "volume", "per_day"), "dev", (("environments", "dev", "agents", "monitor", "volume", "per_day"), True)),
    (("bus", "name"), None, (("bus", "name"), False)),
])
def test_values_go_to_the_override_only_when_the_environment_overrides_the_key(path: tuple[str, ...], environment: str | None,
                                                                              expected: tuple[tuple[str, ...], bool]) -> None:
    assert TopologyEditor(str(TOPOLOGY)).locate(path, environment) == expected


def test_save_replaces_the_file_atomically_and_keeps_its_mode(topology_copy: Path) -> None:
    os.chmod(topology_copy, 0o640)
    editor = TopologyEditor(str(topology_copy))
    editor.apply(KeyEdit(("budget", "monthly_usd"), 12))
    editor.save()
    assert "  monthly_usd: 12\n" in topology_copy.read_text(encoding="utf-8")
    assert os.stat(topology_copy).st_mode & 0o777 == 0o640
    assert [path.name for path in topology_copy.parent.iterdir() if path.name.startswith(".cabructl-import-")] == []
