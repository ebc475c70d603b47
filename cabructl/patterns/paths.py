"""Dots in pattern field names: ``{"a.b": [...]}`` is the pattern ``{"a": {"b": [...]}}``.

event-ruler compiles a pattern into a flat map from dotted path to values, so
``{"detail": {"state.status": [...]}}`` and ``{"detail": {"state": {"status": [...]}}}``
are the same rule. The parsed tree keeps one shape for one meaning: every dotted
key is split into nested objects, and objects that end up at the same place are
merged. When one path is given values twice (``{"a.b": [1], "a": {"b": [2]}}``),
the later one in document order wins, as event-ruler's default compiler (rule
overriding, ``JsonRuleCompiler.compile``) puts the second list over the first in
its map; JSON text with a duplicate key behaves the same way.

Known limit: a path written both outside a ``$or`` and inside one of its branches
is not overridden (both are required), where event-ruler would let the value
written last replace the other in that branch's sub-rule.
"""

from __future__ import annotations

from itertools import product

from cabructl.patterns.grammar import FIELD_SEPARATOR, MAX_OR_COMBINATIONS, Leaf, Node, ObjectNode

Field = tuple[str, Node]


class TooManyBranches(Exception):
    """Merging two ``$or`` groups at one place would fork into more sub-rules than AWS allows."""


def canonical_object(fields: list[Field], any_of: tuple[ObjectNode, ...]) -> ObjectNode:
    """The object of ``fields`` (children already canonical) with dotted keys split and merged.

    Patterns without a dotted key, nearly all of them, are returned as written.
    """
    if not any(FIELD_SEPARATOR in key for key, _ in fields):
        return ObjectNode(tuple(fields), any_of)
    return ObjectNode(merge_fields([split_field(key, child) for key, child in fields]), any_of)


def split_field(key: str, child: Node) -> Field:
    """``("a.b.c", x)`` as ``("a", {"b": {"c": x}})``."""
    head, *rest = key.split(FIELD_SEPARATOR)
    for segment in reversed(rest):
        child = ObjectNode(((segment, child),))
    return head, child


def merge_fields(fields: list[Field]) -> tuple[Field, ...]:
    """Fields with undotted keys, in first-seen order: a repeated leaf keeps its last values,
    repeated objects are merged. A leaf and an object may share a key (``a.b`` and ``a.b.c``
    are two paths)."""
    leaves: dict[str, Leaf] = {}
    objects: dict[str, list[ObjectNode]] = {}
    order: dict[tuple[str, bool], None] = {}
    for key, child in fields:
        if isinstance(child, Leaf):
            leaves[key] = child
        else:
            objects.setdefault(key, []).append(child)
        order[(key, isinstance(child, Leaf))] = None
    return tuple(
        (key, leaves[key] if is_leaf else merge_objects(objects[key])) for key, is_leaf in order
    )


def merge_objects(nodes: list[ObjectNode]) -> ObjectNode:
    """Several objects at one path as one: their fields together, and all of their ``$or`` groups."""
    if len(nodes) == 1:
        return nodes[0]
    fields = [field for node in nodes for field in node.fields]
    groups = [node.any_of for node in nodes if node.any_of]
    return ObjectNode(merge_fields(fields), both_groups(groups))


def both_groups(groups: list[tuple[ObjectNode, ...]]) -> tuple[ObjectNode, ...]:
    """Several ``$or`` groups that must all hold, as one group: one branch per combination.

    An object holds a single ``$or`` group, and (A or B) and (C or D) is
    (A and C) or (A and D) or (B and C) or (B and D), the very sub-rules
    event-ruler forks the rule into.
    """
    if len(groups) <= 1:
        return groups[0] if groups else ()
    combinations = 1
    for group in groups:
        combinations *= len(group)
        if combinations > MAX_OR_COMBINATIONS:
            raise TooManyBranches
    return tuple(merge_objects(list(branches)) for branches in product(*groups))
