"""How policy numbers are written for people, in one place so checks and reports agree."""

from __future__ import annotations

from cabructl.topology.durations import format_duration as duration  # noqa: F401 - periods written as topology.yaml writes them


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

