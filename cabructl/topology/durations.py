"""The language's quantities: durations (``14d``, ``5m``; integers are seconds) and ratios (``90%``)."""

from __future__ import annotations

import re

# The language's durations: a whole number and a unit, largest unit first.
DURATION_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
DURATION_PATTERN = re.compile(r"^([0-9]+)(s|m|h|d)$")


def parse_duration(value: int | float | str) -> int:
    """``14d`` → 1209600; integers are seconds. The schema has vetted the form.

    JSON Schema counts ``60.0`` as an integer, so integral floats arrive here too.
    """
    if isinstance(value, (int, float)):
        return int(value)
    match = DURATION_PATTERN.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r}")
    return int(match.group(1)) * dict(DURATION_UNITS)[match.group(2)]


def format_duration(seconds: int) -> str:
    """``3600`` → ``1h``: seconds as topology.yaml writes them, in the largest unit that divides."""
    for unit, size in DURATION_UNITS:
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_ratio(value: float | str) -> float:
    """``90%`` or 0.9 → 0.9."""
    if isinstance(value, str):
        return float(value.rstrip("%")) / 100
    return float(value)
