"""Many rules at once: which rules does an event fire?

Trying every rule on every event costs rules × events; a bus of 300 rules makes
that the bottleneck of ``cabructl test-event``, ``routes`` and the local endpoint.
Nearly every EventBridge rule pins some fields to a few exact strings (``source``
and ``detail-type`` above all), so the rules are sorted into a small decision
tree: each level looks up one such field of the event in a dict and descends only
into the branch of the value found, plus the branch of rules that do not pin that
field. An event therefore meets only the handful of rules that can still match,
and each of those then runs its compiled *residual*: the pattern minus the
top-level fields the tree has already decided.

Nested fields (``detail.status``) are used to narrow the candidates too, but are
never dropped from the residual: through arrays of objects, a value found under a
path says nothing about *which* element it came from. A field is filed under its
flattened path whatever its spelling in the pattern (``{"detail.status": ...}`` or
nested), and dotted event keys are folded in once per event before the tree is
consulted, so the index and each rule see the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import product
from typing import Callable, Iterable, Iterator

from cabructl.patterns.api import CompiledPattern, compile_pattern
from cabructl.patterns.dotted import MISSING, dotted_key_folder, fold_level, merge_paths, object_paths, values_at
from cabructl.patterns.errors import PatternError
from cabructl.patterns.grammar import FIELD_SEPARATOR, Exact, Leaf, ObjectNode
from cabructl.patterns.matcher import compile_fields, iter_leaf_values

# Fields the tree splits on first when rules pin them: every EventBridge event has them.
PREFERRED_FIELDS = (("source",), ("detail-type",))
# Levels of the tree; each costs one dict look-up per event.
MAX_TREE_DEPTH = 4
# A lone rule is cheaper to test than to split on.
MIN_RULES_TO_SPLIT = 2
# A rule listing more values than this for a field is not filed under each of them
# (it waits in the branch of rules that do not pin the field).
MAX_VALUES_PER_SPLIT = 32

FieldPath = tuple[str, ...]
Residual = Callable[[Mapping], bool]


@dataclass(frozen=True)
class Check:
    """What is left to test for some rules at a leaf, and the rules it fires.

    Rules whose residuals are the same pattern share one check, so a filter that
    many rules repeat (one per target, say) is tested once per event.
    """

    residual: Residual | None  # None: the tree decided everything
    positions: tuple[int, ...]


@dataclass(frozen=True)
class PendingRule:
    """A rule while the tree is being built: the pinned fields not yet used for a split."""

    position: int
    tree: ObjectNode
    pinned: Mapping[FieldPath, tuple[str, ...]]
    decided: frozenset[str] = frozenset()  # top-level fields a split has settled

    def after_split(self, paths: tuple[FieldPath, ...]) -> "PendingRule":
        pinned = {key: values for key, values in self.pinned.items() if key not in paths}
        decided = self.decided | {path[0] for path in paths if len(path) == 1}
        return replace(self, pinned=pinned, decided=decided)


class TreeNode:
    """Either a split on one or two fields (``paths``) or a leaf holding the checks of rules.

    A split on two fields at once (source and detail-type, typically) costs one
    dict look-up instead of two levels; its keys are tuples of values.
    """

    __slots__ = ("paths", "keys", "branches", "unpinned", "checks")

    def __init__(self) -> None:
        self.paths: tuple[FieldPath, ...] = ()
        self.keys: KeyFunction = no_keys
        self.branches: dict[object, TreeNode] = {}
        self.unpinned: TreeNode | None = None
        self.checks: list[Check] = []

    def split_on(self, paths: tuple[FieldPath, ...]) -> None:
        self.paths = paths
        self.keys = key_function(paths)

    def collect(self, event: Mapping, found: list[Check]) -> None:
        """Add the checks of the rules that can still match ``event`` below this node."""
        if not self.paths:
            found.extend(self.checks)
            return
        branches = self.branches
        for key in self.keys(event):
            branch = branches.get(key)
            if branch is not None:
                branch.collect(event, found)
        if self.unpinned is not None:
            self.unpinned.collect(event, found)


KeyFunction = Callable[[Mapping], Iterable[object]]


def no_keys(event: Mapping) -> Iterable[object]:
    return ()


def key_function(paths: tuple[FieldPath, ...]) -> KeyFunction:
    """The branch keys of an event, specialised so the usual case is two dict reads."""
    if len(paths) == 1:
        return values_function(paths[0])
    first, second = values_function(paths[0]), values_function(paths[1])
    if len(paths[0]) == len(paths[1]) == 1:
        first_key, second_key = paths[0][0], paths[1][0]

        def top_level_pair(event: Mapping) -> Iterable[object]:
            a, b = event.get(first_key), event.get(second_key)
            if a.__class__ is str and b.__class__ is str:
                return ((a, b),)
            return product(first(event), second(event))

        return top_level_pair
    return lambda event: product(first(event), second(event))


def values_function(path: FieldPath) -> KeyFunction:
    if len(path) > 1:
        return lambda event: strings_at(event, path)
    key = path[0]

    def top_level(event: Mapping) -> Iterable[object]:
        value = event.get(key)
        return (value,) if value.__class__ is str else leaf_strings(value)

    return top_level


def strings_at(event: Mapping, path: FieldPath) -> Iterable[str]:
    """The strings an exact-string leaf at ``path`` could match in ``event``.

    The usual case (objects all the way, a string at the end) costs a dict access
    per step; arrays on the way collect strings from every element, a superset of
    what the element-wise matcher may use, which is what a filter needs. Dotted
    event keys are already folded in (:meth:`RuleSet.matching`).
    """
    value: object = event
    for depth, key in enumerate(path):
        if value.__class__ is dict:
            value = value.get(key, MISSING)  # type: ignore[attr-defined]
        else:
            return strings_through_arrays(value, path[depth:])
    if value.__class__ is str:
        return (value,)  # type: ignore[return-value]
    return leaf_strings(value)


def strings_through_arrays(value: object, path: FieldPath) -> list[str]:
    return list(dict.fromkeys(text for item in values_at(value, path) for text in leaf_strings(item)))


def leaf_strings(value: object) -> list[str]:
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


def pinned_fields(node: ObjectNode, prefix: FieldPath = ()) -> Iterator[tuple[FieldPath, tuple[str, ...]]]:
    """Fields every match requires to be one of a few exact strings (``$or`` branches excluded)."""
    for key, child in node.fields:
        path = prefix + (key,)
        if isinstance(child, ObjectNode):
            yield from pinned_fields(child, path)
        else:
            values = exact_strings(child)
            if values and len(values) <= MAX_VALUES_PER_SPLIT:
                yield path, values


def split_priority(path: FieldPath, rules_pinning: int) -> tuple[int, int, int]:
    """More rules pinned first; then source/detail-type; then top-level over nested."""
    preferred = PREFERRED_FIELDS.index(path) if path in PREFERRED_FIELDS else len(PREFERRED_FIELDS)
    return rules_pinning, -preferred, -len(path)


def choose_split(rules: list[PendingRule]) -> tuple[FieldPath, ...]:
    """The field pinned by most rules, joined by a second one that all of them pin too."""
    if len(rules) < MIN_RULES_TO_SPLIT:
        return ()
    counts: dict[FieldPath, int] = {}
    for rule in rules:
        for path in rule.pinned:
            counts[path] = counts.get(path, 0) + 1
    if not counts:
        return ()
    first = max(counts, key=lambda path: split_priority(path, counts[path]))
    pinning = [rule for rule in rules if first in rule.pinned]
    companions = [
        path for path in counts
        if path != first and all(path in rule.pinned for rule in pinning) and fits_compound(pinning, first, path)
    ]
    if not companions:
        return (first,)
    return (first, max(companions, key=lambda path: split_priority(path, counts[path])))


def fits_compound(rules: list[PendingRule], first: FieldPath, second: FieldPath) -> bool:
    return all(len(rule.pinned[first]) * len(rule.pinned[second]) <= MAX_VALUES_PER_SPLIT for rule in rules)


def split_keys(rule: PendingRule, paths: tuple[FieldPath, ...]) -> Iterable[object]:
    if len(paths) == 1:
        return rule.pinned[paths[0]]
    return product(*(rule.pinned[path] for path in paths))


class TreeBuilder:
    """Builds the decision tree; compiles each distinct residual once."""

    def __init__(self) -> None:
        self.compiled: dict[ObjectNode, Residual | None] = {}

    def build(self, rules: list[PendingRule], depth: int = 0) -> TreeNode:
        node = TreeNode()
        paths = choose_split(rules) if depth < MAX_TREE_DEPTH else ()
        if not paths:
            node.checks = self.checks(rules)
            return node
        by_key: dict[object, list[PendingRule]] = {}
        unpinned = []
        for rule in rules:
            if paths[0] not in rule.pinned:
                unpinned.append(rule)
                continue
            narrowed = rule.after_split(paths)
            for key in split_keys(rule, paths):
                by_key.setdefault(key, []).append(narrowed)
        node.split_on(paths)
        node.branches = {key: self.build(group, depth + 1) for key, group in by_key.items()}
        node.unpinned = self.build(unpinned, depth + 1) if unpinned else None
        return node

    def checks(self, rules: list[PendingRule]) -> list[Check]:
        """One check per distinct residual, in rule order."""
        grouped: dict[ObjectNode, list[int]] = {}
        for rule in rules:
            grouped.setdefault(residual_tree(rule.tree, rule.decided), []).append(rule.position)
        return [Check(self.compile(tree), tuple(positions)) for tree, positions in grouped.items()]

    def compile(self, tree: ObjectNode) -> Residual | None:
        if tree not in self.compiled:
            self.compiled[tree] = compile_fields(tree) if tree.fields or tree.any_of else None
        return self.compiled[tree]


def residual_tree(tree: ObjectNode, decided: frozenset[str]) -> ObjectNode:
    """The pattern minus the top-level leaves the tree has settled (an object at a settled
    key, as ``source.x`` beside ``source``, is another path and stays)."""
    return replace(
        tree, fields=tuple((key, child) for key, child in tree.fields if key not in decided or not isinstance(child, Leaf))
    )


class RuleSet:
    """Compiled rules in a decision tree; ``matching`` names the rules an event fires."""

    def __init__(self, patterns: Mapping[str, CompiledPattern]) -> None:
        self.patterns = dict(patterns)
        self.names = list(self.patterns)
        pending = [
            PendingRule(position, compiled.tree, dict(pinned_fields(compiled.tree)))
            for position, compiled in enumerate(self.patterns.values())
        ]
        self.root = TreeBuilder().build(pending)
        # Where any rule looks into an object: dotted event keys are folded in there, once per event.
        # Rules that only look into top-level objects (the usual "detail") need one check of the
        # top-level keys, made inline in `matching`; deeper ones go through the general folder.
        paths: dict = {}
        for compiled in self.patterns.values():
            merge_paths(paths, object_paths(compiled.tree))
        self.top_level_paths = paths if paths and not any(paths.values()) else None
        self.fold = dotted_key_folder(paths) if paths and self.top_level_paths is None else None

    def __len__(self) -> int:
        return len(self.names)

    def matching(self, event: object) -> list[str]:
        """Names of the rules ``event`` fires, in the order the rules were given."""
        if event.__class__ is not dict and not isinstance(event, Mapping):
            return []
        if self.top_level_paths is not None:
            try:
                dotted = FIELD_SEPARATOR in "".join(event)  # type: ignore[arg-type]
            except TypeError:  # a key that is no string: let the folder sort it out
                dotted = True
            if dotted:
                event = fold_level(event, self.top_level_paths)  # type: ignore[arg-type]
        elif self.fold is not None:
            event = self.fold(event)  # type: ignore[arg-type]
        checks: list[Check] = []
        self.root.collect(event, checks)  # type: ignore[arg-type]
        positions: list[int] = []
        for check in checks:
            if check.residual is None or check.residual(event):  # type: ignore[arg-type]
                positions.extend(check.positions)
        if len(positions) > 1:  # branches interleave, and array values can reach a rule twice
            positions = sorted(set(positions))
        names = self.names
        return [names[position] for position in positions]


def compile_rules(rules: Mapping[str, dict | str | bytes]) -> RuleSet:
    """Compile every rule's pattern; a bad one raises its :class:`PatternError`, naming the rule."""
    compiled: dict[str, CompiledPattern] = {}
    for name, pattern in rules.items():
        try:
            compiled[name] = compile_pattern(pattern)
        except PatternError as error:
            raise error.for_rule(name) from None
    return RuleSet(compiled)
