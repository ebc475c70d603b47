"""The public functions on single patterns: compile, validate, and facts policies need.

The helpers accept a pattern as a dict, as JSON text or already compiled, because
callers hold all three: the topology loader has dicts, ``describe-rule`` returns
text, and the rule set keeps compiled patterns.
"""

from __future__ import annotations

from typing import Iterator, Union

from cabructl.patterns.errors import PatternError
from cabructl.patterns.grammar import AnythingBut, Leaf, Node, ObjectNode, Wildcard
from cabructl.patterns.matcher import compile_event_test
from cabructl.patterns.parser import JSON_FAILURES, compact_json, decode_json_text, find_problems, parse_pattern

FIELD_SEPARATOR = "."


class CompiledPattern:
    """A valid pattern turned into a matcher; compile once, test many events."""

    __slots__ = ("tree", "_test")

    def __init__(self, tree: ObjectNode) -> None:
        self.tree = tree
        self._test = compile_event_test(tree)

    def matches(self, event: object) -> bool:
        """Whether EventBridge would deliver ``event`` to a rule with this pattern.

        Total: a non-object event, or one with values JSON cannot hold, is simply
        not matched.
        """
        return self._test(event)

    def __repr__(self) -> str:
        return f"<CompiledPattern fields={sorted(leaf_paths(self.tree))}>"


PatternLike = Union[dict, str, bytes, CompiledPattern]


def compile_pattern(pattern: dict | str | bytes) -> CompiledPattern:
    """Parse, validate and compile; raises :class:`PatternError` for an invalid pattern."""
    return CompiledPattern(parse_pattern(pattern))


def validate_pattern(pattern: object) -> list[PatternError]:
    """Every problem found in ``pattern``; empty when EventBridge would accept it. Never raises."""
    return find_problems(pattern)


def tree_of(pattern: PatternLike) -> ObjectNode:
    return pattern.tree if isinstance(pattern, CompiledPattern) else parse_pattern(pattern)


def pattern_fields(pattern: PatternLike) -> set[str]:
    """Dotted paths of every event field the pattern tests, ``$or`` branches included.

    A path is AWS's flattened one whatever the spelling (``{"a.b": ...}`` and
    ``{"a": {"b": ...}}`` both give ``a.b``). The rule index and the routing report
    use them to know which fields decide a rule.
    """
    return set(leaf_paths(tree_of(pattern)))


def leaf_paths(node: ObjectNode, prefix: str = "") -> Iterator[str]:
    for key, child in node.fields:
        path = prefix + key
        if isinstance(child, Leaf):
            yield path
        else:
            yield from leaf_paths(child, path + FIELD_SEPARATOR)
    for branch in node.any_of:
        yield from leaf_paths(branch, prefix)


def uses_wildcard(pattern: PatternLike) -> bool:
    """Whether the rule counts against the quota of 30 wildcard rules per bus."""
    return any(is_wildcard(condition) for leaf in leaves(tree_of(pattern)) for condition in leaf.conditions)


def is_wildcard(condition: object) -> bool:
    if isinstance(condition, AnythingBut):
        return any(is_wildcard(excluded) for excluded in condition.excluded)
    return isinstance(condition, Wildcard)


def leaves(node: Node) -> Iterator[Leaf]:
    if isinstance(node, Leaf):
        yield node
        return
    for _, child in node.fields:
        yield from leaves(child)
    for branch in node.any_of:
        yield from leaves(branch)


def pattern_size(pattern: dict | str | bytes) -> int:
    """Characters of the compact JSON form, the measure of the 2,048-character quota.

    Works on invalid patterns too (the size is one of the things to report about
    them); only input that is no JSON at all raises :class:`PatternError`.
    """
    try:
        document = decode_json_text(pattern) if isinstance(pattern, (str, bytes, bytearray)) else pattern
        return len(compact_json(document))
    except JSON_FAILURES as error:
        raise PatternError(f"Filter is not valid JSON: {error}") from None
