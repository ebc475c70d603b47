"""From raw pattern (dict or JSON text) to the parsed tree, collecting every problem.

The parser never stops at the first problem: it reports it with its path and goes
on with the siblings, so ``cabructl validate`` can list every mistake in a rule at
once. :func:`parse_pattern` then raises the first one, which is what compiling
needs. Whatever the input, the only exception that leaves this module is
:class:`PatternError`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from cabructl.patterns.complexity import complexity_problem
from cabructl.patterns.errors import PatternError, PatternPath, quoted
from cabructl.patterns.grammar import (
    FIELD_SEPARATOR,
    MAX_NESTING_DEPTH,
    MAX_PATTERN_CHARS,
    OR_KEY,
    RESERVED_IN_OR,
    TOO_COMPLEX,
    Condition,
    Exact,
    Leaf,
    Node,
    ObjectNode,
)
from cabructl.patterns.operators import is_number, read_operator
from cabructl.patterns.paths import TooManyBranches, canonical_object

# What json.dumps and json.loads raise on input that is no JSON document:
# unserialisable objects, circular references, NaN, and nesting past the C stack.
JSON_FAILURES = (TypeError, ValueError, RecursionError, OverflowError)


def parse_pattern(raw: object) -> ObjectNode:
    """The parsed tree of a valid pattern; raises the first problem otherwise."""
    tree, problems = parse_collecting(raw)
    if problems:
        raise problems[0]
    assert tree is not None
    return tree


def find_problems(raw: object) -> list[PatternError]:
    """Every problem found in ``raw`` (empty when it is a valid pattern)."""
    return parse_collecting(raw)[1]


def parse_collecting(raw: object) -> tuple[ObjectNode | None, list[PatternError]]:
    """The tree (None when it could not be built) and the problems, in document order."""
    parser = PatternParser()
    document = parser.decode(raw)
    if document is None:
        return None, parser.problems
    parser.check_size(document)
    tree = parser.object_node(document, (), depth=1, inside_or=False)
    if tree is not None and not parser.problems:
        parser.check_complexity(tree)
    return (tree if not parser.problems else None), parser.problems


def compact_json(document: object) -> str:
    """The form EventBridge measures: no whitespace, characters not escapes."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def decode_json_text(text: str | bytes) -> Any:
    """JSON text to Python, refusing NaN and Infinity, which JSON does not have."""
    return json.loads(text, parse_constant=refuse_constant)


def refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def is_exact_value(value: object) -> bool:
    """A JSON scalar a pattern can list: string, finite number, true, false or null."""
    if value is None or isinstance(value, (str, bool)):
        return True
    return is_number(value) and (isinstance(value, int) or math.isfinite(value))


class PatternParser:
    """One parse: walks the raw document and records problems as it goes."""

    def __init__(self) -> None:
        self.problems: list[PatternError] = []

    def report(self, reason: str, path: PatternPath, hint: str | None = None) -> None:
        self.problems.append(PatternError(reason, path, hint=hint))

    def decode(self, raw: object) -> dict | None:
        """The pattern as a dict, or None after reporting why it is not an object."""
        if isinstance(raw, (str, bytes, bytearray)):
            try:
                raw = decode_json_text(raw)
            except JSON_FAILURES as error:
                self.report(f"Filter is not valid JSON: {error}", ())
                return None
        if not isinstance(raw, dict):
            self.report("Filter is not an object", ())
            return None
        return raw

    def check_size(self, document: dict) -> None:
        """Report a pattern over the quota; unserialisable ones are left to the tree walk."""
        try:
            size = len(compact_json(document))
        except JSON_FAILURES:
            return
        if size > MAX_PATTERN_CHARS:
            self.report(
                f"Event pattern is {size:,} characters long; the maximum is {MAX_PATTERN_CHARS:,}", ()
            )

    def check_complexity(self, tree: ObjectNode) -> None:
        """Refuse what AWS refuses as too complex; only a pattern valid otherwise is measured."""
        problem = complexity_problem(tree)
        if problem:
            self.report(problem, ())

    def object_node(self, document: dict, path: PatternPath, depth: int, inside_or: bool) -> ObjectNode | None:
        if depth > MAX_NESTING_DEPTH:
            self.report(f"Event pattern is nested more than {MAX_NESTING_DEPTH} levels deep", path)
            return None
        if not document:
            self.report("Empty objects are not allowed", path)
            return None
        fields: list[tuple[str, Node]] = []
        any_of: tuple[ObjectNode, ...] = ()
        for key, value in document.items():
            here = path + (key,)
            if key == OR_KEY:
                any_of = self.or_branches(value, here, depth)
                continue
            child = self.field(key, value, here, depth, inside_or)
            if child is not None:
                fields.append((key, child))
        try:
            return canonical_object(fields, any_of)
        except TooManyBranches:
            self.report(TOO_COMPLEX, path)
            return None

    def field(self, key: object, value: object, path: PatternPath, depth: int, inside_or: bool) -> Node | None:
        if not isinstance(key, str):
            self.report(f"Field names must be strings, not {type(key).__name__}", path)
            return None
        if inside_or and key in RESERVED_IN_OR:
            self.report(f"{quoted(key)} is Ruler reserved fieldName which cannot be used inside {OR_KEY}.", path)
            return None
        depth += key.count(FIELD_SEPARATOR)  # "a.b" nests as deep as {"a": {"b": ...}}
        if depth > MAX_NESTING_DEPTH:
            self.report(f"Event pattern is nested more than {MAX_NESTING_DEPTH} levels deep", path)
            return None
        if isinstance(value, dict):
            return self.object_node(value, path, depth + 1, inside_or)
        if isinstance(value, list):
            return self.leaf(value, path)
        self.report(f'"{quoted(key)}" must be an object or an array', path)
        return None

    def or_branches(self, value: object, path: PatternPath, depth: int) -> tuple[ObjectNode, ...]:
        """``"$or": [{...}, {...}, ...]``: at least two objects, each a pattern of its own."""
        if not isinstance(value, list):
            self.report(f"It must be an Array followed with {OR_KEY}.", path)
            return ()
        if len(value) < 2:
            self.report(f"There must have at least 2 Objects in {OR_KEY} relationship.", path)
        branches = []
        for index, branch in enumerate(value):
            if not isinstance(branch, dict):
                self.report(f"Only JSON object is allowed in array of {OR_KEY} relationship.", path + (index,))
                continue
            node = self.object_node(branch, path + (index,), depth + 1, inside_or=True)
            if node is not None:
                branches.append(node)
        return tuple(branches)

    def leaf(self, values: list, path: PatternPath) -> Leaf | None:
        if not values:
            self.report("Empty arrays are not allowed", path)
            return None
        conditions = [self.condition(value, path + (index,)) for index, value in enumerate(values)]
        return None if None in conditions else Leaf(tuple(conditions))  # type: ignore[arg-type]

    def condition(self, value: object, path: PatternPath) -> Condition | None:
        if isinstance(value, dict):
            return read_operator(value, path, self.report)
        if is_exact_value(value):
            return Exact(value)  # type: ignore[arg-type]
        self.report("Match value must be String, number, true, false, or null", path)
        return None
