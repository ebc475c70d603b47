"""Output a person or a tool reads cannot be hijacked by names in the topology, nor coloured where colour breaks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from cabructl.output.style import use_colour
from support import edit_topology

HOSTILE = 'a"]-->X["pwn'


def mermaid_of(path: Path) -> str:
    result = CliRunner().invoke(cli, ["routes", "-f", str(path), "--format", "mermaid"])
    assert result.exit_code == 0, result.output
    return result.output


def test_mermaid_labels_cannot_inject_nodes(topology_copy: Path) -> None:
    """The issue's case: an agent source that closes its label and draws a node of its own."""
    edit_topology(topology_copy, "source: cabruca.agents.monitor", f"source: '{HOSTILE}'", count=2)  # schema and agent
    diagram = mermaid_of(topology_copy)
    labels = re.findall(r'"([^"]*)"', diagram)
    assert all(not re.search(r"-->|[\[\]{}]", label) for label in labels), labels
    assert "a#34;#93;--#62;X#91;#34;pwn" in diagram  # shown as text, inside the agent's own label
    assert not re.search(r"^\s*X\[|-->\s*X\b", diagram, re.MULTILINE)


def test_dumb_terminals_get_no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert use_colour(Terminal())  # type: ignore[arg-type]
    monkeypatch.setenv("TERM", "dumb")
    assert not use_colour(Terminal())  # type: ignore[arg-type]
