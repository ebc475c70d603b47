"""Event JSON as cabructl reads it: standard JSON only, bounded in depth, text every AWS API can carry.

Python's ``json`` accepts more than EventBridge does: ``NaN`` and ``Infinity``,
``1e309`` (read as infinity, written back as ``Infinity``), lone surrogate
escapes such as ``"\\ud800"`` (valid JSON text, but no UTF-8 encoder, boto3's
included, can write them), and integers past PutEvents' 64-bit range. It also
parses by recursion, so 10,000 nested brackets raise ``RecursionError``.

So every JSON text given as an event — a ``--detail``, an event or entries
file, a ``Detail`` string, a dead-letter message body — goes through
:func:`loads_event_json`: one scan of the text refuses all of those with line
and column *before* ``json.loads`` runs, and ``json.loads`` then only ever sees
text it parses safely. :func:`nests_deeper_than` applies the same depth limit
to values built in Python, without recursion, and :func:`dumps_event_json`
refuses on the way out what the reader refuses on the way in.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from cabructl.errors import EventInputError
from cabructl.constants import EVENT_JSON_MAX_DEPTH, PUT_EVENTS_INTEGER_RANGE

# One token of interest per match: a whole string, a bracket, a non-standard constant, a number.
# A lone '"' is an unterminated string: the scan stops there and json.loads reports it.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|-?Infinity|NaN|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|"',
                    re.DOTALL)
# A string that may hold a lone surrogate: a surrogate escape, or a raw surrogate (argv's surrogateescape).
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]|[\ud800-\udfff]")
_MAX_INTEGER_DIGITS = len(str(PUT_EVENTS_INTEGER_RANGE[0]))


def loads_event_json(text: str, origin: str) -> Any:
    """The value of ``text``, or :class:`EventInputError` naming ``origin`` (and line and column)."""
    problem = _first_problem(text)
    if problem is not None:
        position, what = problem
        line, column = _line_column(text, position)
        raise EventInputError(f"{origin}: line {line}, column {column}: {what}")
    try:
        return json.loads(text)
    except ValueError as error:
        raise EventInputError(f"{origin} is not valid JSON: {error}") from None


def _first_problem(text: str) -> tuple[int, str] | None:
    """(position, reason) of the first thing standard JSON or PutEvents would refuse, else None."""
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in "[{":
            depth += 1
            if depth > EVENT_JSON_MAX_DEPTH:
                return match.start(), f"nested deeper than {EVENT_JSON_MAX_DEPTH} levels (the limit of event JSON)"
        elif first in "]}":
            depth -= 1
        elif first == '"':
            if len(token) == 1:
                return None  # unterminated string: json.loads says so, with its position
            lone = _lone_surrogate(token) if _MAYBE_SURROGATE.search(token) else None
            if lone is not None:
                return match.start(), f"this string holds a lone UTF-16 surrogate ({lone}), which is not text"
        else:
            reason = _number_problem(token)
            if reason is not None:
                return match.start(), reason
    return None


def _lone_surrogate(token: str) -> str | None:
    """The first unpaired surrogate of a string token, as its ``\\uXXXX`` escape; None if there is none."""
    try:
        decoded = json.loads(token)  # a single string: no nesting, safe; pairs escapes correctly
    except ValueError:
        return None  # a bad escape: json.loads reports it on the whole text
    try:
        decoded.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"\\u{ord(decoded[error.start]):04x}"
    return None


def _number_problem(token: str) -> str | None:
    if token in ("NaN", "Infinity", "-Infinity"):
        return f"{token} is not JSON: numbers must be finite"
    if any(mark in token for mark in ".eE"):
        return None if math.isfinite(float(token)) else f"{token} is out of range: numbers must be finite"
    low, high = PUT_EVENTS_INTEGER_RANGE
    if len(token.lstrip("-")) > _MAX_INTEGER_DIGITS or not low <= int(token) <= high:
        shown = token if len(token) <= 30 else token[:27] + "..."
        return f"the integer {shown} is outside PutEvents' range ({low:,} to {high:,})"
    return None


def _line_column(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def nests_deeper_than(value: Any, limit: int = EVENT_JSON_MAX_DEPTH) -> bool:
    """True if ``value`` has objects or arrays more than ``limit`` levels deep (the outermost is level 1).

    Iterative, and it stops at ``limit + 1``, so a deep or self-referencing value cannot make it raise or hang.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, (list, tuple)) else None
        if children is None:
            continue
        if level > limit:
            return True
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list, tuple)))
    return False


def dumps_event_json(value: Any) -> str:
    """Compact, standard UTF-8-encodable JSON of a value built in Python; ValueError saying why if it has none.

    The counterpart of :func:`loads_event_json` on the sending side (callers
    check depth with :func:`nests_deeper_than`): what cabructl sends, it can
    read back, from a dead-letter queue say.
    """
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise ValueError("it holds NaN or an infinite number, which JSON cannot carry") from None
    except TypeError as error:
        raise ValueError(f"it holds a value JSON has no type for ({error})") from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string in it holds a lone UTF-16 surrogate (such as \\ud800), which is not text") from None
    return text
