"""Reading YAML with positions: the document as plain data plus a source map.

Validators work on plain dicts and report paths; the :class:`SourceMap` built here
turns a path into ``file:line:col`` (cfn-lint's habit). Every problem of the input
itself becomes a diagnostic, never a traceback: files that are not regular files or
are too large (:mod:`~cabructl.topology.files`), bad encoding, control characters,
tabs, syntax, and what :mod:`~cabructl.topology.builder` refuses while it reads
(nesting too deep, non-string keys, duplicate keys, bad merges, alias bombs, numbers
that are not finite or too large).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from cabructl.diagnostics import Diagnostic, Path
from cabructl.errors import TopologyError
from cabructl.topology.files import read_input_bytes


@dataclass(frozen=True)
class Position:
    """Where a key and its value stand in a file (1-based)."""

    file: str
    line: int
    column: int
    value_line: int
    value_column: int
    container: bool = False  # the value is a mapping or list: errors about it point at its key


class Entry:
    """One node of a file in the position tree: where its key and value stand, and its children.

    A tree, not a table of paths, so that an alias or merge attaches a copy of the anchor's
    entries and an environment override replaces one subtree, each in time proportional to
    what changed rather than to the size of the file.
    """

    __slots__ = ("file", "line", "column", "value_line", "value_column", "container", "children")

    def __init__(self, file: str | None, line: int, column: int, value_line: int, value_column: int,
                 container: bool, children: "dict[object, Entry] | None") -> None:
        self.file, self.line, self.column = file, line, column
        self.value_line, self.value_column, self.container, self.children = value_line, value_column, container, children

    @property
    def position(self) -> Position | None:
        """None for a node that has no place of its own (the ``content`` a schema file becomes)."""
        if self.file is None:
            return None
        return Position(self.file, self.line, self.column, self.value_line, self.value_column, self.container)

    def copy(self, children: "dict[object, Entry] | None") -> "Entry":
        return Entry(self.file, self.line, self.column, self.value_line, self.value_column, self.container, children)


@dataclass
class SourceMap:
    """Path → position; unknown paths resolve to their nearest known ancestor."""

    file: str
    root: dict[object, Entry] = field(default_factory=dict)

    def locate(self, path: Path) -> Position:
        """The position of ``path``, or of its closest ancestor that has one."""
        found, _ = self._deepest(path)
        return found or Position(self.file, 1, 1, 1, 1)

    def diagnostic(self, path: Path, message: str, *, reference: str = "invalid", hint: str | None = None,
                   at_key: bool = False, severity: str = "error") -> Diagnostic:
        """A diagnostic for ``path``, placed at the key (``at_key``) or at the value."""
        found, exact = self._deepest(path)
        position = found or Position(self.file, 1, 1, 1, 1)
        on_key = at_key or not exact or position.container
        line, column = (position.line, position.column) if on_key else (position.value_line, position.value_column)
        return Diagnostic(position.file, line, column, tuple(path), message, reference, severity, hint)

    def graft(self, prefix: Path, other: "SourceMap") -> None:
        """Attach another file's map under ``prefix`` (schemas kept in their own files)."""
        self._children_at(prefix).update(other.root)

    def rebase(self, old_prefix: Path, new_prefix: Path) -> None:
        """Make positions under ``old_prefix`` answer for ``new_prefix`` (environment overrides)."""
        entry = self._entry(old_prefix)
        if entry is not None and new_prefix:
            self._children_at(new_prefix[:-1])[new_prefix[-1]] = entry

    def _deepest(self, path: Path) -> tuple[Position | None, bool]:
        """The position of the deepest node on ``path`` that has one, and whether it is ``path``'s."""
        children: dict[object, Entry] | None = self.root
        found: Position | None = None
        exact = False
        for key in path:
            entry = children.get(key) if children else None
            if entry is None:
                return found, False
            position = entry.position
            if position is not None:
                found = position
            exact = position is not None
            children = entry.children
        return found, exact

    def _entry(self, path: Path) -> Entry | None:
        children: dict[object, Entry] | None = self.root
        entry = None
        for key in path:
            entry = children.get(key) if children else None
            if entry is None:
                return None
            children = entry.children
        return entry

    def _children_at(self, path: Path) -> dict[object, Entry]:
        """The children of ``path``'s node, creating placeless nodes on the way."""
        children = self.root
        for key in path:
            entry = children.get(key)
            if entry is None:
                entry = children[key] = Entry(None, 0, 0, 0, 0, True, {})
            if entry.children is None:
                entry.children = {}
            children = entry.children
        return children


def read_yaml(file: str, *, display_name: str | None = None) -> tuple[Any, SourceMap]:
    """Parse one YAML or JSON file into plain data and its source map, or raise TopologyError."""
    shown = display_name or file
    text = _decode(read_input_bytes(file, shown), shown)
    return parse_yaml(text, shown)


def parse_yaml(text: str, shown: str) -> tuple[Any, SourceMap]:
    """Parse YAML text; every failure is a diagnostic naming its line, never a traceback."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from cabructl.topology.builder import Builder

    _refuse_tabs(text, shown)
    _refuse_unprintable(text, shown)
    builder = Builder(shown)
    try:
        builder.build(YAML(typ="safe", pure=True).parse(text))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise TopologyError([*builder.problems, Diagnostic(shown, line, column, (), _yaml_reason(error), "yaml-syntax")]) from None
    except YAMLError as error:
        raise TopologyError([*builder.problems, Diagnostic(shown, 1, 1, (), f"not valid YAML: {error}", "yaml-syntax")]) from None
    if builder.problems:
        raise TopologyError(builder.problems)
    return builder.value, SourceMap(shown, builder.children)


def _decode(raw: bytes, shown: str) -> str:
    """Strict UTF-8, so that a bad byte is reported at its line and column."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        message = f"not UTF-8: byte 0x{raw[error.start]:02x} cannot be decoded"
        raise TopologyError([Diagnostic(shown, line, column, (), message, "encoding")]) from None


def _refuse_tabs(text: str, shown: str) -> None:
    """YAML forbids tabs in indentation; say so plainly instead of a scanner error.

    A JSON document (it opens with ``{`` or ``[``) is one flow node, where tabs are spaces.
    """
    if text.lstrip(" \t\r\n\ufeff")[:1] in ("{", "["):
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip(" ").startswith("\t"):
            raise TopologyError([Diagnostic(shown, number, 1, (), "tabs are not allowed in YAML indentation; use spaces", "yaml-tab")])


# What YAML 1.2 allows in a stream (ruamel.yaml's reader refuses the rest, naming only an offset).
_UNPRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def _refuse_unprintable(text: str, shown: str) -> None:
    """A NUL or other control character, at its line and column (the parser gives an offset)."""
    found = _UNPRINTABLE.search(text)
    if found is None:
        return
    index = found.start()
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    code = ord(found.group())
    name = " (a NUL byte)" if code == 0 else ""
    message = f"character U+{code:04X}{name} is not allowed in YAML; remove it or write it as an escape in a quoted string"
    raise TopologyError([Diagnostic(shown, line, column, (), message, "encoding")])


def _yaml_reason(error: Any) -> str:
    problem = error.problem or error.context or "not valid YAML"
    return f"YAML syntax error: {problem}"


def relative_to(base_file: str, referenced: str) -> str:
    """Resolve a file named inside the topology relative to the topology's folder."""
    if os.path.isabs(referenced):
        return referenced
    return os.path.join(os.path.dirname(os.path.abspath(base_file)), referenced)
