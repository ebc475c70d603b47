"""What an event pattern may say: the limits, the operator names and the parsed form.

Every number EventBridge imposes on a pattern lives at the top of this module, so
the validator, the matcher and the policy checks cannot disagree about a limit.
The parsed form is a small immutable tree: the parser builds it once, the matcher
compiles it into closures, and helpers such as :func:`pattern_fields` walk it,
so nothing downstream ever looks at raw JSON again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

# EventBridge quota "event pattern size", measured on compact JSON.
from cabructl.constants import MAX_PATTERN_CHARS  # noqa: F401 - re-exported; AWS limits live in one module
# AWS documents numeric matching for values in [-5e9, 5e9]; event-ruler rejects
# numeric operands (and anything-but numbers) outside it.
NUMERIC_LIMIT = 5_000_000_000
# Deeper than any real event; bounds recursion so a hostile pattern gets a
# PatternError, not a RecursionError. A 2,048-character pattern can nest ~400 deep.
MAX_NESTING_DEPTH = 100
# event-ruler accepts /0../31 for IPv4 and /0../127 for IPv6 (a single host is
# written without a mask as an exact value).
MAX_CIDR_BITS = {4: 31, 6: 127}
# AWS joins nested field names with dots, in patterns and in events alike: "a.b" names
# the same field as {"a": {"b": ...}} (event-ruler flattens both sides to dotted paths).
FIELD_SEPARATOR = "."
# Wildcard complexity: the most wildcard-pattern prefixes one worst-case value can match
# at once in a field's byte machine (event-ruler's MachineComplexityEvaluator). A rule
# above 10 is refused: event-ruler's README strategy and its test corpus use a per-rule
# maximum of 10, evaluated with a cap of 11 so that "more than 10" is visible, and
# EventBridge refusals reported in public agree (3 "*:stack/NAME/*" wildcards in one
# field, complexity 9, accepted; 4, complexity 12, refused).
MAX_WILDCARD_COMPLEXITY = 10
# A "$or" is compiled into one sub-rule per combination of branches; EventBridge
# refuses a pattern whose combinations pass 1,000.
MAX_OR_COMBINATIONS = 1000
# EventBridge's reason for both refusals (InvalidEventPatternException).
TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences"
    " after a wildcard character"
)

OR_KEY = "$or"

PREFIX = "prefix"
SUFFIX = "suffix"
EQUALS_IGNORE_CASE = "equals-ignore-case"
WILDCARD = "wildcard"
ANYTHING_BUT = "anything-but"
NUMERIC = "numeric"
EXISTS = "exists"
CIDR = "cidr"

OPERATORS = (PREFIX, SUFFIX, EQUALS_IGNORE_CASE, WILDCARD, ANYTHING_BUT, NUMERIC, EXISTS, CIDR)

NUMERIC_EQ = "="
LOWER_BOUNDS = {">": False, ">=": True}  # operator -> bound is inclusive
UPPER_BOUNDS = {"<": False, "<=": True}

# event-ruler refuses these as field names inside "$or" branches, where they would
# be ambiguous with operators (its RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP).
RESERVED_IN_OR = frozenset(
    OPERATORS
    + ("exactly", NUMERIC_EQ, *LOWER_BOUNDS, *UPPER_BOUNDS, "regex", "not-wildcard", "not-equals-ignore-case")
    + ("date-after", "date-on-or-after", "date-before", "date-on-or-before", "in-date-range")
    + ("ip-address-in-range", "ip-address-not-in-range")
)

ExactValue = Union[str, int, float, bool, None]


@dataclass(frozen=True, eq=False)
class Exact:
    """Equal to a JSON value; numbers compare by value, never equal to strings or booleans."""

    value: ExactValue

    def identity(self) -> tuple[type, ExactValue]:
        """Python holds ``True == 1``; two conditions are the same only with the same type."""
        return self.value.__class__, self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Exact) and self.identity() == other.identity()

    def __hash__(self) -> int:
        return hash(self.identity())


@dataclass(frozen=True)
class Prefix:
    text: str
    ignore_case: bool = False


@dataclass(frozen=True)
class Suffix:
    text: str
    ignore_case: bool = False


@dataclass(frozen=True)
class EqualsIgnoreCase:
    text: str


@dataclass(frozen=True)
class Wildcard:
    """The literal pieces between unescaped ``*``; escapes are already resolved."""

    source: str
    pieces: tuple[str, ...]


@dataclass(frozen=True)
class Numeric:
    """A range over JSON numbers; ``None`` means unbounded on that side."""

    lower: float | int | None = None
    lower_inclusive: bool = False
    upper: float | int | None = None
    upper_inclusive: bool = False


@dataclass(frozen=True)
class Exists:
    present: bool


@dataclass(frozen=True)
class Cidr:
    """Addresses from ``low`` to ``high`` of one IP version, as event-ruler computes them."""

    source: str
    version: int
    low: int
    high: int


@dataclass(frozen=True)
class AnythingBut:
    """A present leaf value that none of ``excluded`` matches."""

    excluded: tuple["Condition", ...]


Condition = Union[Exact, Prefix, Suffix, EqualsIgnoreCase, Wildcard, Numeric, Exists, Cidr, AnythingBut]


@dataclass(frozen=True)
class Leaf:
    """An array in the pattern: the event value matches if any condition does."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class ObjectNode:
    """An object in the pattern: every field matches, and one branch of ``any_of`` if given."""

    fields: tuple[tuple[str, Union[Leaf, "ObjectNode"]], ...]
    any_of: tuple["ObjectNode", ...] = ()


Node = Union[Leaf, ObjectNode]
