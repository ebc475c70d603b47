"""How policy numbers are written for people, in one place so checks and reports agree."""

from __future__ import annotations

_DURATION_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def usd(amount: float) -> str:
    """``6.702`` → ``6.70 USD``."""
    return f"{amount:,.2f} USD"


def money(amount: float) -> str:
    """A table cell in USD, the unit being in the column's heading."""
    return f"{amount:,.2f}"


def count(number: float) -> str:
    """Event counts as people read them: ``1,500,000``."""
    return f"{number:,.0f}"


def plural(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def duration(seconds: int) -> str:
    """``3600`` → ``1h``: the way topology.yaml writes periods."""
    for unit, size in _DURATION_UNITS:
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
