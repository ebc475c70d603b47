"""Diagnostics: checks report a path, one source map turns it into FILE:LINE:COL.

Following cfn-lint and Terraform, validators never format locations themselves:
they return a path such as ``("rules", "critical-issues", "pattern")`` and the
source map of the loaded document resolves it, so schema errors, semantic checks
and policies all point at the same place in the same way.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

Path = tuple[object, ...]


def format_path(path: Sequence[object]) -> str:
    """Render ``("rules", "x", "targets", 0)`` as ``rules.x.targets[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(document)"


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint for a misspelt key or reference, or None when nothing is close."""
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else None


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding about the topology, sortable by position."""

    file: str
    line: int
    column: int
    path: Path = field(compare=False)
    message: str = field(compare=False)
    reference: str = field(default="invalid", compare=False)
    severity: str = field(default="error", compare=False)
    hint: str | None = field(default=None, compare=False)

    def render(self) -> str:
        """``FILE:LINE:COL: path: message — hint``, the contract tests rely on; a warning says so before its message."""
        severity = "" if self.severity == "error" else f"{self.severity}: "
        text = f"{self.file}:{self.line}:{self.column}: {format_path(self.path)}: {severity}{self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text

    def to_json(self) -> dict[str, object]:
        """The machine-readable form used by ``--format json``."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": format_path(self.path),
            "message": self.message,
            "reference": self.reference,
            "severity": self.severity,
            "hint": self.hint,
        }
