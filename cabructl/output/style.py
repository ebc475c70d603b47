"""Colour only for people: on a TTY, never with NO_COLOR (no-color.org), on TERM=dumb or in pipes."""

from __future__ import annotations

import os
import sys
from typing import IO

import click

ACTION_COLOURS = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}


def use_colour(stream: IO[str] | None = None) -> bool:
    """Colour on a terminal that can show it: not with NO_COLOR, not in a pipe, not on ``TERM=dumb``."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def paint(text: str, colour: str | None, enabled: bool, bold: bool = False) -> str:
    return click.style(text, fg=colour, bold=bold) if enabled and (colour or bold) else text
