"""Dots in event field names: ``{"a.b": 1}`` is the field ``a.b``, as ``{"a": {"b": 1}}`` is.

EventBridge (event-ruler) flattens an event into dotted paths before matching, so a
value reaches the field ``detail.state`` from ``{"detail": {"state": ...}}`` and from
``{"detail.state": ...}`` alike, and from both at once. The matcher walks the event
as a tree instead, so here dotted keys are folded into the objects they continue,
once per event and only where a pattern looks into an object: a pattern segment
never contains a dot (the parser splits dotted pattern keys), so a dotted event key
can only matter on the way *down* to a nested pattern object, never for a leaf.

The common event has no dotted key at all; :func:`fold_dotted_keys` pays one C-level
join per object the patterns look into to find that out, and then returns the event
itself, so matching reads it with plain ``dict.get``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable, Iterator

from cabructl.patterns.grammar import FIELD_SEPARATOR, ObjectNode


class Missing:
    """The value of a field the event does not have (``None`` is JSON null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()

# Past this many nested collisions (an event naming one path in two ways, all the way
# down) the two values are kept side by side instead of merged: bounded work, no
# RecursionError on self-referencing input.
MAX_MERGE_DEPTH = 64

Paths = dict[str, "Paths"]  # key -> the keys below it where a pattern object continues


def has_dotted_key(document: Mapping) -> bool:
    """Whether any key of ``document`` holds a dot; non-string keys count, to take the slow path."""
    try:
        return FIELD_SEPARATOR in "".join(document)
    except TypeError:
        return True


def object_paths(tree: ObjectNode) -> Paths:
    """The keys at which ``tree`` tests a nested object (``$or`` branches included), as a tree of keys.

    Only there can a dotted event key matter, so only there is it looked for.
    """
    paths: Paths = {}
    for key, child in tree.fields:
        if isinstance(child, ObjectNode):
            merge_paths(paths.setdefault(key, {}), object_paths(child))
    for branch in tree.any_of:
        merge_paths(paths, object_paths(branch))
    return paths


def merge_paths(into: Paths, more: Paths) -> None:
    for key, below in more.items():
        merge_paths(into.setdefault(key, {}), below)


def dotted_key_folder(paths: Paths) -> Callable[[Mapping], Mapping]:
    """:func:`fold_dotted_keys` for ``paths``, specialised: this runs once per event matched.

    When patterns only look into top-level objects (``detail``), the one question
    per event is whether a top-level key holds a dot, asked with a C-level join.
    """
    if any(paths.values()):
        return lambda document: fold_dotted_keys(document, paths)
    join = "".join

    def fold_top_level(document: Mapping) -> Mapping:
        try:
            if FIELD_SEPARATOR not in join(document):
                return document
        except TypeError:
            pass
        return fold_level(document, paths)

    return fold_top_level


def fold_dotted_keys(document: Mapping, paths: Paths) -> Mapping:
    """``document`` with its dotted keys folded into the objects at ``paths`` (itself when it has none).

    ``{"a.b": 1, "a": {"c": 2}}`` with paths ``{"a": {}}`` is seen as
    ``{"a.b": 1, "a": {"b": 1, "c": 2}}``: the pattern object at ``a`` finds both
    fields. Copies only what changes; the event is never modified.
    """
    view = fold_level(document, paths) if has_dotted_key(document) else document
    for key, below in paths.items():
        if not below:
            continue
        value = view.get(key, MISSING)
        folded = fold_value(value, below, 0)
        if folded is not value:
            view = dict(view) if view is document else view
            view[key] = folded  # type: ignore[index]
    return view


def fold_level(document: Mapping, paths: Paths) -> Mapping:
    """One level: each key of ``paths`` joined with the dotted keys that continue it."""
    folded: dict | None = None
    for key in paths:
        value = document.get(key, MISSING)
        joined = with_dotted_keys(document, key + FIELD_SEPARATOR, value)
        if joined is not value:
            folded = folded if folded is not None else dict(document)
            folded[key] = joined
    return folded if folded is not None else document


def fold_value(value: object, paths: Paths, depth: int) -> object:
    """:func:`fold_dotted_keys` for any event value: objects, and the objects in arrays (bounded)."""
    if isinstance(value, Mapping):
        return fold_dotted_keys(value, paths)
    if isinstance(value, (list, tuple)) and depth < MAX_MERGE_DEPTH:
        items = [fold_value(item, paths, depth + 1) for item in value]
        if any(item is not original for item, original in zip(items, value)):
            return items
    return value


def with_dotted_keys(document: Mapping, prefix: str, value: object) -> object:
    """``value`` joined with what the keys of ``document`` starting with ``prefix`` hold below it."""
    extras = {
        key[len(prefix):]: item for key, item in document.items() if isinstance(key, str) and key.startswith(prefix)
    }
    if not extras:
        return value
    return combine(value, extras, 0)


def combine(value: object, extras: Mapping, depth: int) -> object:
    """One value at a path and an object of more fields under the same path, seen as one.

    Values that are not in an array belong to every element of an array met on
    the way (event-ruler only keeps fields apart when they come from *different
    elements of one array*), so the extra fields join each object of an array.
    """
    if value is MISSING:
        return dict(extras)
    if isinstance(value, Mapping):
        merged = dict(value)
        for key, item in extras.items():
            merged[key] = merge(merged[key], item, depth + 1) if key in merged else item
        return merged
    if isinstance(value, (list, tuple)):
        objects = [element for element in value if isinstance(element, Mapping)]
        if not objects:
            return [*value, dict(extras)]
        return [combine(element, extras, depth + 1) if isinstance(element, Mapping) else element for element in value]
    return [value, dict(extras)]


def merge(first: object, second: object, depth: int) -> object:
    """Two values an event gives for one path: both stay candidates, objects are joined."""
    if depth > MAX_MERGE_DEPTH:
        return [first, second]
    if isinstance(second, Mapping):
        return combine(first, second, depth)
    if isinstance(first, Mapping):
        return combine(second, first, depth)
    first_items = list(first) if isinstance(first, (list, tuple)) else [first]
    second_items = list(second) if isinstance(second, (list, tuple)) else [second]
    return first_items + second_items


def values_at(value: object, path: tuple[str, ...]) -> Iterator[object]:
    """Every event value reached by the dotted path ``path``, through arrays and dotted keys.

    A superset of what the matcher can use (it ignores which array element a value
    came from), which is what the rule index needs to file candidates. Iterative,
    so no event shape can make it raise.
    """
    pending: list[tuple[object, int]] = [(value, 0)]
    seen: set[tuple[int, int]] = set()
    while pending:
        node, depth = pending.pop()
        if (id(node), depth) in seen:
            continue
        seen.add((id(node), depth))
        if depth == len(path):
            yield node
            continue
        if isinstance(node, (list, tuple)):
            pending.extend((element, depth) for element in node)
        elif isinstance(node, Mapping):
            pending.extend(steps_down(node, path, depth))


def steps_down(document: Mapping, path: tuple[str, ...], depth: int) -> Iterator[tuple[object, int]]:
    """The children of ``document`` that continue ``path`` from segment ``depth``, dotted keys included."""
    key = path[depth]
    if key in document:
        yield document[key], depth + 1
    if not has_dotted_key(document):
        return
    for name, item in document.items():
        if not isinstance(name, str) or FIELD_SEPARATOR not in name:
            continue
        segments = tuple(name.split(FIELD_SEPARATOR))
        if path[depth : depth + len(segments)] == segments:
            yield item, depth + len(segments)
