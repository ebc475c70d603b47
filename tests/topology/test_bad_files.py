"""Bad files and references: what is not a regular file or is too large, schema `$ref`s that
leave their document or dangle, and every command that reads the topology refusing them alike."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bad_input_support import Bad, assert_refused, nested
from cabructl.cli import cli
from cabructl.constants import MAX_INPUT_FILE_BYTES
from cabructl.topology import load_topology
from support import ROOT, edit_topology

_SCHEMA_FILE = "file: schemas/TestResultsEvent.yaml"


def _schema_file(case_id: str, named: str, message: str) -> Bad:
    """The TestResultsEvent schema's ``file:`` names something that is not a readable schema file."""
    return Bad(case_id, _SCHEMA_FILE, f"file: {named}", f"file: {named}", "schemas.events.TestResultsEvent.file",
               f'schema file "{named}" {message}', offset=len("file: "))


NOT_REGULAR = "is not a regular file (a device, pipe or socket); only files are read"
TOO_BIG = "is larger than 16 MiB, the most cabructl reads (MAX_INPUT_FILE_BYTES)"
SCHEMA_FILE_CASES = [
    _schema_file("device", "/dev/zero", NOT_REGULAR),
    _schema_file("directory", "schemas/dir.yaml", "is a directory, not a file"),
    _schema_file("fifo", "schemas/pipe", NOT_REGULAR),
    _schema_file("too-large", "schemas/huge.yaml", TOO_BIG),
    _schema_file("missing", "schemas/Nope.yaml", "not found"),
]


def _special_files(folder: Path) -> None:
    """A directory named like a schema, a FIFO (reading it would block forever) and a sparse
    file just over the size limit."""
    (folder / "schemas" / "dir.yaml").mkdir()
    os.mkfifo(folder / "schemas" / "pipe")
    with open(folder / "schemas" / "huge.yaml", "wb") as handle:
        handle.truncate(MAX_INPUT_FILE_BYTES + 1)


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"), reason="needs /dev/zero and FIFOs")
@pytest.mark.parametrize("case", SCHEMA_FILE_CASES, ids=[c.id for c in SCHEMA_FILE_CASES])
def test_a_schema_file_that_is_not_a_readable_file_is_refused_at_its_file_line(topology_copy: Path, case: Bad) -> None:
    _special_files(topology_copy.parent)
    assert_refused(topology_copy, case)


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"), reason="needs /dev/zero and FIFOs")
@pytest.mark.parametrize("named,message", [("/dev/zero", NOT_REGULAR), ("pipe", NOT_REGULAR), ("huge.yaml", TOO_BIG)])
def test_the_topology_file_itself_must_be_a_regular_file_of_bounded_size(tmp_path: Path, named: str, message: str) -> None:
    (tmp_path / "schemas").mkdir()
    _special_files(tmp_path)
    target = named if named.startswith("/") else str(tmp_path / "schemas" / named)
    result = CliRunner().invoke(cli, ["validate", "-f", target])
    assert result.exit_code == 1
    assert f"{target}:0:0: (document): {message}" in result.output, result.output


REF = "schemas.events.IssueDetectionEvent.content.components.schemas.IssueDetectionEvent.properties"  # the checks' path
REF_OUTSIDE = "is outside this schema document: only local references"


def _ref(case_id: str, new: str, at: str, path: str, message: str, offset: int = 0) -> Bad:
    return Bad(case_id, "        agentId: {type: string}\n", new, at, path, message, file="schemas/IssueDetectionEvent.yaml", offset=offset)


REF_CASES = [
    _ref("url", "        agentId: {$ref: 'https://example.com/agent.json'}\n", "'https", f"{REF}.agentId.$ref", REF_OUTSIDE),
    _ref("other-file", "        agentId: {$ref: 'common.yaml#/Agent'}\n", "'common", f"{REF}.agentId.$ref", REF_OUTSIDE),
    _ref("missing-component", "        agentId: {$ref: '#/components/schemas/Agent'}\n", "'#/", f"{REF}.agentId.$ref",
         'points at nothing in this schema document: no "Agent" in #/components/schemas (it has: IssueDetectionEvent)'),
    _ref("missing-inside-component", "        agentId: {$ref: '#/components/schemas/IssueDetectionEvent/properties/nope'}\n", "'#/",
         f"{REF}.agentId.$ref", 'no "nope" in #/components/schemas/IssueDetectionEvent/properties'),
    _ref("outside-components", "        agentId: {$ref: '#/info/title'}\n", "'#/", f"{REF}.agentId.$ref", "must point into #/components/schemas/"),
    _ref("anchor-name", "        agentId: {$ref: '#agent'}\n", "'#agent", f"{REF}.agentId.$ref", "must point into #/components/schemas/"),
    _ref("not-a-string", "        agentId: {$ref: 5}\n", "5}", f"{REF}.agentId.$ref", "`$ref` must be a string, found int"),
    _ref("nested-in-items", "        agentId: {type: array, items: {allOf: [{$ref: 'http://x/y'}]}}\n", "'http",
         f"{REF}.agentId.items.allOf[0].$ref", REF_OUTSIDE),
    _ref("dynamic-ref", "        agentId: {$dynamicRef: 'https://example.com/x'}\n", "'https", f"{REF}.agentId.$dynamicRef", REF_OUTSIDE),
    _ref("nested-id", "        agentId: {type: string, $id: 'https://example.com/x'}\n", "'https", f"{REF}.agentId.$id", "`$id` is not allowed here"),
]


@pytest.mark.parametrize("case", REF_CASES, ids=[c.id for c in REF_CASES])
def test_every_ref_must_resolve_inside_its_schema_document(topology_copy: Path, case: Bad) -> None:
    assert_refused(topology_copy, case)


def test_a_draft4_schema_may_point_anywhere_inside_itself(topology_copy: Path) -> None:
    """Draft 4 content is the JSON Schema itself: any ``#/…`` pointer that resolves is local."""
    schema = topology_copy.parent / "schemas" / "Draft4.yaml"
    schema.write_text("type: object\ndefinitions:\n  id: {type: string}\nproperties:\n  a: {$ref: '#/definitions/id'}\n"
                      "  b: {$ref: '#/definitions/nope'}\n  c: {$ref: '#'}\n", encoding="utf-8")
    edit_topology(topology_copy, _SCHEMA_FILE, "type: JSONSchemaDraft4\n      file: schemas/Draft4.yaml")
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy)])
    assert result.exit_code == 1
    problems = [row for row in result.output.splitlines() if "$ref" in row]
    assert problems == [row for row in problems if "properties.b.$ref" in row] and len(problems) == 1, result.output
    assert 'schemas/Draft4.yaml:6:13: schemas.events.TestResultsEvent.content.properties.b.$ref: `$ref` "#/definitions/nope" points at nothing' in problems[0]


def test_local_refs_validate_and_resolve_when_agents_publish(topology_copy: Path) -> None:
    """A reference to another component, deeper into one, and to the event's own schema (recursion):
    all valid, and the agent SDK's validator resolves each without fetching or PointerToNowhere."""
    from cabructl.agents.catalog import EventCatalog

    schema = topology_copy.parent / "schemas" / "IssueDetectionEvent.yaml"
    edit_topology(schema, "        agentId: {type: string}\n",
                  "        agentId: {$ref: '#/components/schemas/Agent'}\n        kind: {$ref: '#/components/schemas/Agent/properties/kind'}\n"
                  "        parent: {$ref: '#/components/schemas/IssueDetectionEvent'}\n")
    schema.write_text(schema.read_text(encoding="utf-8") + "    Agent:\n      type: string\n      properties:\n        kind: {type: integer}\n",
                      encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy)])
    assert result.exit_code == 0, result.output
    kind = EventCatalog(load_topology(str(topology_copy))).kind("IssueDetectionEvent")
    detail = {"issueId": "4f3c2a8e-1b7d-4c1e-9a0b-2d5e6f7a8b9c", "timestamp": "2025-01-01T00:00:00Z", "severity": "LOW",
              "agentId": "monitor-1", "issueType": "ERROR", "description": "x", "kind": 3}
    assert kind.problems(detail) == []
    assert kind.problems({**detail, "agentId": 7, "kind": "x", "parent": {"severity": "NOPE"}}) != []


# Every command that reads the topology refuses bad input the same way (one case per class).
COMMANDS = [
    ("validate",), ("summary",), ("routes",), ("policy", "check"),
    ("test-event", "--source", "cabruca.agents.monitor", "--detail-type", "Issue Detection Event"),
    ("plan", "--endpoint-url", "http://127.0.0.1:9"), ("apply", "--auto-approve", "--endpoint-url", "http://127.0.0.1:9"),
    ("drift", "--endpoint-url", "http://127.0.0.1:9"), ("import", "--yes", "--endpoint-url", "http://127.0.0.1:9"),
    ("outputs", "--endpoint-url", "http://127.0.0.1:9"), ("demo",),
]
ONE_PER_CLASS = [
    Bad("too-deep", "severity: [CRITICAL, HIGH]", "severity: " + nested(300), "severity: [[", "rules.critical-issues.pattern.detail.severity"
        + "[0]" * 59, "nested more than 64 levels deep", offset=len("severity: ") + 59),
    Bad("integer-key", "  test-investigation:\n", "  404:\n", "404:", "queues.404", "key 404 is an integer, not a string"),
    Bad("huge-number", "threshold: 7500", "threshold: " + "9" * 5000, "9999", "monitoring.cost_alarm.threshold", "is too large"),
    Bad("merge-of-a-scalar", "  critical-events-dlq:\n    retention: 4d\n", "  critical-events-dlq:\n    <<: 4d\n", "<<: 4d",
        "queues.critical-events-dlq.<<", "`<<` merges a mapping or a list of mappings", offset=4),
    REF_CASES[0],
    SCHEMA_FILE_CASES[1],
]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] if c[0] != "policy" else "policy-check" for c in COMMANDS])
def test_every_command_refuses_bad_input_before_doing_anything(tmp_path: Path, command: tuple[str, ...]) -> None:
    for index, case in enumerate(ONE_PER_CLASS):
        folder = tmp_path / str(index)
        shutil.copytree(ROOT / "schemas", folder / "schemas")
        shutil.copy(ROOT / "topology.yaml", folder / "topology.yaml")
        _special_files(folder)
        output = assert_refused(folder / "topology.yaml", case, command)
        assert "error[aws-error]" not in output and "Local AWS endpoint" not in output, (case.id, output)
