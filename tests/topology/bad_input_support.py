"""Cases of bad input as data, and the one assertion they share (tests/topology's tables).

Each case edits a copy of the real topology (or one of its schema files) and names where the
diagnostic must point: the line holding ``at`` (its ``occurrence``-th), at the column where ``at``
starts plus ``offset``. Every case must exit 1 with `FILE:LINE:COL: path: message`, no traceback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from cabructl.cli import cli
from support import edit_topology, line_of


@dataclass(frozen=True)
class Bad:
    id: str
    old: str
    new: str
    at: str
    path: str
    message: str
    file: str = "topology.yaml"  # the file edited, relative to the topology's folder
    offset: int = 0
    occurrence: int = 1


def where(folder: Path, case: Bad) -> str:
    """``FILE:LINE:COL`` of the first character of ``case.at`` (plus its offset) in the edited file."""
    line = line_of(folder / case.file, case.at, case.occurrence)
    text = (folder / case.file).read_text(encoding="utf-8").splitlines()[line - 1]
    return f"{case.file}:{line}:{text.index(case.at) + 1 + case.offset}"


def assert_refused(topology: Path, case: Bad, command: tuple[str, ...] = ("validate",)) -> str:
    """Apply the case, run the command, and check the one diagnostic the case describes."""
    edit_topology(topology.parent / case.file, case.old, case.new)
    started = time.monotonic()
    result = CliRunner().invoke(cli, [*command, "-f", str(topology)])
    assert time.monotonic() - started < 10, "bad input must be refused quickly"
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    located = f"{where(topology.parent, case)}: {case.path}: "
    rows = [row for row in result.output.splitlines() if located in row]
    assert any(case.message in row.split(located, 1)[1] for row in rows), (located, case.message, result.output)
    return result.output


def nested(levels: int, opener: str = "[", closer: str = "]", leaf: str = "x") -> str:
    return opener * levels + leaf + closer * levels
