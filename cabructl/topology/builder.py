"""YAML (and JSON) events → plain data and a tree of positions, without recursion.

ruamel.yaml's parser yields events from an explicit stack; its composer and constructors then
recurse once per nesting level, which is where 3,000 levels of ``[`` ended in RecursionError.
This builder replaces them with a loop over the events and its own stack, and applies the rules
of the input language where the positions are known:

- nesting deeper than MAX_NESTING_DEPTH is refused at the node that goes too deep (an alias
  counts as deep as the node it repeats), before any recursive code can see the data;
- every mapping key is a string (``404:`` is an integer in YAML; ``"404":`` is the name);
- merge keys (``<<: *defaults``, ``<<: [*a, *b]``, ``<<: {…}``) work: a key of the mapping wins
  over a merged one and points at its own line, a merged key points where its anchor wrote it;
- aliases may add at most MAX_DOCUMENT_NODES nodes (alias bombs), counted before expansion;
- numbers pass :mod:`cabructl.topology.scalars`' rules.

Fatal problems (too deep, alias bomb, a second document) raise TopologyError at once; the others
are collected so that one run names every bad key and number of the file.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from cabructl.constants import MAX_DOCUMENT_NODES, MAX_NESTING_DEPTH
from cabructl.diagnostics import Diagnostic, Path
from cabructl.errors import TopologyError
from cabructl.topology.scalars import MERGE, scalar_value
from cabructl.topology.source import Entry

Children = dict[Any, Entry]


class _Anchor:
    """A finished anchored node: what an alias repeats, with its height and expanded size."""

    __slots__ = ("value", "children", "height", "size")

    def __init__(self, value: Any, children: Optional[Children], height: int, size: int) -> None:
        self.value, self.children, self.height, self.size = value, children, height, size


class _Frame:
    """An open mapping or list."""

    __slots__ = ("mapping", "value", "children", "path", "anchor", "mark", "height", "size",
                 "expect_key", "key", "key_line", "key_column", "merges", "merge_at")

    def __init__(self, mapping: bool, path: Path, anchor: Optional[str], mark: Any) -> None:
        self.mapping = mapping
        self.value: Any = {} if mapping else []
        self.children: Children = {}
        self.path, self.anchor = path, anchor
        self.mark = mark
        self.height, self.size = 1, 1
        self.expect_key = mapping
        self.key: Any = None
        self.key_line = self.key_column = 0
        self.merges: list[tuple[dict[str, Any], Optional[Children]]] = []
        self.merge_at = 0


_SKIP = object()  # the key was refused: its value is read and dropped


class Builder:
    """Feed it ruamel events with :meth:`build`; read ``value``, ``children`` and ``problems``."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.open_anchors: set[str] = set()
        self.expanded = 0
        self.documents = 0
        self.value: Any = None
        self.children: Children = {}
        self.problems: list[Diagnostic] = []

    def build(self, events: Iterable[Any]) -> None:
        """Consume the whole event stream."""
        from ruamel.yaml import events as kinds

        handlers = {
            kinds.ScalarEvent: self._scalar, kinds.AliasEvent: self._alias,
            kinds.MappingStartEvent: self._open_mapping, kinds.SequenceStartEvent: self._open_sequence,
            kinds.MappingEndEvent: self._close, kinds.SequenceEndEvent: self._close,
            kinds.DocumentStartEvent: self._document,
        }
        for event in events:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)

    # -- events ------------------------------------------------------------------------------
    def _document(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1:
            self._fatal(event.start_mark, (), "YAML syntax error: a topology file holds one YAML document, but a second one starts here", "yaml-syntax")

    def _scalar(self, event: Any) -> None:
        value, problem, reference = scalar_value(event.value, event.tag, bool(event.implicit[0]))
        top = self.stack[-1] if self.stack else None
        mark = event.start_mark
        if top is not None and top.expect_key:
            self._key(top, value, mark, event.value)
        else:
            if problem:
                self._problem(mark.line + 1, mark.column + 1, self._path(), problem, reference or "invalid")
            self._add("<<" if value is MERGE else value, None, mark, 0, 1)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor("<<" if value is MERGE else value, None, 0, 1)

    def _alias(self, event: Any) -> None:
        mark, name = event.start_mark, event.anchor
        anchor = self.anchors.get(name)
        if anchor is None:
            why = "is the node it stands in (a recursive alias)" if name in self.open_anchors else "has no anchor before it"
            self._problem(mark.line + 1, mark.column + 1, self._path(), f"alias *{name} {why}", "yaml-alias")
            self._add(None, None, mark, 0, 1)
            return
        if len(self.stack) + anchor.height > MAX_NESTING_DEPTH:
            self._too_deep(mark, f"alias *{name} repeats a node {anchor.height} levels deep here, at level {len(self.stack) + 1}")
        self.expanded += anchor.size
        if self.expanded > MAX_DOCUMENT_NODES:
            self._fatal(mark, self._path(), f"aliases expand the document by more than {MAX_DOCUMENT_NODES:,} nodes (an alias bomb?)", "too-large")
        value, children = _copy_value(anchor.value), _copy_children(anchor.children)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.expect_key:
            self._key(top, value, mark)
        else:
            self._add(value, children, mark, anchor.height, anchor.size)

    def _open_mapping(self, event: Any) -> None:
        self._open(event, True)

    def _open_sequence(self, event: Any) -> None:
        self._open(event, False)

    def _open(self, event: Any, mapping: bool) -> None:
        path = self._path()
        if len(self.stack) >= MAX_NESTING_DEPTH:
            self._too_deep(event.start_mark, f"nested more than {MAX_NESTING_DEPTH} levels deep")
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame(mapping, path, event.anchor, event.start_mark))

    def _close(self, event: Any) -> None:
        frame = self.stack.pop()
        value, children = frame.value, frame.children
        if frame.merges:
            value, children = self._merged(frame)
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = _Anchor(value, children, frame.height, frame.size)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.expect_key:
            self._key(top, value, frame.mark)
            return
        self._add(value, children, frame.mark, frame.height, frame.size)

    # -- building ----------------------------------------------------------------------------
    def _key(self, frame: _Frame, key: Any, mark: Any, text: Optional[str] = None) -> None:
        """A mapping key was read: a string, the merge key, or a key that is refused (named as
        the file wrote it, ``text``, when it is a scalar)."""
        frame.expect_key = False
        frame.key_line, frame.key_column = mark.line + 1, mark.column + 1
        frame.size += 1
        if isinstance(key, str) or key is MERGE:
            frame.key = key
            return
        frame.key = _SKIP
        shown = text if text is not None else _key_text(key)
        self._problem(frame.key_line, frame.key_column, frame.path + (shown,), _key_message(key, shown), "non-string-key")

    def _add(self, value: Any, children: Optional[Children], mark: Any, height: int, size: int) -> None:
        """Attach a finished node to the open mapping or list (or make it the document)."""
        if not self.stack:
            self.value, self.children = value, children or {}
            return
        frame = self.stack[-1]
        if height >= frame.height:
            frame.height = height + 1
        frame.size += size
        line, column = mark.line + 1, mark.column + 1
        container = isinstance(value, (dict, list))
        if not frame.mapping:
            frame.children[len(frame.value)] = Entry(self.file, line, column, line, column, container, children)
            frame.value.append(value)
            return
        key, frame.expect_key = frame.key, True
        if key is _SKIP:
            return
        if key is MERGE:
            self._merge_source(frame, value, children, line, column)
            return
        if key in frame.value:
            self._problem(frame.key_line, frame.key_column, frame.path + (key,), f"duplicate key: {key}", "yaml-duplicate-key")
            return
        frame.value[key] = value
        frame.children[key] = Entry(self.file, frame.key_line, frame.key_column, line, column, container, children)

    def _merge_source(self, frame: _Frame, value: Any, children: Optional[Children], line: int, column: int) -> None:
        """``<<: *a``, ``<<: [*a, *b]`` or ``<<: {…}``: remember the mappings merged, in order."""
        if frame.merges:
            self._problem(frame.key_line, frame.key_column, frame.path + ("<<",), "duplicate key: <<", "yaml-duplicate-key")
            return
        entries = children or {}
        if isinstance(value, dict):
            frame.merges = [(value, children)]
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            frame.merges = [(item, entries[index].children if index in entries else None) for index, item in enumerate(value)]
        else:
            message = "`<<` merges a mapping or a list of mappings (such as `<<: *defaults`)"
            self._problem(line, column, frame.path + ("<<",), message, "yaml-merge")
            return
        frame.merge_at = len(frame.value)

    def _merged(self, frame: _Frame) -> tuple[dict[str, Any], Children]:
        """The mapping with its merges applied: own keys win, then the earlier merged mapping."""
        own, own_children = frame.value, frame.children
        merged: dict[str, Any] = {}
        merged_children: Children = {}
        for source, source_children in frame.merges:
            for key, item in source.items():
                if key not in own and key not in merged:
                    merged[key] = item
                    if source_children and key in source_children:
                        merged_children[key] = source_children[key]
        keys = list(own)
        value = {key: own[key] for key in keys[: frame.merge_at]}
        value.update(merged)
        value.update((key, own[key]) for key in keys[frame.merge_at:])
        children = {key: own_children[key] for key in keys[: frame.merge_at] if key in own_children}
        children.update(merged_children)
        children.update((key, own_children[key]) for key in keys[frame.merge_at:] if key in own_children)
        return value, children

    def _path(self) -> Path:
        """The path of the node about to be read."""
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if not frame.mapping:
            return frame.path + (len(frame.value),)
        if frame.expect_key or frame.key is _SKIP:
            return frame.path
        return frame.path + ("<<" if frame.key is MERGE else frame.key,)

    # -- problems ----------------------------------------------------------------------------
    def _problem(self, line: int, column: int, path: Path, message: str, reference: str) -> None:
        self.problems.append(Diagnostic(self.file, line, column, path, message, reference))

    def _too_deep(self, mark: Any, what: str) -> None:
        self._fatal(mark, self._path(), f"{what}; at most {MAX_NESTING_DEPTH} levels of mappings and lists are read", "too-deep")

    def _fatal(self, mark: Any, path: Path, message: str, reference: str) -> None:
        raise TopologyError([*self.problems, Diagnostic(self.file, mark.line + 1, mark.column + 1, path, message, reference)])


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (dict, list)):
        return "{…}" if isinstance(key, dict) else "[…]"
    return str(key)


def _key_message(key: Any, text: str) -> str:
    """Why a key is refused, and how to write it as the string it was meant to be."""
    if isinstance(key, (dict, list)):
        return f"a {'mapping' if isinstance(key, dict) else 'list'} cannot be a key; keys are names (strings)"
    kind = {bool: "a boolean", type(None): "null", int: "an integer", float: "a number"}.get(type(key), type(key).__name__)
    return f'key {text or "(empty)"} is {kind}, not a string; keys are names: quote it ("{text}":)'


def _copy_value(value: Any) -> Any:
    """A fresh copy of plain data (at most MAX_NESTING_DEPTH deep): aliases never share objects,
    so an environment override merged into one use cannot change another."""
    if isinstance(value, dict):
        return {key: _copy_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_value(item) for item in value]
    return value


def _copy_children(children: Optional[Children]) -> Optional[Children]:
    if not children:
        return children
    return {key: entry.copy(_copy_children(entry.children)) for key, entry in children.items()}
