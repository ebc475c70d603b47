"""Which rules can an agent's events match, and how often: candidate events from the schemas.

A rule's pattern only looks at a few fields. For each field some rule tests, the
agent's schema says what values it can hold: an ``enum`` or a boolean is a small,
known set, so candidate events take every combination of those values; a free
string, number or array could hold anything, so conditions on it are *relaxed*
(dropped from the pattern) — assuming they can match is what a worst case must do.
Fields the schema does not declare are absent from the candidates.

The worst case counts a rule as matching an agent's whole volume when any candidate
matches; the expected case weighs candidates by the agent's declared ``mix`` (the
share of each value of a field), treating fields or shares the mix does not cover
as the worst case. The real pattern matcher decides every match, so the model and
EventBridge agree on what a pattern means.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from cabructl.patterns import compile_pattern
from cabructl.policy.sizes import resolve_ref
from cabructl.topology.model import EventSchema
from cabructl.topology.openapi import detail_json_schema

FieldPath = tuple[str, ...]

# Envelope fields EventBridge fills with values the model knows…
FIXED_ENVELOPE = ("version", "source", "detail-type", "region")
# …and those it fills with values nobody can predict (an id, the clock, the caller's account).
FREE_ENVELOPE = ("id", "time", "account", "resources")
_SHARE_EPSILON = 1e-12


class _Absent:
    """The value of an optional field an event leaves out."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT = _Absent()
ANY = object()  # in an expected-case combination: the field's share the mix leaves open


@dataclass(frozen=True)
class Domain:
    """The values a tested field can take in this schema's events."""

    path: FieldPath
    values: tuple[Any, ...]


def pattern_paths(pattern: Mapping[str, Any], prefix: FieldPath = ()) -> Iterator[FieldPath]:
    """Every field path a pattern tests, ``$or`` branches included."""
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list):
            for branch in value:
                if isinstance(branch, dict):
                    yield from pattern_paths(branch, prefix)
        elif isinstance(value, dict):
            yield from pattern_paths(value, prefix + (key,))
        else:
            yield prefix + (key,)


def relax(pattern: Mapping[str, Any], free: frozenset[FieldPath], prefix: FieldPath = ()) -> dict[str, Any] | None:
    """``pattern`` without its conditions on ``free`` fields; None when nothing is left to test.

    Dropping a condition can only widen what a pattern matches, so a relaxed pattern
    is an upper bound: right for a worst case, never an under-count.
    """
    kept: dict[str, Any] = {}
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list):
            branches = [relax(branch, free, prefix) for branch in value]
            if all(branch is not None for branch in branches):
                kept[key] = branches
        elif isinstance(value, dict):
            inner = relax(value, free, prefix + (key,))
            if inner is not None:
                kept[key] = inner
        elif prefix + (key,) not in free:
            kept[key] = value
    return kept or None


class EventSpace:
    """The events one schema allows, as far as the rules can tell them apart."""

    def __init__(self, schema: EventSchema, region: str, paths: set[FieldPath], max_candidates: int) -> None:
        self.schema = schema
        self.base: dict[str, Any] = {"version": "0", "source": schema.source, "detail-type": schema.detail_type,
                                     "region": region, "detail": {}}
        json_schema = detail_json_schema(schema.type, schema.content, schema.name)
        resolver = _FieldResolver(json_schema)
        domains: list[Domain] = []
        free: set[FieldPath] = set()
        for path in sorted(paths):
            kind, values = _classify(path, resolver)
            if kind == "free":
                free.add(path)
            elif kind == "enumerated":
                domains.append(Domain(path, values))
        self.domains, self.free = _within_budget(domains, free, max_candidates)

    def candidates(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        """Every combination of the enumerated fields' values, with the event it makes."""
        combinations = itertools.product(*(domain.values for domain in self.domains))
        return [(values, self._event(values)) for values in combinations]

    def _event(self, values: tuple[Any, ...]) -> dict[str, Any]:
        event = copy.deepcopy(self.base)
        for domain, value in zip(self.domains, values):
            if value is not ABSENT:
                _set_path(event, domain.path, value)
        return event


class MatchTable:
    """For one event space, which candidates each rule matches."""

    def __init__(self, space: EventSpace, patterns: Mapping[str, Mapping[str, Any]]) -> None:
        self.space = space
        self.candidates = space.candidates()
        self.matches: dict[str, list[bool]] = {name: self._match_all(pattern) for name, pattern in patterns.items()}

    def _match_all(self, pattern: Mapping[str, Any]) -> list[bool]:
        relaxed = relax(pattern, frozenset(self.space.free))
        if relaxed is None:
            return [True] * len(self.candidates)
        compiled = compile_pattern(relaxed)
        return [compiled.matches(event) for _, event in self.candidates]

    def worst_share(self, rule: str) -> float:
        """1 when some event of the schema can match the rule, else 0."""
        return 1.0 if any(self.matches[rule]) else 0.0

    def expected_share(self, rule: str, mix: Mapping[str, Mapping[Any, float]]) -> float:
        """The share of events matching, weighing mixed fields by their declared shares."""
        matched = self.matches[rule]
        mixed = [(index, domain) for index, domain in enumerate(self.space.domains) if _mix_field(domain.path) in mix]
        if not mixed:
            return self.worst_share(rule)
        choices = [_choices(domain, mix[_mix_field(domain.path)]) for _, domain in mixed]
        share = 0.0
        for combination in itertools.product(*choices):
            wanted = [(index, value) for (index, _), (value, _) in zip(mixed, combination)]
            if any(hit and _agrees(values, wanted) for (values, _), hit in zip(self.candidates, matched)):
                probability = 1.0
                for _, weight in combination:
                    probability *= weight
                share += probability
        return min(1.0, share)


def enumerated_values(schema: EventSchema, path: FieldPath) -> tuple[Any, ...] | None:
    """The values a detail field takes when the schema enumerates them (enum, boolean), else None."""
    resolver = _FieldResolver(detail_json_schema(schema.type, schema.content, schema.name))
    kind, values = _classify(path, resolver)
    return tuple(value for value in values if value is not ABSENT) if kind == "enumerated" else None


def mix_path(field: str) -> FieldPath:
    """A ``mix`` key (``severity``, ``summary.status``) as a path in the event."""
    return ("detail",) + tuple(field.split("."))


def _mix_field(path: FieldPath) -> str | None:
    return ".".join(path[1:]) if path[:1] == ("detail",) else None


def _choices(domain: Domain, shares: Mapping[Any, float]) -> list[tuple[Any, float]]:
    """The mix's values the schema allows, plus what the mix leaves open (treated as any value).

    Shares of values the schema cannot produce are left open too: a typo in the mix
    must not make the expected case cheaper than the worst case allows.
    """
    known = [(value, float(share)) for value, share in shares.items() if value in domain.values]
    total = sum(share for _, share in known)
    if total > 1:
        known = [(value, share / total) for value, share in known]
        total = 1.0
    if 1 - total > _SHARE_EPSILON:
        known.append((ANY, 1 - total))
    return known


def _agrees(values: tuple[Any, ...], wanted: list[tuple[int, Any]]) -> bool:
    return all(value is ANY or values[index] == value for index, value in wanted)


def _set_path(event: dict[str, Any], path: FieldPath, value: Any) -> None:
    node = event
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _within_budget(domains: list[Domain], free: set[FieldPath], max_candidates: int) -> tuple[tuple[Domain, ...], frozenset[FieldPath]]:
    """Relax the widest fields until the combinations fit ``max_candidates``."""
    kept = list(domains)
    while kept and _combinations(kept) > max_candidates:
        widest = max(kept, key=lambda domain: len(domain.values))
        kept.remove(widest)
        free.add(widest.path)
    return tuple(kept), frozenset(free)


def _combinations(domains: list[Domain]) -> int:
    count = 1
    for domain in domains:
        count *= len(domain.values)
    return count


def _classify(path: FieldPath, resolver: "_FieldResolver") -> tuple[str, tuple[Any, ...]]:
    """("fixed" | "free" | "absent" | "enumerated", values) for one tested field."""
    head = path[0]
    if head in FIXED_ENVELOPE and len(path) == 1:
        return "fixed", ()
    if head in FREE_ENVELOPE:
        return "free", ()
    if head != "detail" or len(path) == 1:
        return ("free", ()) if head == "detail" else ("absent", ())
    return resolver.classify(path[1:])


class _FieldResolver:
    """Walks a detail JSON Schema along a field path."""

    def __init__(self, json_schema: Mapping[str, Any]) -> None:
        self.root = json_schema
        self.definitions = json_schema.get("$defs", {})

    def classify(self, path: FieldPath) -> tuple[str, tuple[Any, ...]]:
        node: Any = self.root
        optional = False
        for key in path:
            node = self._resolve(node)
            if not isinstance(node, dict):
                return "absent", ()
            if node.get("type") == "array" or "items" in node:
                return "free", ()  # any element of an array may match: not enumerated here
            properties = node.get("properties", {})
            if key in properties:
                optional = optional or key not in node.get("required", [])
                node = properties[key]
            elif isinstance(node.get("additionalProperties"), dict):
                optional, node = True, node["additionalProperties"]
            else:
                return "absent", ()
        node = self._resolve(node)
        absent = (ABSENT,) if optional else ()
        if isinstance(node, dict) and isinstance(node.get("enum"), list):
            return "enumerated", tuple(node["enum"]) + absent
        if isinstance(node, dict) and node.get("type") == "boolean":
            return "enumerated", (True, False) + absent
        return "free", ()

    def _resolve(self, node: Any) -> Any:
        return resolve_ref(node, self.definitions)
