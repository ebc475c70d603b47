"""Patterns EventBridge refuses as too complex: too many ``$or`` combinations, or wildcards.

Both checks follow how event-ruler compiles a rule (aws/event-ruler,
``JsonRuleCompiler`` and ``GenericMachine``): a ``$or`` forks the rule into one
*sub-rule* per combination of branches, each a flat map from dotted field path to
the field's values, and the sub-rules are added to a machine field by field, in
sorted path order. Each field of each step has its own byte machine, whose
wildcard complexity :mod:`cabructl.patterns.bytemachine` measures; the rule's
complexity is the largest over every machine the walk reaches.

Two details are event-ruler's and deliberate here:

- only sub-rules holding a wildcard are added to the evaluation machine (the
  README's recipe for limiting complexity), since the others can only add
  machines with no wildcard;
- a field reached only through ``{"exists": false}`` is not walked: that edge is
  no byte machine, and EventBridge keeps event-ruler's evaluation from before
  2.1.0, which did not follow it.
"""

from __future__ import annotations

from typing import Hashable, Iterator

from cabructl.patterns.bytemachine import WildcardMachine, wildcard_tokens
from cabructl.patterns.grammar import (
    FIELD_SEPARATOR,
    MAX_OR_COMBINATIONS,
    MAX_WILDCARD_COMPLEXITY,
    TOO_COMPLEX,
    AnythingBut,
    Condition,
    Exists,
    Leaf,
    ObjectNode,
    Wildcard,
)

SubRule = dict[str, Leaf]


def complexity_problem(tree: ObjectNode) -> str | None:
    """EventBridge's reason for refusing ``tree`` as too complex, or None."""
    if or_combinations(tree) > MAX_OR_COMBINATIONS:
        return TOO_COMPLEX
    if has_wildcard(tree) and wildcard_complexity(tree) > MAX_WILDCARD_COMPLEXITY:
        return TOO_COMPLEX
    return None


def or_combinations(node: ObjectNode) -> int:
    """How many sub-rules the ``$or`` groups of ``node`` fork into (1 without any).

    Nested objects multiply, the branches of one ``$or`` add up. Capped just above
    the limit, so that no pattern makes the count itself expensive.
    """
    total = 1
    for _, child in node.fields:
        if isinstance(child, ObjectNode):
            total = min(total * or_combinations(child), MAX_OR_COMBINATIONS + 1)
    if node.any_of:
        branches = sum(or_combinations(branch) for branch in node.any_of)
        total = min(total * branches, MAX_OR_COMBINATIONS + 1)
    return total


def sub_rules(node: ObjectNode, prefix: str = "") -> list[SubRule]:
    """The flat sub-rules of ``node`` (call only within :data:`MAX_OR_COMBINATIONS`).

    A path written twice keeps its last values, as event-ruler overrides them.
    """
    rules: list[SubRule] = [{}]
    for key, child in node.fields:
        path = prefix + key
        if isinstance(child, Leaf):
            for rule in rules:
                rule[path] = child
        else:
            rules = [{**rule, **nested} for rule in rules for nested in sub_rules(child, path + FIELD_SEPARATOR)]
    if node.any_of:
        rules = [{**rule, **forked} for rule in rules for branch in node.any_of for forked in sub_rules(branch, prefix)]
    return rules


def wildcard_pattern(condition: Condition) -> tuple[Hashable, list[tuple[str, ...]]] | None:
    """The identity and values of a wildcard pattern, or None for any other condition.

    An ``anything-but`` wildcard list is one pattern with several values.
    """
    if isinstance(condition, Wildcard):
        return ("wildcard", condition.source), [condition.pieces]
    if isinstance(condition, AnythingBut) and any(isinstance(item, Wildcard) for item in condition.excluded):
        wildcards = [item for item in condition.excluded if isinstance(item, Wildcard)]
        identity = ("anything-but-wildcard", frozenset(item.source for item in wildcards))
        return identity, [item.pieces for item in wildcards]
    return None


def has_wildcard(node: ObjectNode) -> bool:
    return any(wildcard_pattern(condition) for leaf in leaves(node) for condition in leaf.conditions)


def leaves(node: ObjectNode) -> Iterator[Leaf]:
    for _, child in node.fields:
        if isinstance(child, Leaf):
            yield child
        else:
            yield from leaves(child)
    for branch in node.any_of:
        yield from leaves(branch)


def condition_identity(condition: Condition) -> Hashable:
    """When two values of a field lead to the same next step: equal patterns do (lists as sets)."""
    if isinstance(condition, AnythingBut):
        return AnythingBut, frozenset(condition.excluded)
    return condition


class FieldMachine:
    """One field of one step: where each value leads, and the field's wildcard patterns."""

    __slots__ = ("following", "walked", "wildcards")

    def __init__(self) -> None:
        self.following: dict[Hashable, Step] = {}
        self.walked: dict[int, Step] = {}  # steps reached through a value, not only through exists: false
        self.wildcards: dict[Hashable, list[tuple[str, ...]]] = {}

    def add(self, condition: Condition, candidate: "Step | None") -> "Step":
        """The step ``condition`` leads to: its own if seen before, else the field's (``candidate``) or a new one."""
        identity = condition_identity(condition)
        step = self.following.get(identity) or candidate or Step()
        self.following.setdefault(identity, step)
        if not (isinstance(condition, Exists) and not condition.present):
            self.walked[id(step)] = step
        pattern = wildcard_pattern(condition)
        if pattern:
            self.wildcards.setdefault(*pattern)
        return step


class Step:
    """A state of the machine between fields (event-ruler's ``NameState``)."""

    __slots__ = ("fields",)

    def __init__(self) -> None:
        self.fields: dict[str, FieldMachine] = {}

    def add_rule(self, rule: SubRule) -> None:
        """Add one sub-rule, field by field in sorted path order, from this (the start) step."""
        steps = [self]
        for path in sorted(rule):
            reached: dict[int, Step] = {}
            for step in steps:
                machine = step.fields.setdefault(path, FieldMachine())
                last: Step | None = None
                for condition in rule[path].conditions:
                    last = machine.add(condition, last)
                    reached[id(last)] = last
            steps = list(reached.values())


def wildcard_complexity(tree: ObjectNode, cap: int = MAX_WILDCARD_COMPLEXITY + 1) -> int:
    """The largest wildcard complexity of any field machine of the rule, at most ``cap``.

    The default cap, one above the limit, is what deciding needs, and is how
    event-ruler's README evaluates (a bigger cap only costs time).
    """
    start = Step()
    for rule in sub_rules(tree):
        if any(wildcard_pattern(condition) for leaf in rule.values() for condition in leaf.conditions):
            start.add_rule(rule)
    best, pending, seen = 0, [start], set()
    measured: dict[tuple, int] = {}  # $or copies one field's wildcards into many steps: measure each set once
    while pending:
        step = pending.pop()
        if id(step) in seen:
            continue
        seen.add(id(step))
        for machine in step.fields.values():
            if machine.wildcards:
                key = tuple((identity, tuple(values)) for identity, values in machine.wildcards.items())
                if key not in measured:
                    measured[key] = field_complexity(machine.wildcards, cap)
                best = max(best, measured[key])
                if best >= cap:
                    return best
            pending.extend(machine.walked.values())
    return best


def field_complexity(patterns: dict[Hashable, list[tuple[str, ...]]], cap: int) -> int:
    machine = WildcardMachine()
    for identity, values in patterns.items():
        for pieces in values:
            machine.add(wildcard_tokens(pieces), identity)
    return machine.complexity(cap)
