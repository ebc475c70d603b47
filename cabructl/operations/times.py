"""TIME on the command line: ISO 8601 or a form relative to now, always read as UTC.

An operator replaying after an incident thinks "the last two hours" or "since
yesterday", not in epoch seconds; a scheduled job wants exact ISO timestamps.
Both forms are read here, against one ``now`` passed in, so a whole command
compares its times with the same clock reading.
"""

from __future__ import annotations

import datetime as _dt
import re

ACCEPTED_FORMS = ("ISO 8601 (2026-03-01T12:00:00Z, 2026-03-01T09:00-03:00, 2026-03-01; no offset means UTC), "
                  "or relative: -30m, -2h, -1d, now, today, yesterday")
_RELATIVE = re.compile(r"^-(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


class TimeFormatError(ValueError):
    """A TIME none of the accepted forms reads; the message lists them."""


def utc_now() -> _dt.datetime:
    """Now, timezone-aware in UTC: every comparison in an operation is between aware times."""
    return _dt.datetime.now(_dt.timezone.utc)


def parse_time(text: str, now: _dt.datetime) -> _dt.datetime:
    """``text`` as an aware UTC datetime; relative forms count back from ``now``."""
    value = text.strip().lower()
    midnight = now.astimezone(_dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    named = {"now": now, "today": midnight, "yesterday": midnight - _dt.timedelta(days=1)}
    if value in named:
        return named[value].astimezone(_dt.timezone.utc)
    relative = _RELATIVE.match(value)
    if relative:
        return (now - _dt.timedelta(seconds=int(relative.group(1)) * _UNIT_SECONDS[relative.group(2)])).astimezone(_dt.timezone.utc)
    return _iso(text.strip())


def _iso(text: str) -> _dt.datetime:
    """ISO 8601 with ``Z`` accepted on every Python (3.10's fromisoformat does not take it)."""
    try:
        moment = _dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" and text else text)
    except ValueError:
        raise TimeFormatError(f"{text!r} is not a time; accepted: {ACCEPTED_FORMS}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.astimezone(_dt.timezone.utc)


def iso(moment: _dt.datetime | None) -> str | None:
    """The one way times are printed: ISO 8601 in UTC with ``Z``, to the second."""
    if moment is None:
        return None
    return moment.astimezone(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
