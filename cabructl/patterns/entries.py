"""The PutEvents entries format (``aws events put-events --entries``), read and checked as PutEvents checks it.

Neutral ground: ``publish`` (the agent SDK) and ``test-event`` (the policy's route
table) read the same files with the same rules, so this sits below both, beside the
pattern matcher, with the event-JSON reader (:mod:`cabructl.patterns.eventjson`).
Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from cabructl.errors import EventInputError
from cabructl.patterns.eventjson import loads_event_json

# The fields of a PutEventsRequestEntry (botocore refuses any other key before sending).
ENTRY_FIELDS = ("Source", "DetailType", "Detail", "EventBusName", "Resources", "Time", "TraceHeader")
# Fields of an event as EventBridge delivers it that are plain strings (besides source and detail-type).
ENVELOPE_STRING_FIELDS = ("version", "id", "account", "time", "region")


@dataclass(frozen=True)
class EntryParts:
    """One entry of a PutEvents entries file, Detail parsed (publish and test-event both read them)."""

    source: str
    detail_type: str
    detail: dict[str, Any]
    bus: str | None
    resources: tuple[str, ...]
    time: str | None  # ISO 8601 in UTC, "2024-01-15T10:00:00Z", whatever form the file gave


def parse_entries(document: Any, bus: str | None = None) -> list[EntryParts]:
    """The ``aws events put-events --entries`` format: a list, or ``{"Entries": [...]}``.

    Every field is checked as PutEvents checks it (Detail is a JSON string there;
    an object is accepted too). With ``bus`` (the topology's bus), an entry naming
    another bus is refused: nothing routes it there. Every bad entry is reported at
    once, by index, before anything is used.
    """
    entries = document.get("Entries") if isinstance(document, dict) else document
    if not isinstance(entries, list) or not entries:
        raise EventInputError('the entries file must hold a non-empty JSON list of {"Source", "DetailType", "Detail", …} objects')
    parsed, problems = [], []
    for index, entry in enumerate(entries):
        try:
            parsed.append(_entry_parts(entry, bus))
        except EventInputError as error:
            problems += [f"entries[{index}]: {line}" for line in str(error).split("\n")]
    if problems:
        raise EventInputError("\n".join(problems))
    return parsed


def is_home_bus(name: str, home: str) -> bool:
    """``name`` is the bus ``home`` itself: its name, or an ARN ending in ``/home``."""
    return name == home or name.endswith(f"/{home}")


def _entry_parts(entry: Any, home_bus: str | None) -> EntryParts:
    if not isinstance(entry, dict):
        raise EventInputError(f"an entry must be a JSON object, not {type_name(entry)}")
    problems = [f'unknown field "{key}" (PutEvents takes {", ".join(ENTRY_FIELDS)})' for key in entry if key not in ENTRY_FIELDS]
    problems += [problem for key in ("Source", "DetailType") if (problem := text_problem(entry, key, required=True))]
    problems += [problem for key in ("EventBusName", "TraceHeader") if (problem := text_problem(entry, key))]
    bus = entry.get("EventBusName")
    if home_bus is not None and isinstance(bus, str) and bus and not is_home_bus(bus, home_bus):
        problems.append(f"EventBusName {bus!r} is not this topology's bus {home_bus!r}")
    resources = entry.get("Resources", [])
    if (problem := resources_problem("Resources", resources)) is not None:
        problems.append(problem)
    time, problem = _entry_time(entry.get("Time"))
    detail, detail_problem = _entry_detail(entry)
    problems += [p for p in (problem, detail_problem) if p is not None]
    if problems:
        raise EventInputError("\n".join(problems))
    return EntryParts(entry["Source"], entry["DetailType"], detail, bus, tuple(resources), time)


def _entry_detail(entry: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The parsed Detail, or a reason: PutEvents requires it, as a JSON object."""
    if "Detail" not in entry:
        return {}, "Detail is missing (PutEvents requires Source, DetailType and Detail)"
    detail = entry["Detail"]
    if isinstance(detail, str):
        try:
            detail = loads_event_json(detail, "Detail")
        except EventInputError as error:
            return {}, str(error)
    if not isinstance(detail, dict):
        return {}, f"Detail must hold a JSON object, not {type_name(detail)}"
    return detail, None


def _entry_time(value: Any) -> tuple[str | None, str | None]:
    """Time as PutEvents takes it (epoch seconds, or an RFC 3339 string the CLI converts) → ISO 8601 UTC."""
    if value is None:
        return None, None
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError
        moment = (datetime.fromtimestamp(value, timezone.utc) if not isinstance(value, str)
                  else datetime.fromisoformat(value.replace("Z", "+00:00")))
    except (TypeError, ValueError, OverflowError, OSError):
        return None, f"Time must be an RFC 3339 timestamp or epoch seconds, not {shown(value)}"
    if moment.tzinfo is None:
        return None, f"Time {value!r} needs a time zone (such as Z)"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), None


def parse_time(text: Any) -> datetime | None:
    """The datetime of an ISO 8601 time with zone (as :class:`EntryParts` and delivered events hold it)."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def text_problem(fields: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    if key not in fields:
        return f"{key} is missing" if required else None
    value = fields[key]
    if not isinstance(value, str) or not value:
        return f"{key} must be a non-empty string, not {shown(value)}"
    return None


def resources_problem(key: str, value: Any) -> str | None:
    """PutEvents takes a list of strings (ARNs); a lone string would be one resource per character."""
    if not isinstance(value, list):
        return f"{key} must be a list of strings, not {shown(value)}"
    wrong = [f"{key}[{index}] is {shown(item)}" for index, item in enumerate(value) if not isinstance(item, str)]
    return f"{key} must be a list of strings: {', '.join(wrong[:3])}" if wrong else None


def type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def shown(value: Any) -> str:
    """A value in a message: short scalars as themselves, the rest by JSON type."""
    if isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 40):
        return f"{type_name(value)} ({json.dumps(value, ensure_ascii=False)})"
    return type_name(value)
