"""A rule that can never match is an error: its pattern checked against the schemas of the events it receives.

EventBridge accepts ``severity: [CRTICAL]`` or ``detail.severty`` and the rule then
matches nothing, silently. For every field a pattern tests, at least one event that
can reach the rule (by source and detail-type) must be able to carry it; a literal
compared with an enum field must be one of its values; and the operator must fit the
field's type (numeric on a number; prefix, suffix, wildcard and equals-ignore-case on
a string; a string literal on a string). A schema that cannot tell (an open map, an
untyped part) lets the pattern be.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from cabructl.diagnostics import Path, did_you_mean
from cabructl.topology.model import EventSchema, Rule, Topology
from cabructl.topology.schema_paths import ENVELOPE_FIELDS, json_type, lookup, reaching_schemas

Finding = tuple[Path, str, str, Optional[str]]


def check_patterns_against_schemas(topology: Topology) -> Iterator[Finding]:
    """Fields, enum values and operator types of every valid pattern, against the events reaching its rule."""
    from cabructl.patterns import PatternError
    from cabructl.patterns.parser import parse_pattern

    for rule in topology.rules.values():
        try:
            tree = parse_pattern(rule.pattern)
        except PatternError:
            continue  # the pattern check reports it
        schemas = reaching_schemas(topology, rule)
        if not schemas:
            continue
        for steps, leaf in _leaves(tree, ()):
            yield from _leaf_findings(rule, steps, leaf, schemas)


def _leaves(node: Any, prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    from cabructl.patterns.grammar import Leaf

    for key, child in node.fields:
        if isinstance(child, Leaf):
            yield prefix + (key,), child
        else:
            yield from _leaves(child, prefix + (key,))
    for branch in node.any_of:
        yield from _leaves(branch, prefix)


def written_path(pattern: Any, steps: tuple[str, ...]) -> tuple[Any, ...]:
    """The path as the file writes it: ``host.zone`` may be one dotted key or two nested ones, and a
    field inside ``$or`` is found in the branch that names it (the nearest written key otherwise)."""
    if not steps or not isinstance(pattern, dict):
        return ()
    for end in range(1, len(steps) + 1):
        key = ".".join(steps[:end])
        if key in pattern:
            return (key,) + written_path(pattern[key], steps[end:])
    for index, branch in enumerate(pattern.get("$or") or []):
        found = written_path(branch, steps)
        if found:
            return ("$or", index) + found
    return ()


def _leaf_findings(rule: Rule, steps: tuple[str, ...], leaf: Any, schemas: list[EventSchema]) -> Iterator[Finding]:
    where = rule.path + ("pattern",) + written_path(rule.pattern, steps)
    if steps[0] not in ENVELOPE_FIELDS:
        yield (where, "pattern-field-never-present", f'"{steps[0]}": an event has no such field, so this rule never matches',
               did_you_mean(steps[0], ENVELOPE_FIELDS))
        return
    if steps[0] != "detail" or len(steps) == 1:
        return
    lookups = [(schema, lookup(schema, steps[1:])) for schema in schemas]
    if all(found.missing is not None for _, found in lookups):
        field, known = next(found.missing for _, found in lookups if found.missing is not None)
        names = ", ".join(schema.name for schema in schemas)
        yield (where, "pattern-field-never-present", f'"{field}" is in no schema of the events this rule receives ({names}), so it never matches',
               did_you_mean(field, known) or (f"known: {', '.join(sorted(known))}" if known else None))
        return
    declared = [found.node for _, found in lookups if found.node is not None]
    if len(declared) < len(lookups) - sum(found.missing is not None for _, found in lookups):
        return  # some event's schema cannot tell: it may match
    for condition in leaf.conditions:
        problem = _condition_problem(condition, declared)
        if problem:
            yield (where, problem[0], f"{problem[1]}, so it never matches", problem[2])


def _condition_problem(condition: Any, fields: list[dict[str, Any]]) -> tuple[str, str, str | None] | None:
    """A (reference, message, hint) when no declared field can satisfy the condition; None otherwise."""
    from cabructl.patterns.grammar import EqualsIgnoreCase, Exact, Numeric, Prefix, Suffix, Wildcard

    types = {json_type(field) for field in fields}
    if None in types:
        return None
    if isinstance(condition, Numeric) and "number" not in types:
        return "pattern-type-mismatch", f"numeric matching on a {_kinds(types)} field", None
    if isinstance(condition, (Prefix, Suffix, Wildcard, EqualsIgnoreCase)) and "string" not in types:
        return "pattern-type-mismatch", f"{type(condition).__name__.lower()} matching on a {_kinds(types)} field", None
    if isinstance(condition, Exact):
        return _exact_problem(condition.value, fields, types)
    return None


def _exact_problem(value: Any, fields: list[dict[str, Any]], types: set[str | None]) -> tuple[str, str, str | None] | None:
    if value is None or isinstance(value, bool):
        return None  # null and booleans: left to the schema's nullable/boolean rules, which vary
    if isinstance(value, str):
        if "string" not in types:
            return "pattern-type-mismatch", f'"{value}" is a string, the field a {_kinds(types)}', None
        enums = [field.get("enum") for field in fields if json_type(field) == "string"]
        if enums and all(isinstance(enum, list) for enum in enums):
            allowed = sorted({str(item) for enum in enums for item in enum})
            if value not in allowed:
                return "pattern-value-not-in-enum", f'"{value}" is not one of its values ({", ".join(allowed)})', did_you_mean(value, allowed)
        return None
    if isinstance(value, (int, float)) and "number" not in types:
        return "pattern-type-mismatch", f"{value} is a number, the field a {_kinds(types)}", None
    return None


def _kinds(types: set[str | None]) -> str:
    return " or ".join(sorted(str(kind) for kind in types))
