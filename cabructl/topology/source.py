"""Reading YAML with positions: the document as plain data plus a source map.

Validators work on plain dicts and report paths; the :class:`SourceMap` built here
turns a path into ``file:line:col`` (cfn-lint's habit). Parsing problems (syntax,
duplicate keys, tabs, bad encoding, alias bombs, NaN and infinities) become
diagnostics, never tracebacks.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from cabructl.constants import MAX_DOCUMENT_NODES
from cabructl.diagnostics import Diagnostic, Path
from cabructl.errors import TopologyError


@dataclass(frozen=True)
class Position:
    """Where a key and its value stand in a file (1-based)."""

    file: str
    line: int
    column: int
    value_line: int
    value_column: int
    container: bool = False  # the value is a mapping or list: errors about it point at its key


@dataclass
class SourceMap:
    """Path → position; unknown paths resolve to their nearest known ancestor."""

    file: str
    positions: dict[Path, Position] = field(default_factory=dict)

    def locate(self, path: Path) -> Position:
        """The position of ``path``, or of its closest ancestor that has one."""
        probe = tuple(path)
        while probe not in self.positions and probe:
            probe = probe[:-1]
        found = self.positions.get(probe)
        if found is None:
            return Position(self.file, 1, 1, 1, 1)
        return found

    def diagnostic(self, path: Path, message: str, *, reference: str = "invalid", hint: str | None = None,
                   at_key: bool = False, severity: str = "error") -> Diagnostic:
        """A diagnostic for ``path``, placed at the key (``at_key``) or at the value."""
        position = self.locate(path)
        exact = tuple(path) in self.positions
        on_key = at_key or not exact or position.container
        line, column = (position.line, position.column) if on_key else (position.value_line, position.value_column)
        return Diagnostic(position.file, line, column, tuple(path), message, reference, severity, hint)

    def graft(self, prefix: Path, other: "SourceMap") -> None:
        """Attach another file's map under ``prefix`` (schemas kept in their own files)."""
        for path, position in other.positions.items():
            self.positions[tuple(prefix) + path] = position

    def rebase(self, old_prefix: Path, new_prefix: Path) -> None:
        """Make positions under ``old_prefix`` answer for ``new_prefix`` (environment overrides)."""
        for path, position in list(self.positions.items()):
            if path[: len(old_prefix)] == tuple(old_prefix):
                self.positions[tuple(new_prefix) + path[len(old_prefix):]] = position


def read_yaml(file: str, *, display_name: str | None = None) -> tuple[Any, SourceMap]:
    """Parse one YAML file into plain data and its source map, or raise TopologyError."""
    shown = display_name or file
    text = _read_text(file, shown)
    return parse_yaml(text, shown)


def parse_yaml(text: str, shown: str) -> tuple[Any, SourceMap]:
    """Parse YAML text; every failure is one diagnostic naming the line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    source_map = SourceMap(shown)
    tab_line = _tab_indentation_line(text)
    if tab_line:
        raise TopologyError([Diagnostic(shown, tab_line, 1, (), "tabs are not allowed in YAML indentation; use spaces", "yaml-tab")])
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        document = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = _yaml_reason(error)
        raise TopologyError([Diagnostic(shown, line, column, (), reason, "yaml-syntax")]) from None
    except YAMLError as error:
        raise TopologyError([Diagnostic(shown, 1, 1, (), f"not valid YAML: {error}", "yaml-syntax")]) from None
    budget = [MAX_DOCUMENT_NODES]
    non_finite: list[Diagnostic] = []
    plain = _to_plain(document, (), source_map, budget, non_finite)
    if non_finite:
        raise TopologyError(non_finite)
    return plain, source_map


def _read_text(file: str, shown: str) -> str:
    """Read as strict UTF-8 so that bad bytes are reported with their line."""
    try:
        with open(file, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise TopologyError([Diagnostic(shown, 0, 0, (), "no such file", "file-not-found")]) from None
    except IsADirectoryError:
        raise TopologyError([Diagnostic(shown, 0, 0, (), "is a directory, not a topology file", "file-not-found")]) from None
    except OSError as error:
        raise TopologyError([Diagnostic(shown, 0, 0, (), f"cannot read: {error.strerror}", "file-unreadable")]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        message = f"not UTF-8: byte 0x{raw[error.start]:02x} cannot be decoded"
        raise TopologyError([Diagnostic(shown, line, column, (), message, "encoding")]) from None


def _tab_indentation_line(text: str) -> int | None:
    """YAML forbids tabs in indentation; say so plainly instead of a scanner error."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            return number
    return None


def _yaml_reason(error: Any) -> str:
    problem = error.problem or error.context or "not valid YAML"
    if "duplicate key" in str(problem) or type(error).__name__ == "DuplicateKeyError":
        return f"duplicate key: {_duplicate_key_name(error)}"
    return f"YAML syntax error: {problem}"


def _duplicate_key_name(error: Any) -> str:
    text = str(error.problem or "")
    if '"' in text:
        return text.split('"')[1]
    return text


def _to_plain(node: Any, path: Path, source_map: SourceMap, budget: list[int], non_finite: list[Diagnostic]) -> Any:
    """Convert ruamel round-trip data to dicts, lists and scalars, recording positions.

    The node budget stops alias bombs: aliases are shared in ruamel's graph but
    would be expanded here, so the walk refuses to visit more than a fixed number.
    Every non-finite number met on the way is added to ``non_finite``.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    budget[0] -= 1
    if budget[0] < 0:
        raise TopologyError([source_map.diagnostic(path, f"document expands to more than {MAX_DOCUMENT_NODES:,} nodes (an alias bomb?)", reference="too-large")])
    if isinstance(node, CommentedMap):
        result: dict[Any, Any] = {}
        for key in node:
            child_path = path + (_plain_scalar(key),)
            _record(source_map, child_path, node.lc.key(key), node.lc.value(key), node[key])
            result[_plain_scalar(key)] = _to_plain(node[key], child_path, source_map, budget, non_finite)
        return result
    if isinstance(node, CommentedSeq):
        items = []
        for index, item in enumerate(node):
            child_path = path + (index,)
            position = node.lc.item(index)
            _record(source_map, child_path, position, position, item)
            items.append(_to_plain(item, child_path, source_map, budget, non_finite))
        return items
    plain = _plain_scalar(node)
    if isinstance(plain, float) and not math.isfinite(plain):
        non_finite.append(_non_finite_diagnostic(source_map, path, plain))
    return plain


def _non_finite_diagnostic(source_map: SourceMap, path: Path, value: float) -> Diagnostic:
    """``.nan``, ``.inf``, ``-.inf`` or an overflowing ``1e999``, refused where it stands.

    Checked here, once for every number of every file read (the topology, its
    environment overrides, the schema files it loads), because nothing later can:
    JSON Schema's ``number`` accepts NaN and NaN passes every ``minimum`` (all
    comparisons with it are false), and a NaN written to AWS makes every plan differ.
    """
    spelling = "NaN" if math.isnan(value) else ("infinity" if value > 0 else "-infinity")
    message = f"{spelling} is not a finite number; NaN and infinities are not allowed"
    return source_map.diagnostic(path, message, reference="non-finite-number")


def _plain_scalar(value: Any) -> Any:
    """ruamel wraps scalars (ScalarFloat, ScalarString…); hand validators the base types."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    return str(value)


def _record(source_map: SourceMap, path: Path, key_position: Any, value_position: Any, value: Any) -> None:
    key_line, key_col = key_position if key_position else (0, 0)
    value_line, value_col = value_position if value_position else (key_line, key_col)
    container = isinstance(value, (dict, list))
    source_map.positions[path] = Position(source_map.file, key_line + 1, key_col + 1, value_line + 1, value_col + 1, container)


def relative_to(base_file: str, referenced: str) -> str:
    """Resolve a file named inside the topology relative to the topology's folder."""
    if os.path.isabs(referenced):
        return referenced
    return os.path.join(os.path.dirname(os.path.abspath(base_file)), referenced)
