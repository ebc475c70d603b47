"""YAML scalars as plain values, and the rules every number read must pass.

The resolution is YAML 1.2's core schema with ruamel.yaml's spellings (what the round-trip
loader did before: ``ON`` is a string, ``0755`` is decimal, ``1_000`` is 1000). Timestamps,
``!!binary`` and custom tags stay the text the file wrote: nothing in a topology is a date.

Numbers are checked here, once for every number of every file (topology, overrides, schema
files, policy data), because nothing later can: JSON Schema's ``number`` accepts NaN, NaN passes
every ``minimum``, and an integer of 5,000 digits cannot even be turned into text (Python's
4,300-digit limit), so its size is judged from the source text before it is converted.
"""

from __future__ import annotations

import math
import re
from typing import Any, Optional

from cabructl.constants import INPUT_NUMBER_RANGE

# ruamel.yaml's YAML 1.2 implicit resolvers (ruamel/yaml/resolver.py), in its order.
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_FLOAT = re.compile(r"""^(?:
     [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X)
_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_NUMBER_START = frozenset("-+0123456789.")

CORE = "tag:yaml.org,2002:"
_EXPLICIT = {CORE + "str": "str", CORE + "int": "int", CORE + "float": "float", CORE + "bool": "bool", CORE + "null": "null"}
# Radix prefixes; more significant digits than 2**63 has in binary is too large in any base.
_RADIX = (("0b", 2), ("0x", 16), ("0o", 8))
_MAX_SIGNIFICANT_DIGITS = 64


class Merge:
    """The ``<<`` merge key, told apart from a key spelt ``"<<"`` in quotes."""

    def __repr__(self) -> str:
        return "<<"


MERGE = Merge()

Scalar = tuple[Any, Optional[str], Optional[str]]  # value, problem message, diagnostic reference


def scalar_value(text: str, tag: Optional[str], plain: bool) -> Scalar:
    """The value of one scalar event, with the problem that makes it unusable (if any)."""
    if tag is not None and tag != "!":
        kind = _EXPLICIT.get(tag, "str")
        return _explicit(kind, text, tag)
    if not plain:
        return text, None, None
    return _implicit(text)


def _implicit(text: str) -> Scalar:
    first = text[:1]
    if first and first in "tTfF" and _BOOL.match(text):
        return text.lower() == "true", None, None
    if first and first in _NUMBER_START:
        if _FLOAT.match(text):
            return _float(text)
        if first != "." and _INT.match(text):
            return _int(text)
    if text == "<<":
        return MERGE, None, None
    if first in "~nN" and _NULL.match(text):
        return None, None, None
    return text, None, None


def _explicit(kind: str, text: str, tag: str) -> Scalar:
    """``!!int "5"`` and friends: the text must have the form the tag names."""
    if kind == "str":
        return text, None, None
    if kind == "int" and _INT.match(text):
        return _int(text)
    if kind == "float" and (_FLOAT.match(text) or _INT.match(text)):
        return _float(text)
    if kind == "bool" and _BOOL.match(text):
        return text.lower() == "true", None, None
    if kind == "null" and _NULL.match(text):
        return None, None, None
    return text, f"{_shown(text)} is not a valid !!{tag[len(CORE):]}", "invalid-tag"


def _int(text: str) -> Scalar:
    """An integer, refused (judged before conversion when long) outside a signed 64-bit range."""
    compact = text.replace("_", "")
    negative = compact.startswith("-")
    body = compact.lstrip("+-")
    base = 10
    for prefix, radix in _RADIX:
        if body.startswith(prefix):
            base, body = radix, body[len(prefix):]
    if not body:
        return text, None, None  # "_" or "0x_": the pattern matched, but no digits: a string
    significant = body.lstrip("0") or "0"  # leading zeros count against Python's digit limit too
    if len(significant) > _MAX_SIGNIFICANT_DIGITS:
        return text, _too_large(text), "number-too-large"
    number = int(significant, base)
    number = -number if negative else number
    if not INPUT_NUMBER_RANGE[0] <= number <= INPUT_NUMBER_RANGE[1]:
        return text, _too_large(text), "number-too-large"
    return number, None, None


def _float(text: str) -> Scalar:
    """A float: NaN and infinities refused (``1e999`` overflows to one), and so is one outside int64's range."""
    compact = text.replace("_", "").lower()
    if compact.lstrip("+-") in (".inf", ".nan"):
        number = float(compact.replace(".", ""))
    else:
        try:
            number = float(compact)
        except ValueError:
            return text, None, None  # "._": matched the pattern, holds no digits
    if not math.isfinite(number):
        spelling = "NaN" if math.isnan(number) else ("infinity" if number > 0 else "-infinity")
        return number, f"{spelling} is not a finite number; NaN and infinities are not allowed", "non-finite-number"
    if not INPUT_NUMBER_RANGE[0] <= number <= INPUT_NUMBER_RANGE[1]:
        return number, _too_large(text), "number-too-large"
    return number, None, None


def _too_large(text: str) -> str:
    return f"{_shown(text)} is too large: numbers must lie between -2**63 and 2**63-1 (no AWS limit is larger)"


def _shown(text: str) -> str:
    """The number as written, shortened when long (a 5,000-digit number is not repeated)."""
    compact = text.strip()
    if len(compact) <= 24:
        return compact
    return f"{compact[:12]}…{compact[-4:]} ({len(compact):,} characters)"
