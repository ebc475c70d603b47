"""Round-trip editing of topology.yaml: change a value, keep everything else.

``cabructl import`` writes live values back into a file people maintain by
hand and review in pull requests, so an import must read like a person's edit:
the diff shows the changed value and nothing else. Comments, key order, quotes,
flow style (``{attempts: 3, max_age: 1h}``) and blank lines stay as they were,
durations are written in the unit the file used, and numbers keep their form.

ruamel.yaml's round-trip mode keeps most of that; this module adds what it does
not do alone: finding the indentation that reproduces the file, keeping a
scalar's quoting and a number's form when its value changes, editing patterns
in place (so one changed list item is one changed line), moving a trailing
blank line or comment along when an entry is appended (:mod:`~cabructl.topology.layout`),
and deciding whether a value belongs to an environment's override section or to
the base document. The file is saved as a person's editor would: through a
symbolic link, with its own line endings (:mod:`~cabructl.topology.files`).
"""

from __future__ import annotations

import enum
import io
from dataclasses import dataclass
from typing import Any, Mapping

from cabructl.diagnostics import Path
from cabructl.errors import CabructlError
from cabructl.topology.files import line_ending, read_input_bytes, write_through
from cabructl.topology.layout import append_entry, append_item, has_child, position, position_of_container
from cabructl.topology.durations import DURATION_PATTERN, DURATION_UNITS
from cabructl.topology.durations import format_duration as largest_unit_duration

# Indentations tried, in order, until one dumps the untouched file byte for byte:
# (mapping, sequence, offset), the cabructl style first.
_INDENT_CANDIDATES = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (2, 4, 0), (4, 6, 4), (4, 4, 0), (3, 5, 3))
_WIDTH = 4096  # never fold long lines: folding would change lines the import did not touch

_SMALL_FLOW_MAPPING = 2  # mappings of at most this many scalars are written {a: 1, b: 2}, as the file does


class WriteError(CabructlError):
    reference = "topology-write"


class Style(str, enum.Enum):
    """How an edit's value is written."""

    VALUE = "value"        # a scalar, list or mapping, kept in the existing value's form
    DURATION = "duration"  # integer seconds, written in the file's unit (``14d``) when it divides
    MERGE = "merge"        # a structure edited in place (patterns): only what differs changes
    REMOVE = "remove"      # the key is deleted


@dataclass(frozen=True)
class KeyEdit:
    """Set ``path`` (in the environment-merged document) to ``value``."""

    path: Path
    value: Any
    style: Style = Style.VALUE


@dataclass(frozen=True)
class Written:
    """What one edit did, for the command to report: where, before, after."""

    path: Path             # where it was written: the base path or environments.<env>.…
    in_override: bool
    line: int              # 1-based, in the file as it was before the import
    column: int
    before: Any
    after: Any


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()


def format_duration(seconds: int, like: Any = None) -> int | str:
    """Seconds as the file writes durations.

    ``like`` is the value being replaced: integers stay integer seconds; ``14d``
    keeps days while the new value is a whole number of days. Otherwise the
    largest unit that divides evenly (``90m``, ``36h``), down to seconds.
    """
    if isinstance(like, int) and not isinstance(like, bool):
        return int(seconds)
    match = DURATION_PATTERN.match(str(like)) if like is not None else None
    if match:
        size = dict(DURATION_UNITS)[match.group(2)]
        if seconds % size == 0:
            return f"{seconds // size}{match.group(2)}"
    return largest_unit_duration(seconds)


class TopologyEditor:
    """One topology file, loaded for editing; :meth:`save` writes it back atomically."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.raw = read_input_bytes(file, file)
        try:
            text = self.raw.decode("utf-8")
        except UnicodeDecodeError:
            raise WriteError(f"{file}: not UTF-8") from None
        self.newline = line_ending(text)  # written back as the file ends its lines
        self.original = text.replace("\r\n", "\n")
        self.yaml, self.faithful = _yaml_for(self.original)
        self.document = self.yaml.load(self.original)
        if not isinstance(self.document, Mapping):
            raise WriteError(f"{file}: not a topology (the file is not a mapping)")

    # -- where a value goes -------------------------------------------------------------
    def locate(self, path: Path, environment: str | None) -> tuple[Path, bool]:
        """The path to write: inside ``environments.<environment>`` when that section
        overrides this key (or a list holding it), else in the base document."""
        if environment is None:
            return tuple(path), False
        environments = self.document.get("environments")
        node = environments.get(environment) if isinstance(environments, Mapping) else None
        for key in path:
            if not has_child(node, key):
                return tuple(path), False
            node = node[key]
        return ("environments", environment) + tuple(path), True

    def value_at(self, path: Path) -> Any:
        node: Any = self.document
        for key in path:
            if not has_child(node, key):
                return MISSING
            node = node[key]
        return node

    # -- edits --------------------------------------------------------------------------
    def apply(self, edit: KeyEdit, environment: str | None = None) -> Written:
        """Make one edit; raises WriteError when the path's parent is not in the file."""
        path, in_override = self.locate(edit.path, environment)
        parent_path, key = path[:-1], path[-1]
        parent = self._container(parent_path, create=edit.style is not Style.REMOVE)
        line, column = position(parent, key) or position_of_container(self.document, parent_path)
        before = parent[key] if has_child(parent, key) else MISSING
        was = _plain(before)  # a snapshot: merging edits ``before`` in place
        if edit.style is Style.REMOVE:
            if before is not MISSING:
                del parent[key]
            return Written(path, in_override, line, column, was, MISSING)
        new = self._new_value(before, edit)
        if before is MISSING:
            append_entry(parent, key, new)
        elif new is not before:
            parent[key] = new
        return Written(path, in_override, line, column, was, _plain(new))

    def add_entry(self, mapping_path: Path, key: str, value: Any, environment: str | None = None) -> Written:
        """Declare something new (a rule) at the end of a section, in the file's style."""
        path, in_override = self.locate(mapping_path, environment)
        parent = self._container(path, create=True)
        if key in parent:
            raise WriteError(f"{'.'.join(map(str, path + (key,)))} is already declared")
        line, column = position_of_container(self.document, path)  # the section it joins
        append_entry(parent, key, to_node(value))
        return Written(path + (key,), in_override, line, column, MISSING, _plain(value))

    def append_item(self, sequence_path: Path, value: Any, environment: str | None = None) -> Written:
        """Add an item to a list (a target to its rule)."""
        path, in_override = self.locate(sequence_path, environment)
        sequence = self.value_at(path)
        if not isinstance(sequence, list):
            raise WriteError(f"{'.'.join(map(str, path))} is not a list in {self.file}")
        line, column = position_of_container(self.document, path)
        append_item(sequence, to_node(value, block_item=not sequence.fa.flow_style()))
        return Written(path + (len(sequence) - 1,), in_override, line, column, MISSING, _plain(value))

    def _new_value(self, before: Any, edit: KeyEdit) -> Any:
        if edit.style is Style.DURATION:
            return format_duration(int(edit.value), None if before is MISSING else before)
        if edit.style is Style.MERGE and before is not MISSING:
            return merge_in_place(before, edit.value)
        return to_node(edit.value) if before is MISSING else like(before, edit.value)

    def _container(self, path: Path, *, create: bool) -> Any:
        """The mapping or list at ``path``; missing mappings are created when ``create``."""
        from ruamel.yaml.comments import CommentedMap

        node: Any = self.document
        for key in path:
            if not has_child(node, key):
                if not create or not isinstance(node, Mapping):
                    raise WriteError(f"{'.'.join(map(str, path))} is not in {self.file}")
                append_entry(node, key, CommentedMap())
            node = node[key]
        return node

    # -- output -------------------------------------------------------------------------
    def text(self) -> str:
        stream = io.StringIO()
        self.yaml.dump(self.document, stream)
        return stream.getvalue()

    def save(self) -> str:
        """Write the edited file atomically (a crash never leaves half a topology), through a
        symbolic link to its target, with the file's line endings."""
        text = self.text()
        write_through(self.file, text.replace("\n", self.newline).encode("utf-8"))
        return text

    def restore(self) -> None:
        """Put the file back byte for byte as it was loaded (an import whose result did not validate)."""
        write_through(self.file, self.raw)


# -- ruamel set-up ---------------------------------------------------------------------------

def _yaml_for(text: str) -> tuple[Any, bool]:
    """A round-trip YAML whose dump of the untouched document is the file itself,
    and whether one was found (if not, the first candidate: some lines may move)."""
    for indent in _INDENT_CANDIDATES:
        yaml = _round_trip_yaml(indent)
        stream = io.StringIO()
        yaml.dump(yaml.load(text), stream)
        if stream.getvalue() == text:
            return yaml, True
    return _round_trip_yaml(_INDENT_CANDIDATES[0]), False


def _round_trip_yaml(indent: tuple[int, int, int]) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    yaml.allow_duplicate_keys = False
    # `[{exists: true}]` would otherwise come back as `[exists: true]`: same data, changed line.
    yaml.brace_single_entry_mapping_in_flow_sequence = True
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


# -- values in the file's form -----------------------------------------------------------------

def like(existing: Any, value: Any) -> Any:
    """``value`` in ``existing``'s form: a quoted string stays quoted, an integer stays an
    integer while the value is whole (CloudWatch reports ``7600`` as ``7600.0``)."""
    from ruamel.yaml.scalarstring import ScalarString

    if isinstance(value, (dict, list)):
        return merge_in_place(existing, value) if isinstance(existing, (dict, list)) else to_node(value)
    if isinstance(existing, bool) or isinstance(value, bool):
        return value
    if isinstance(existing, ScalarString) and isinstance(value, str):
        return type(existing)(value)
    if isinstance(existing, int) and isinstance(value, float) and value.is_integer():
        return int(value)
    if existing == value and type(existing) is type(value):
        return existing
    return value


def merge_in_place(node: Any, value: Any) -> Any:
    """Make ``node`` equal ``value`` by changing only what differs, keeping styles and comments.

    A pattern whose one list item changed is then one changed line, not a rewritten block.
    """
    if isinstance(node, Mapping) and isinstance(value, Mapping):
        for key in [key for key in node if key not in value]:
            del node[key]
        for key, item in value.items():
            if key in node:
                updated = merge_in_place(node[key], item)
                if updated is not node[key]:
                    node[key] = updated
            else:
                append_entry(node, key, to_node(item))
        return node
    if isinstance(node, list) and isinstance(value, list):
        for index, item in enumerate(value):
            if index < len(node):
                updated = merge_in_place(node[index], item)
                if updated is not node[index]:
                    node[index] = updated
            else:
                node.append(to_node(item))
        del node[len(value):]
        return node
    if isinstance(value, (dict, list)):
        return to_node(value)
    return like(node, value)


def to_node(value: Any, *, inside_flow: bool = False, block_item: bool = False) -> Any:
    """Plain data as ruamel nodes styled like topology.yaml: lists of scalars or of pattern
    operators, and mappings of at most two scalars, in flow style (``[CRITICAL, HIGH]``,
    ``[{exists: true}]``, ``{attempts: 3, max_age: 1h}``); everything else, including the
    items of a block list (targets), in block style."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, Mapping):
        node = CommentedMap()
        small = len(value) <= _SMALL_FLOW_MAPPING and all(_is_scalar(item) for item in value.values())
        flow = inside_flow or (small and not block_item)
        for key, item in value.items():
            node[key] = to_node(item, inside_flow=flow)
        if flow:
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        sequence = CommentedSeq()
        flow = inside_flow or all(_is_scalar(item) or _is_pattern_operator(item) for item in value)
        for item in value:
            sequence.append(to_node(item, inside_flow=flow, block_item=not flow))
        if flow:
            sequence.fa.set_flow_style()
        else:
            sequence.fa.set_block_style()
        return sequence
    return value


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (Mapping, list))


def _is_pattern_operator(value: Any) -> bool:
    """``{exists: true}``, ``{numeric: [">", 0]}``: one key, scalars or a list of them."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    item = next(iter(value.values()))
    return _is_scalar(item) or (isinstance(item, list) and all(_is_scalar(v) for v in item))


def _plain(value: Any) -> Any:
    """ruamel nodes as plain data, for reports."""
    if value is MISSING:
        return value
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    return value
