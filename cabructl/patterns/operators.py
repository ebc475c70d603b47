"""Reading the operator objects of a pattern (``{"prefix": ...}``, ``{"numeric": [...]}``...).

Each reader takes the operator's argument and the path of the operator key, and
returns the condition it means or None after reporting why it cannot be read. The
wording follows event-ruler (the engine behind EventBridge) so that our messages
read like the ones ``PutRule`` returns.
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Protocol

from cabructl.patterns.addresses import IP_WIDTH, parse_ip
from cabructl.patterns.errors import quoted
from cabructl.patterns.grammar import (
    ANYTHING_BUT,
    CIDR,
    EQUALS_IGNORE_CASE,
    EXISTS,
    LOWER_BOUNDS,
    MAX_CIDR_BITS,
    NUMERIC,
    NUMERIC_EQ,
    NUMERIC_LIMIT,
    PREFIX,
    SUFFIX,
    UPPER_BOUNDS,
    WILDCARD,
    AnythingBut,
    Cidr,
    Condition,
    EqualsIgnoreCase,
    Exact,
    Exists,
    Numeric,
    Prefix,
    Suffix,
    Wildcard,
)

Path = tuple[object, ...]


class Report(Protocol):
    """Where readers send problems: a reason, the path in the pattern, maybe a hint."""

    def __call__(self, reason: str, path: Path, hint: str | None = None) -> None: ...



Reader = Callable[[object, Path, Report], Optional[Condition]]

WILDCARD_CHAR = "*"
ESCAPE_CHAR = "\\"


def is_number(value: object) -> bool:
    """A JSON number: Python's bool is an int, but ``true`` is no number."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: object) -> bool:
    """A number JSON can carry: NaN and infinities have no JSON spelling."""
    return is_number(value) and (isinstance(value, int) or math.isfinite(value))


def within_numeric_limit(value: int | float) -> bool:
    return -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT


def scientific(value: float) -> str:
    """``5.0E9`` as event-ruler (Java) prints it, not Python's ``5.0E+09``."""
    mantissa, exponent = f"{value:.1E}".split("E")
    return f"{mantissa}E{int(exponent)}"


def numeric_limit_reason() -> str:
    return f"Value must be between {scientific(-NUMERIC_LIMIT)} and {scientific(NUMERIC_LIMIT)}, inclusive"


def must_be_string(name: str) -> str:
    return f"{name} match pattern must be a string"


def read_operator(spec: dict, path: Path, report: Report) -> Condition | None:
    """The condition of one operator object, which must hold exactly one known key."""
    if len(spec) != 1:
        report("Match expression name not found" if not spec else "Only one key allowed in match expression", path)
        return None
    ((name, argument),) = spec.items()
    reader = READERS.get(name) if isinstance(name, str) else None
    if reader is None:
        report(f"Unrecognized match type {quoted(name)}", path + (name,), operator_hint(name))
        return None
    return reader(argument, path + (name,), report)


def operator_hint(name: object) -> str | None:
    """``Prefix`` and ``anythingBut`` are the usual slips: name the operator meant."""
    if not isinstance(name, str):
        return None
    import difflib

    folded = {operator.replace("-", ""): operator for operator in READERS}
    close = difflib.get_close_matches(name.lower().replace("-", ""), list(folded), n=1, cutoff=0.6)
    return f'did you mean "{folded[close[0]]}"?' if close else None


def read_affix(kind: type, name: str) -> Reader:
    """Reader for ``prefix``/``suffix``: a string, or ``{"equals-ignore-case": string}``."""

    def read(argument: object, path: Path, report: Report) -> Condition | None:
        if isinstance(argument, str):
            return kind(argument)
        if isinstance(argument, dict) and list(argument) == [EQUALS_IGNORE_CASE]:
            text = argument[EQUALS_IGNORE_CASE]
            if isinstance(text, str):
                return kind(text, ignore_case=True)
            report(must_be_string(EQUALS_IGNORE_CASE), path + (EQUALS_IGNORE_CASE,))
            return None
        if isinstance(argument, dict):
            report(f"Unsupported {name} pattern: {', '.join(map(quoted, argument)) or '{}'}", path)
            return None
        report(must_be_string(name), path)
        return None

    return read


def read_equals_ignore_case(argument: object, path: Path, report: Report) -> Condition | None:
    if isinstance(argument, str):
        return EqualsIgnoreCase(argument)
    report(must_be_string(EQUALS_IGNORE_CASE), path)
    return None


def read_wildcard(argument: object, path: Path, report: Report) -> Condition | None:
    if not isinstance(argument, str):
        report(must_be_string(WILDCARD), path)
        return None
    return parse_wildcard(argument, path, report)


def parse_wildcard(text: str, path: Path, report: Report) -> Wildcard | None:
    """Split on unescaped ``*``; ``\\*`` and ``\\\\`` are the only escapes, ``**`` is refused.

    Refusing ``**`` is event-ruler's rule: it keeps the matcher's state count linear.
    """
    pieces: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == ESCAPE_CHAR:
            following = text[index + 1 : index + 2]
            if following not in (WILDCARD_CHAR, ESCAPE_CHAR):
                report(f"Invalid escape character at pos {index}", path)
                return None
            current.append(following)
            index += 2
            continue
        if char == WILDCARD_CHAR:
            if text[index + 1 : index + 2] == WILDCARD_CHAR:
                report(f"Consecutive wildcard characters at pos {index + 1}", path)
                return None
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    pieces.append("".join(current))
    return Wildcard(text, tuple(pieces))


def read_exists(argument: object, path: Path, report: Report) -> Condition | None:
    if isinstance(argument, bool):
        return Exists(argument)
    report(f"{EXISTS} match pattern must be either true or false.", path)
    return None


def read_cidr(argument: object, path: Path, report: Report) -> Condition | None:
    """``address/bits``; like event-ruler, the range runs from the address given to its last host."""
    if not isinstance(argument, str):
        report(must_be_string(CIDR), path)
        return None
    if argument.count("/") != 1:
        report("Malformed CIDR, one '/' required", path)
        return None
    address_text, bits_text = argument.split("/")
    if not (bits_text.isascii() and bits_text.isdigit()) or len(bits_text) > 3:
        report("Malformed CIDR, mask bits must be an integer", path)
        return None
    address = parse_ip(address_text)
    if address is None:
        report(f"Invalid IP address: {quoted(address_text)}", path)
        return None
    version, low = address
    bits = int(bits_text)
    if bits > MAX_CIDR_BITS[version]:
        report(f"IPv{version} mask bits must be < {MAX_CIDR_BITS[version] + 1}", path)
        return None
    host_mask = (1 << (IP_WIDTH[version] - bits)) - 1
    return Cidr(argument, version, low, low | host_mask)


def read_numeric(argument: object, path: Path, report: Report) -> Condition | None:
    """``["=", n]``, ``[op, n]`` or ``[">"|">=", low, "<"|"<=", high]`` with low < high."""
    if not isinstance(argument, list):
        report(f"Value of {NUMERIC} must be an array.", path)
        return None
    problem = numeric_range_problem(argument)
    if problem:
        report(problem, path)
        return None
    return numeric_condition(argument)


def numeric_range_problem(terms: list) -> str | None:
    """Why ``terms`` is not a numeric range, or None when it is one."""
    if not terms or not isinstance(terms[0], str):
        return f"Invalid member in numeric match: {quoted(terms[0]) if terms else ']'}"
    first = terms[0]
    if first != NUMERIC_EQ and first not in LOWER_BOUNDS and first not in UPPER_BOUNDS:
        return f"Unrecognized numeric range operator: {quoted(first)}"
    problem = numeric_operand_problem(first, terms[1:2])
    if problem or len(terms) == 2:
        return problem
    if first not in LOWER_BOUNDS:
        return "Too many elements in numeric expression"
    second = terms[2]
    if not isinstance(second, str):
        return f"Bad value in numeric range: {quoted(second)}"
    if second not in UPPER_BOUNDS:
        return f"Bad numeric range operator: {quoted(second)}"
    problem = numeric_operand_problem(second, terms[3:4])
    if problem:
        return problem
    if len(terms) > 4:
        return "Too many terms in numeric range expression"
    if terms[1] >= terms[3]:
        return "Bottom must be less than top"
    return None


def numeric_operand_problem(operator: str, operand: list) -> str | None:
    if not operand or not is_finite_number(operand[0]):
        return f"Value of {operator} must be numeric"
    if not within_numeric_limit(operand[0]):
        return numeric_limit_reason()
    return None


def numeric_condition(terms: list) -> Numeric:
    """The range of well-formed ``terms`` (see :func:`numeric_range_problem`)."""
    operator, value = terms[0], terms[1]
    if operator == NUMERIC_EQ:
        return Numeric(value, True, value, True)
    if operator in UPPER_BOUNDS:
        return Numeric(upper=value, upper_inclusive=UPPER_BOUNDS[operator])
    if len(terms) == 2:
        return Numeric(lower=value, lower_inclusive=LOWER_BOUNDS[operator])
    return Numeric(value, LOWER_BOUNDS[operator], terms[3], UPPER_BOUNDS[terms[2]])


def read_anything_but(argument: object, path: Path, report: Report) -> Condition | None:
    """A value, a list of all-string or all-number values, or one nested operator."""
    if isinstance(argument, dict):
        excluded = read_anything_but_operator(argument, path, report)
    elif isinstance(argument, list):
        excluded = read_anything_but_values(argument, path, report)
    elif isinstance(argument, str) or is_number(argument):
        excluded = read_anything_but_values([argument], path, report)
    else:
        report(f"Value of {ANYTHING_BUT} must be an array or single string/number value.", path)
        excluded = None
    return AnythingBut(excluded) if excluded else None


def read_anything_but_values(values: list, path: Path, report: Report) -> tuple[Condition, ...] | None:
    if not all(isinstance(value, str) or is_number(value) for value in values):
        report("Inside anything but list, start|null|boolean is not supported.", path)
        return None
    strings = sum(isinstance(value, str) for value in values)
    if not values or 0 < strings < len(values):
        report("Inside anything but list, either all values are number or string, mixed type is not supported", path)
        return None
    for value in values:
        if is_number(value) and not (is_finite_number(value) and within_numeric_limit(value)):
            report(numeric_limit_reason(), path)
            return None
    return tuple(Exact(value) for value in values)


def read_anything_but_operator(spec: dict, path: Path, report: Report) -> tuple[Condition, ...] | None:
    if len(spec) != 1:
        report("Anything-But expression name not found" if not spec else "Only one key allowed in match expression", path)
        return None
    ((name, argument),) = spec.items()
    reader = ANYTHING_BUT_READERS.get(name) if isinstance(name, str) else None
    if reader is None:
        report(f"Unsupported anything-but pattern: {quoted(name)}", path + (name,))
        return None
    return reader(argument, path + (name,), report)


SetReader = Callable[[object, Path, Report], Optional[tuple[Condition, ...]]]
Check = Callable[[str], Optional[str]]


def read_anything_but_set(element: Reader, not_string: str, check: Check | None = None) -> SetReader:
    """anything-but prefix/suffix/equals-ignore-case/wildcard: one string or a non-empty list of them.

    A value matching any listed string is excluded. The order of the checks is
    event-ruler's (JsonRuleCompiler): the operand's own shape first (null, true and
    objects are refused as anything-but operands), then each element in turn, then
    wildcard syntax. An empty list is refused too: event-ruler compiles it into an
    exclusion set with no entry, which its state machine cannot add, so no working
    rule could come of it.
    """

    def read(argument: object, path: Path, report: Report) -> tuple[Condition, ...] | None:
        if argument is None or isinstance(argument, (bool, dict)):
            report(f"Value of {ANYTHING_BUT} must be an array or single string/number value.", path)
            return None
        texts = argument if isinstance(argument, list) else [argument]
        if not texts:
            report("Empty arrays are not allowed", path)
            return None
        for text in texts:
            problem = not_string if not isinstance(text, str) else check(text) if check else None
            if problem:
                report(problem, path)
                return None
        conditions = [element(text, path, report) for text in dict.fromkeys(texts)]
        return None if None in conditions else tuple(conditions)  # type: ignore[arg-type]

    return read


def no_empty_affix(text: str) -> str | None:
    """An empty prefix or suffix would exclude every string (event-ruler's wording)."""
    return None if text else "Null prefix/suffix not allowed"


READERS: dict[str, Reader] = {
    PREFIX: read_affix(Prefix, PREFIX),
    SUFFIX: read_affix(Suffix, SUFFIX),
    EQUALS_IGNORE_CASE: read_equals_ignore_case,
    WILDCARD: read_wildcard,
    ANYTHING_BUT: read_anything_but,
    NUMERIC: read_numeric,
    EXISTS: read_exists,
    CIDR: read_cidr,
}

AFFIX_NOT_STRING = "prefix/suffix match pattern must be a string"

ANYTHING_BUT_READERS: dict[str, SetReader] = {
    PREFIX: read_anything_but_set(lambda text, path, report: Prefix(text), AFFIX_NOT_STRING, no_empty_affix),
    SUFFIX: read_anything_but_set(lambda text, path, report: Suffix(text), AFFIX_NOT_STRING, no_empty_affix),
    EQUALS_IGNORE_CASE: read_anything_but_set(
        read_equals_ignore_case,
        f"Inside {ANYTHING_BUT}/{EQUALS_IGNORE_CASE} list, number|start|null|boolean is not supported.",
    ),
    WILDCARD: read_anything_but_set(read_wildcard, must_be_string(WILDCARD)),
}
