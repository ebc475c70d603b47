"""Whether a new version of an event schema keeps its consumers working.

The modes are those of schema registries (Confluent's JSON Schema compatibility rules
are the reference), said in terms of who must keep working:

- ``backward``: consumers that adopted the new schema still read events written under
  the old one (the events in queues, DLQs and the archive). So the new schema must
  accept every old event: no new required field, no removed enum value, no narrower
  type, no new or changed ``format``, no ``additionalProperties: false`` where the old
  schema was open, no field dropped from a closed object.
- ``forward``: consumers still on the old schema read events written under the new
  one. So the old schema must accept every new event: no required field dropped, no
  added enum value, no wider or other type, no ``format`` removed or changed, no new
  field where the old object was closed, no ``additionalProperties`` opened.
- ``full``: both; ``none``: anything goes.

Each difference found is one :class:`SchemaChange` that says which direction it breaks.
Both sides are the ``detail`` schemas with their documents (``$ref``s resolve within).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

MODES = ("backward", "forward", "full", "none")
DEFAULT_MODE = "backward"
_BREAKS = {"backward": ("backward",), "forward": ("forward",), "full": ("backward", "forward"), "none": ()}


@dataclass(frozen=True)
class SchemaChange:
    path: tuple[str, ...]            # where in the detail: ("host", "zone")
    message: str
    breaks: frozenset[str]           # the directions it breaks: "backward", "forward"

    @property
    def where(self) -> str:
        return ".".join(("detail", *self.path))


def incompatible(changes: list[SchemaChange], mode: str) -> list[SchemaChange]:
    """The changes the mode forbids."""
    forbidden = set(_BREAKS[mode])
    return [change for change in changes if change.breaks & forbidden]


@dataclass(frozen=True)
class Side:
    """One version: the detail schema and the document its ``$ref``s point into."""

    node: Any
    root: Mapping[str, Any]

    def resolved(self, node: Any) -> Any:
        from cabructl.topology.schema_paths import resolved

        return resolved(node, self.root)


def schema_changes(old: Side, new: Side) -> list[SchemaChange]:
    """Every difference between two versions that some consumer would notice."""
    return list(_compare(old, old.resolved(old.node), new, new.resolved(new.node), ()))


def _compare(old_side: Side, old: Any, new_side: Side, new: Any, path: tuple[str, ...]) -> Iterator[SchemaChange]:
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return
    yield from _type_changes(old, new, path)
    yield from _enum_changes(old, new, path)
    yield from _format_changes(old, new, path)
    yield from _object_changes(old_side, old, new_side, new, path)
    if isinstance(old.get("items"), Mapping) and isinstance(new.get("items"), Mapping):
        yield from _compare(old_side, old_side.resolved(old["items"]), new_side, new_side.resolved(new["items"]), path + ("[]",))


def _types(node: Mapping[str, Any]) -> frozenset[str]:
    declared = node.get("type")
    kinds = set(declared if isinstance(declared, list) else [declared] if isinstance(declared, str) else [])
    if node.get("nullable") is True:
        kinds.add("null")
    return frozenset(kinds)


def _accepts(kinds: frozenset[str], other: frozenset[str]) -> bool:
    """Whether a field of types ``kinds`` accepts every value of types ``other`` (number holds integers)."""
    if not kinds:
        return True  # untyped: anything
    return all(kind in kinds or (kind == "integer" and "number" in kinds) for kind in other) if other else False


def _type_changes(old: Mapping[str, Any], new: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[SchemaChange]:
    before, after = _types(old), _types(new)
    if before == after:
        return
    breaks = set()
    if not _accepts(after, before):
        breaks.add("backward")  # the new schema refuses some old event
    if not _accepts(before, after):
        breaks.add("forward")   # the old schema refuses some new event
    if breaks:
        yield SchemaChange(path, f"type {_kinds(before)} → {_kinds(after)}", frozenset(breaks))


def _kinds(kinds: frozenset[str]) -> str:
    return "/".join(sorted(kinds)) or "any"


def _enum_changes(old: Mapping[str, Any], new: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[SchemaChange]:
    before, after = old.get("enum"), new.get("enum")
    if before == after:
        return
    if before is None:
        yield SchemaChange(path, f"now limited to {_values(after)}", frozenset({"backward"}))
        return
    if after is None:
        yield SchemaChange(path, "no longer limited to its values", frozenset({"forward"}))
        return
    removed = [value for value in before if value not in after]
    added = [value for value in after if value not in before]
    if removed:
        yield SchemaChange(path, f"enum value {_values(removed)} removed", frozenset({"backward"}))
    if added:
        yield SchemaChange(path, f"enum value {_values(added)} added", frozenset({"forward"}))


def _values(values: Any) -> str:
    return ", ".join(str(value) for value in values) if isinstance(values, list) else str(values)


def _format_changes(old: Mapping[str, Any], new: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[SchemaChange]:
    before, after = old.get("format"), new.get("format")
    if before == after:
        return
    if before is None:
        yield SchemaChange(path, f"format {after} added", frozenset({"backward"}))
    elif after is None:
        yield SchemaChange(path, f"format {before} removed", frozenset({"forward"}))
    else:
        yield SchemaChange(path, f"format {before} → {after}", frozenset({"backward", "forward"}))


def _object_changes(old_side: Side, old: Mapping[str, Any], new_side: Side, new: Mapping[str, Any],
                    path: tuple[str, ...]) -> Iterator[SchemaChange]:
    from cabructl.topology.schema_paths import declared_properties

    before = declared_properties(old, old_side.root) or {}
    after = declared_properties(new, new_side.root) or {}
    was_closed, is_closed = old.get("additionalProperties") is False, new.get("additionalProperties") is False
    required_before, required_after = set(old.get("required") or []), set(new.get("required") or [])
    if is_closed and not was_closed:
        yield SchemaChange(path, "closed to fields it does not declare (additionalProperties: false)", frozenset({"backward"}))
    if was_closed and not is_closed:
        yield SchemaChange(path, "open to undeclared fields", frozenset({"forward"}))
    for name in sorted(set(after) - set(before)):
        breaks = {"backward"} if name in required_after else set()
        if was_closed:
            breaks.add("forward")  # old consumers refuse the new field
        if breaks:
            kind = "required field" if name in required_after else "field"
            yield SchemaChange(path + (name,), f"{kind} {name} added", frozenset(breaks))
    for name in sorted(set(before) - set(after)):
        breaks = {"forward"} if name in required_before else set()
        if is_closed:
            breaks.add("backward")  # old events carrying it are refused
        yield SchemaChange(path + (name,), f"field {name} removed", frozenset(breaks or {"routing"}))
    for name in sorted(set(before) & set(after)):
        if name in required_after and name not in required_before:
            yield SchemaChange(path + (name,), f"{name} is now required", frozenset({"backward"}))
        if name in required_before and name not in required_after:
            yield SchemaChange(path + (name,), f"{name} is no longer required", frozenset({"forward"}))
        yield from _compare(old_side, old_side.resolved(before[name]), new_side, new_side.resolved(after[name]), path + (name,))


SCHEMA_CHECK_ID = "SCHEMA001"
_WHO_BREAKS = {"backward": "consumers on the new schema cannot read events already written",
               "forward": "consumers still on the old schema cannot read the new events"}


def schema_verdicts(baseline: Any, topology: Any) -> list[tuple[str, str, list[SchemaChange]]]:
    """(schema name, its mode, the changes the mode forbids) for each schema whose content differs from ``baseline``."""
    verdicts = []
    for name, schema in topology.schemas.items():
        old = baseline.schemas.get(name)
        if old is None or old.content == schema.content:
            continue
        changes = schema_changes(Side(old.detail_schema, old.content), Side(schema.detail_schema, schema.content))
        verdicts.append((name, schema.compatibility, incompatible(changes, schema.compatibility)))
    return verdicts


def schema_violations(baseline: Any, topology: Any, allow_breaking: Iterable[str] = ()) -> Iterator[Any]:
    """Each schema's changes since ``baseline`` (an older Topology, or the live registry's versions)
    that its mode forbids, as policy violations; schemas named in ``allow_breaking`` are let through."""
    from cabructl.policy.checks.base import Violation

    allowed = set(allow_breaking)
    for name, schema in topology.schemas.items():
        old = baseline.schemas.get(name)
        if old is None or schema.compatibility == "none" or name in allowed:
            continue
        changes = schema_changes(Side(old.detail_schema, old.content), Side(schema.detail_schema, schema.content))
        for change in incompatible(changes, schema.compatibility):
            directions = sorted(change.breaks & set(_BREAKS[schema.compatibility]))
            yield Violation(schema.path, f"{change.where}: {change.message} breaks {schema.compatibility} compatibility: "
                                         + "; ".join(_WHO_BREAKS[direction] for direction in directions),
                            hint=f"keep the old shape, publish under a new detail-type, or set `compatibility: none` on {name}")
