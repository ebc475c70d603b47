"""Compiling the parsed tree into closures that test events.

All the thinking happens once, at compile time: conditions are sorted by the JSON
type they can match, exact values become set look-ups, wildcards become linear
glob matchers, and whether a node matches an *absent* value is worked out in
advance. Testing an event is then a type look-up and a few calls per field.

The semantics, from the EventBridge docs and event-ruler:

- a leaf matches a present *leaf value* (string, number, true, false, null); an
  object or an array without scalars is no leaf value, so it behaves as absent;
- an array in the event matches if any of its elements does (nested arrays are
  flattened), and a nested pattern object is tested element by element, so two
  fields are never satisfied by two different elements of one array;
- ``exists: false`` and patterns made only of it are what match an absent value;
  ``anything-but`` never does;
- a dotted event key names the nested field it spells (``{"detail.state": 1}`` is
  ``detail.state``), as AWS flattens events to dotted paths; such keys are folded
  into the objects the pattern looks into before matching;
- numbers match numbers by value and nothing else; string operators match strings.
  Event numbers compare as they are, at any magnitude: the documented limit of
  ±5e9 applies to the numbers written in patterns, where the parser enforces it.

Matching never raises: an event we cannot read is an event no pattern matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable, Iterator

from cabructl.patterns.addresses import parse_ip
from cabructl.patterns.dotted import MISSING, dotted_key_folder, object_paths
from cabructl.patterns.grammar import (
    AnythingBut,
    Cidr,
    Condition,
    EqualsIgnoreCase,
    Exact,
    Exists,
    Leaf,
    Node,
    Numeric,
    ObjectNode,
    Prefix,
    Suffix,
    Wildcard,
)

Test = Callable[[object], bool]


NUMBER_TYPES = (int, float)
LITERAL_TYPES = (bool, type(None))


def never(value: object) -> bool:
    return False


def always(value: object) -> bool:
    return True


def any_of(tests: list[Test]) -> Test:
    """One test that passes when any of ``tests`` does, with no loop for the usual one."""
    if not tests:
        return never
    if len(tests) == 1:
        return tests[0]
    frozen = tuple(tests)
    return lambda value: any(test(value) for test in frozen)


# --- conditions on one scalar of a known type -------------------------------------


def string_test(condition: Condition) -> Test | None:
    """The test a string must pass for ``condition``, or None if strings never match it."""
    if isinstance(condition, Prefix):
        return affix_test(condition.text, condition.ignore_case, str.startswith)
    if isinstance(condition, Suffix):
        return affix_test(condition.text, condition.ignore_case, str.endswith)
    if isinstance(condition, EqualsIgnoreCase):
        folded = condition.text.lower()
        return lambda value: value.lower() == folded
    if isinstance(condition, Wildcard):
        return wildcard_test(condition.pieces)
    if isinstance(condition, Cidr):
        return cidr_test(condition)
    return None


def affix_test(text: str, ignore_case: bool, method: Callable[[str, str], bool]) -> Test:
    if not ignore_case:
        return lambda value: method(value, text)
    folded = text.lower()
    return lambda value: method(value.lower(), folded)


def wildcard_test(pieces: tuple[str, ...]) -> Test:
    """Glob with ``*`` only, in linear time: a regex would backtrack polynomially on
    hostile input such as ``*a*a*a*a*b``; greedy leftmost search cannot go wrong
    because each ``*`` may absorb whatever the next piece skipped.
    """
    if len(pieces) == 1:
        return lambda value: value == pieces[0]
    head, middle, tail = pieces[0], pieces[1:-1], pieces[-1]
    shortest = sum(map(len, pieces))

    def match(value: str) -> bool:  # type: ignore[override]
        if len(value) < shortest or not value.startswith(head) or not value.endswith(tail):
            return False
        position, end = len(head), len(value) - len(tail)
        for piece in middle:
            found = value.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    return match  # type: ignore[return-value]


def cidr_test(condition: Cidr) -> Test:
    def in_range(value: object) -> bool:
        address = parse_ip(value)  # type: ignore[arg-type]
        return (
            address is not None
            and address[0] == condition.version
            and condition.low <= address[1] <= condition.high
        )

    return in_range


def number_test(condition: Condition) -> Test | None:
    if isinstance(condition, Numeric):
        return range_test(condition)
    return None


def range_test(condition: Numeric) -> Test:
    lower, upper = condition.lower, condition.upper
    above = (lambda v: v >= lower) if condition.lower_inclusive else (lambda v: v > lower)  # type: ignore[operator]
    below = (lambda v: v <= upper) if condition.upper_inclusive else (lambda v: v < upper)  # type: ignore[operator]
    if lower is None:
        return below
    if upper is None:
        return above
    return lambda value: above(value) and below(value)


# --- a leaf: the conditions of one array in the pattern ---------------------------


class ScalarTests:
    """The conditions of a leaf, sorted by the JSON type of value they can match."""

    def __init__(self, conditions: tuple[Condition, ...]) -> None:
        strings: set[str] = set()
        numbers: set[int | float] = set()
        literals: list[object] = []
        by_string: list[Test] = []
        by_number: list[Test] = []
        by_any: list[Test] = []
        self.matches_absent = False
        for condition in conditions:
            if isinstance(condition, Exact):
                value = condition.value
                if isinstance(value, str):
                    strings.add(value)
                elif isinstance(value, LITERAL_TYPES):
                    literals.append(value)
                else:
                    numbers.add(value)
            elif isinstance(condition, Exists):
                if condition.present:
                    by_any.append(always)
                else:
                    self.matches_absent = True
            elif isinstance(condition, AnythingBut):
                by_any.append(negation(condition))
            else:
                string_check = string_test(condition)
                number_check = number_test(condition)
                if string_check:
                    by_string.append(string_check)
                if number_check:
                    by_number.append(number_check)
        if strings:
            by_string.insert(0, strings.__contains__)
        if numbers:
            by_number.insert(0, numbers.__contains__)
        literal_check = literal_test(literals)
        self.on_string = any_of(by_string + by_any)
        self.on_number = any_of(by_number + by_any)
        self.on_literal = any_of(([literal_check] if literal_check else []) + by_any)
        self.on_other = any_of(by_any)
        self.by_type: dict[type, Test] = {
            str: self.on_string,
            int: self.on_number,
            float: self.on_number,
            bool: self.on_literal,
            type(None): self.on_literal,
        }

    def test(self, value: object) -> bool:
        """Whether one present leaf value (never a list or object) matches."""
        check = self.by_type.get(value.__class__)
        if check is None:
            check = self.for_unusual_type(value)
        return check(value)

    def for_unusual_type(self, value: object) -> Test:
        """Subclasses (a ``str`` enum, ``OrderedDict``) are tested as their JSON type."""
        if isinstance(value, str):
            return self.on_string
        if isinstance(value, bool) or value is None:
            return self.on_literal
        if isinstance(value, NUMBER_TYPES):
            return self.on_number
        return self.on_other


def literal_test(literals: list[object]) -> Test | None:
    """true/false/null by identity: ``True == 1`` must not let ``[1]`` match ``true``."""
    if not literals:
        return None
    wanted = tuple(literals)
    return lambda value: any(value is literal for literal in wanted)


def negation(condition: AnythingBut) -> Test:
    """anything-but: a present leaf value that no excluded condition matches."""
    excluded = ScalarTests(condition.excluded)
    return lambda value: not excluded.test(value)


def iter_elements(values: list | tuple) -> Iterator[object]:
    """The elements of an event array, nested arrays flattened (objects kept).

    Iterative and cycle-safe, so no event, however deep or self-referencing, can
    make matching raise.
    """
    stack = [iter(values)]
    seen = {id(values)}
    while stack:
        for item in stack[-1]:
            if isinstance(item, (list, tuple)):
                if id(item) not in seen:
                    seen.add(id(item))
                    stack.append(iter(item))
                    break
            else:
                yield item
        else:
            stack.pop()


def iter_leaf_values(values: list | tuple) -> Iterator[object]:
    """The scalars of an event array: what a leaf of the pattern can match."""
    return (item for item in iter_elements(values) if not isinstance(item, Mapping))


def compile_leaf(leaf: Leaf) -> Test:
    """The test of one field's value (``MISSING`` when the event lacks the field)."""
    tests = ScalarTests(leaf.conditions)
    by_type = tests.by_type
    absent = tests.matches_absent
    scalar = tests.test

    def in_array(values: list | tuple) -> bool:
        saw_leaf = False
        for value in iter_leaf_values(values):
            if scalar(value):
                return True
            saw_leaf = True
        return absent and not saw_leaf

    def match(value: object) -> bool:
        check = by_type.get(value.__class__)
        if check is not None:
            return check(value)
        if value is MISSING or isinstance(value, Mapping):
            return absent
        if isinstance(value, (list, tuple)):
            return in_array(value)
        return scalar(value)

    return match


# --- objects: fields ANDed, $or branches, arrays of objects -----------------------


def matches_absent(node: Node) -> bool:
    """Whether ``node`` matches where the event has nothing (decided at compile time)."""
    if isinstance(node, Leaf):
        return any(isinstance(c, Exists) and not c.present for c in node.conditions)
    fields_ok = all(matches_absent(child) for _, child in node.fields)
    return fields_ok and (not node.any_of or any(matches_absent(branch) for branch in node.any_of))


def compile_node(node: Node) -> Test:
    return compile_leaf(node) if isinstance(node, Leaf) else compile_object(node)


def compile_fields(node: ObjectNode) -> Callable[[Mapping], bool]:
    """The test of one event object against every field and ``$or`` of ``node``.

    Fields are read with ``dict.get``: dotted event keys are folded in before
    (:func:`compile_event_test`), and a pattern segment never holds a dot.
    """
    checks = tuple((key, compile_node(child)) for key, child in node.fields)
    branches = tuple(compile_fields(branch) for branch in node.any_of)
    if len(checks) == 1 and not branches:  # the common nested case, one call less
        ((key, check),) = checks
        return lambda document: check(document.get(key, MISSING))

    def all_fields(document: Mapping) -> bool:
        for key, check in checks:
            if not check(document.get(key, MISSING)):
                return False
        return True

    if not branches:
        return all_fields
    return lambda document: all_fields(document) and any(branch(document) for branch in branches)


def compile_object(node: ObjectNode) -> Test:
    """The test of an event value against a nested pattern object."""
    fields = compile_fields(node)
    absent = matches_absent(node)

    def any_element(values: list | tuple) -> bool:
        empty = True
        for element in iter_elements(values):
            empty = False
            matched = fields(element) if isinstance(element, Mapping) else absent
            if matched:
                return True
        return absent and empty

    def match(value: object) -> bool:
        if value.__class__ is dict or isinstance(value, Mapping):
            return fields(value)  # type: ignore[arg-type]
        if isinstance(value, (list, tuple)):
            return any_element(value)
        return absent

    return match


def compile_event_test(tree: ObjectNode) -> Callable[[object], bool]:
    """The whole pattern: an event is a JSON object, anything else matches nothing.

    Dotted event keys (``{"detail.state": ...}``) are folded into the objects
    the pattern looks into before testing, as AWS flattens both sides to dotted
    paths; an event without them is tested as it is.
    """
    fields = compile_fields(tree)
    paths = object_paths(tree)
    if not paths:
        return lambda event: (event.__class__ is dict or isinstance(event, Mapping)) and fields(event)  # type: ignore
    fold = dotted_key_folder(paths)

    def matches(event: object) -> bool:
        if event.__class__ is not dict and not isinstance(event, Mapping):
            return False
        return fields(fold(event))  # type: ignore[arg-type]

    return matches
