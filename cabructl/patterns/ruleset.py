"""Many rules at once: which rules does an event fire?

Trying every rule on every event costs rules × events; a bus of 300 rules makes
that the bottleneck of ``cabructl test-event``, ``routes`` and the local endpoint.
Nearly every EventBridge rule pins ``source`` and ``detail-type`` to a few exact
strings, so rules are filed under those values (an *anchor*) and an event only
looks up its own values: a dict access finds the handful of candidate rules, and
each candidate then checks what its anchor did not already decide (its
*residual*). Rules without an exact-string field at the top level are tried on
every event, exactly as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import product
from typing import Callable, Iterable, Iterator

from cabructl.patterns.api import CompiledPattern, compile_pattern
from cabructl.patterns.errors import PatternError
from cabructl.patterns.grammar import Exact, Leaf, ObjectNode
from cabructl.patterns.matcher import compile_fields, iter_leaf_values

# Fields tried first as anchors: the two every EventBridge event carries.
PREFERRED_ANCHORS = ("source", "detail-type")
# At most this many fields form an anchor, and at most this many anchor keys per
# rule (the product of their value counts), so a rule listing many sources does
# not flood the index.
MAX_ANCHOR_FIELDS = 2
MAX_ANCHOR_KEYS = 256

AnchorKey = tuple[str, ...]


@dataclass(frozen=True)
class IndexedRule:
    """A rule as the index holds it: its position, name and what is left to test."""

    position: int
    name: str
    residual: Callable[[Mapping], bool] | None  # None: the anchor decided everything


class AnchorGroup:
    """The rules anchored on one tuple of fields, keyed by their values."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.fields = fields
        self.table: dict[AnchorKey, list[IndexedRule]] = {}

    def add(self, keys: Iterable[AnchorKey], rule: IndexedRule) -> None:
        for key in keys:
            self.table.setdefault(key, []).append(rule)

    def candidates(self, event: Mapping) -> list[IndexedRule]:
        """Rules filed under the event's values; the usual scalar strings cost one look-up."""
        key = []
        for field in self.fields:
            value = event.get(field)
            if value.__class__ is not str:
                return self.candidates_from_arrays(event)
            key.append(value)
        return self.table.get(tuple(key), [])

    def candidates_from_arrays(self, event: Mapping) -> list[IndexedRule]:
        """A key per combination of values; a rule filed under several keys repeats."""
        choices = [string_values(event.get(field)) for field in self.fields]
        found: list[IndexedRule] = []
        for key in product(*choices):
            found.extend(self.table.get(key, ()))
        return found


def string_values(value: object) -> list[str]:
    """The strings an exact-string leaf could match in ``value`` (deduplicated)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(dict.fromkeys(v for v in iter_leaf_values(value) if isinstance(v, str)))
    return []


def exact_strings(node: object) -> tuple[str, ...] | None:
    """The values of a leaf made only of exact strings, or None if it is anything else."""
    if not isinstance(node, Leaf):
        return None
    values = []
    for condition in node.conditions:
        if not (isinstance(condition, Exact) and isinstance(condition.value, str)):
            return None
        values.append(condition.value)
    return tuple(dict.fromkeys(values))


def choose_anchor(tree: ObjectNode) -> dict[str, tuple[str, ...]]:
    """Up to two top-level exact-string fields, ``source`` and ``detail-type`` first."""
    candidates = {key: values for key, child in tree.fields if (values := exact_strings(child))}
    ordered = [key for key in PREFERRED_ANCHORS if key in candidates]
    ordered += [key for key in candidates if key not in ordered]
    anchor: dict[str, tuple[str, ...]] = {}
    keys = 1
    for key in ordered[:MAX_ANCHOR_FIELDS]:
        if keys * len(candidates[key]) > MAX_ANCHOR_KEYS:
            break
        anchor[key] = candidates[key]
        keys *= len(candidates[key])
    return anchor


def residual_of(tree: ObjectNode, anchor: Mapping[str, object]) -> Callable[[Mapping], bool] | None:
    """The test of what the anchor leaves undecided, None when nothing is left."""
    rest = replace(tree, fields=tuple((key, child) for key, child in tree.fields if key not in anchor))
    if not rest.fields and not rest.any_of:
        return None
    return compile_fields(rest)


class RuleSet:
    """Compiled rules indexed by anchor; ``matching`` names the rules an event fires."""

    def __init__(self, patterns: Mapping[str, CompiledPattern]) -> None:
        self.patterns = dict(patterns)
        self.names = list(self.patterns)
        self.groups: list[AnchorGroup] = []
        self.unanchored: list[tuple[int, CompiledPattern]] = []
        groups: dict[tuple[str, ...], AnchorGroup] = {}
        for position, (name, compiled) in enumerate(self.patterns.items()):
            anchor = choose_anchor(compiled.tree)
            if not anchor:
                self.unanchored.append((position, compiled))
                continue
            fields = tuple(anchor)
            if fields not in groups:
                groups[fields] = AnchorGroup(fields)
            group = groups[fields]
            rule = IndexedRule(position, name, residual_of(compiled.tree, anchor))
            group.add(product(*anchor.values()), rule)
        self.groups = list(groups.values())

    def __len__(self) -> int:
        return len(self.names)

    def matching(self, event: object) -> list[str]:
        """Names of the rules ``event`` fires, in the order the rules were given."""
        if not isinstance(event, Mapping):
            return []
        positions = list(self.fired_positions(event))
        if len(positions) > 1:  # groups interleave, and array values can repeat a rule
            positions = sorted(set(positions))
        names = self.names
        return [names[position] for position in positions]

    def fired_positions(self, event: Mapping) -> Iterator[int]:
        for group in self.groups:
            for rule in group.candidates(event):
                if rule.residual is None or rule.residual(event):
                    yield rule.position
        for position, compiled in self.unanchored:
            if compiled.matches(event):
                yield position


def compile_rules(rules: Mapping[str, dict | str | bytes]) -> RuleSet:
    """Compile every rule's pattern; a bad one raises its :class:`PatternError`, naming the rule."""
    compiled: dict[str, CompiledPattern] = {}
    for name, pattern in rules.items():
        try:
            compiled[name] = compile_pattern(pattern)
        except PatternError as error:
            raise error.for_rule(name) from None
    return RuleSet(compiled)
