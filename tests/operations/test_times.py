"""TIME on the command line: ISO 8601 or relative to one clock reading, always UTC; anything else says the forms."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from cabructl.operations.times import ACCEPTED_FORMS, TimeFormatError, iso, parse_time

NOW = dt.datetime(2026, 3, 15, 13, 45, 30, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("text, expected", [
    ("now", "2026-03-15T13:45:30Z"),
    ("-2h", "2026-03-15T11:45:30Z"),
    ("-30m", "2026-03-15T13:15:30Z"),
    ("-1d", "2026-03-14T13:45:30Z"),
    ("today", "2026-03-15T00:00:00Z"),
    ("yesterday", "2026-03-14T00:00:00Z"),
    ("Yesterday", "2026-03-14T00:00:00Z"),
    ("2026-03-01T12:00:00Z", "2026-03-01T12:00:00Z"),
    ("2026-03-01T12:00:00", "2026-03-01T12:00:00Z"),  # naive means UTC
    ("2026-03-01T09:00-03:00", "2026-03-01T12:00:00Z"),
    ("2026-03-01", "2026-03-01T00:00:00Z"),
])
def test_every_accepted_form_reads_as_utc(text: str, expected: str) -> None:
    moment = parse_time(text, NOW)
    assert moment.tzinfo is not None
    assert iso(moment) == expected


@pytest.mark.parametrize("text", ["", "soon", "2h", "-2x", "+1d", "2026-13-01", "1710000000"])
def test_anything_else_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(TimeFormatError) as raised:
        parse_time(text, NOW)
    assert ACCEPTED_FORMS in str(raised.value)


def test_a_bad_time_on_the_command_line_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["replay", "start", "--from", "last tuesday", "--to", "now"])
    assert result.exit_code == 64, result.output
    assert "--from" in result.output and "-30m, -2h, -1d, now, today, yesterday" in result.output
