"""PutEvents entries: the envelope every event gets, its size as AWS counts it, and batches.

Pure functions over plain dicts, so the limits that decide what one PutEvents
call may carry are tested without any AWS at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from cabructl.agents.errors import EventInputError, EventValidationError
from cabructl.agents.events import new_id, now_iso8601
from cabructl.agents.eventjson import dumps_event_json, loads_event_json, nests_deeper_than
from cabructl.constants import EVENT_JSON_MAX_DEPTH, PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES

CORRELATION_FIELD = "correlationId"
TIMESTAMP_FIELD = "timestamp"
# "If specified, the Time parameter is 14 bytes" (AWS: calculating PutEvents entry size).
TIME_PARAMETER_BYTES = 14

Entry = dict[str, Any]


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
        raise EventInputError(f"an entry must be a JSON object, not {_type_name(entry)}")
    problems = [f'unknown field "{key}" (PutEvents takes {", ".join(ENTRY_FIELDS)})' for key in entry if key not in ENTRY_FIELDS]
    problems += [problem for key in ("Source", "DetailType") if (problem := _text_problem(entry, key, required=True))]
    problems += [problem for key in ("EventBusName", "TraceHeader") if (problem := _text_problem(entry, key))]
    bus = entry.get("EventBusName")
    if home_bus is not None and isinstance(bus, str) and bus and not is_home_bus(bus, home_bus):
        problems.append(f"EventBusName {bus!r} is not this topology's bus {home_bus!r}")
    resources = entry.get("Resources", [])
    if (problem := _resources_problem("Resources", resources)) is not None:
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
        return {}, f"Detail must hold a JSON object, not {_type_name(detail)}"
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
        return None, f"Time must be an RFC 3339 timestamp or epoch seconds, not {_shown(value)}"
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


def _text_problem(fields: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    if key not in fields:
        return f"{key} is missing" if required else None
    value = fields[key]
    if not isinstance(value, str) or not value:
        return f"{key} must be a non-empty string, not {_shown(value)}"
    return None


def _resources_problem(key: str, value: Any) -> str | None:
    """PutEvents takes a list of strings (ARNs); a lone string would be one resource per character."""
    if not isinstance(value, list):
        return f"{key} must be a list of strings, not {_shown(value)}"
    wrong = [f"{key}[{index}] is {_shown(item)}" for index, item in enumerate(value) if not isinstance(item, str)]
    return f"{key} must be a list of strings: {', '.join(wrong[:3])}" if wrong else None


def envelope_problems(event: Mapping[str, Any]) -> list[str]:
    """Why PutEvents would refuse the event an envelope describes (empty if it would not).

    The envelope is the event as EventBridge delivers it (``source``,
    ``detail-type``, ``detail``…); the checks are publish's own: field types, then
    :func:`build_entry` (standard JSON, EVENT_JSON_MAX_DEPTH) and PUT_EVENTS_MAX_BYTES
    as :func:`entry_size` counts it.
    """
    problems = [p for key in ("source", "detail-type") if (p := _text_problem(event, key, required=True))]
    problems += [f"{key} must be a string, not {_shown(event[key])}" for key in ENVELOPE_STRING_FIELDS
                 if key in event and not isinstance(event[key], str)]
    detail = event.get("detail")
    if not isinstance(detail, dict):
        problems.append("detail is missing" if "detail" not in event else f"detail must be a JSON object, not {_shown(detail)}")
    if (problem := _resources_problem("resources", event.get("resources", []))) is not None:
        problems.append(problem)
    if problems:
        return problems
    try:  # the entry publish would send for it: standard JSON, depth, size
        entry = build_entry(event["source"], event["detail-type"], detail, "", event.get("resources", ()))
    except EventValidationError as error:
        return list(error.problems)
    size = entry_size(entry)
    if size > PUT_EVENTS_MAX_BYTES:
        return [f"the event is {size:,} bytes; PutEvents takes at most {PUT_EVENTS_MAX_BYTES:,} per entry"]
    return []


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _shown(value: Any) -> str:
    """A value in a message: short scalars as themselves, the rest by JSON type."""
    if isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 40):
        return f"{_type_name(value)} ({json.dumps(value, ensure_ascii=False)})"
    return _type_name(value)


def with_envelope(detail: Mapping[str, Any], correlation_id: str | None = None) -> dict[str, Any]:
    """The detail plus what tracing needs: a correlation id and an ISO 8601 timestamp with zone.

    Values already present win, so an event keeps its correlation id through
    redrives and hand-offs; the schemas declare ``correlationId`` (optional) and
    require ``timestamp`` themselves.
    """
    stamped = dict(detail)
    stamped.setdefault(CORRELATION_FIELD, correlation_id or new_id())
    stamped.setdefault(TIMESTAMP_FIELD, now_iso8601())
    return stamped


def build_entry(source: str, detail_type: str, detail: Mapping[str, Any], bus: str,
                resources: Sequence[str] = (), time: datetime | None = None) -> Entry:
    """One PutEventsRequestEntry; compact JSON, because every byte counts against 256 KB.

    Raises :class:`EventValidationError` for a detail that is not standard JSON, or
    so deep that the event around it (one level more) would pass EVENT_JSON_MAX_DEPTH:
    what cabructl sends, it can read back from a dead-letter queue.
    """
    if nests_deeper_than(detail, EVENT_JSON_MAX_DEPTH - 1):
        raise EventValidationError(detail_type, [f"detail: it nests deeper than {EVENT_JSON_MAX_DEPTH - 1} levels, so the event "
                                                 f"around it would pass the {EVENT_JSON_MAX_DEPTH}-level limit of event JSON"])
    try:
        text = dumps_event_json(detail)
    except ValueError as error:
        raise EventValidationError(detail_type, [f"detail: {error}"]) from None
    entry: Entry = {
        "Source": source,
        "DetailType": detail_type,
        "Detail": text,
        "EventBusName": bus,
    }
    if resources:
        entry["Resources"] = list(resources)
    if time is not None:
        entry["Time"] = time
    return entry


def entry_size(entry: Mapping[str, Any]) -> int:
    """The size AWS charges against the limit: Source, DetailType, Detail and Resources in UTF-8, Time as 14.

    EventBusName does not count, and neither does the JSON around the fields.
    """
    size = TIME_PARAMETER_BYTES if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key) or "").encode("utf-8"))
    size += sum(len(resource.encode("utf-8")) for resource in entry.get("Resources") or ())
    return size


@dataclass(frozen=True)
class Batch:
    """Positions (into the caller's list) of the entries one PutEvents call carries."""

    positions: tuple[int, ...]
    size: int


def split_batches(sizes: Iterable[int], max_entries: int = PUT_EVENTS_MAX_ENTRIES,
                  max_bytes: int = PUT_EVENTS_MAX_BYTES) -> list[Batch]:
    """Group entries in order into calls of at most ``max_entries`` and ``max_bytes`` in total.

    Order is kept (greedy, no packing) so that events from one agent arrive in
    the order it published them. An entry larger than ``max_bytes`` on its own
    must have been refused before this point.
    """
    batches: list[Batch] = []
    current: list[int] = []
    current_size = 0
    for position, size in enumerate(sizes):
        if size > max_bytes:
            raise ValueError(f"entry {position} is {size:,} bytes, over the {max_bytes:,}-byte limit")
        if current and (len(current) == max_entries or current_size + size > max_bytes):
            batches.append(Batch(tuple(current), current_size))
            current, current_size = [], 0
        current.append(position)
        current_size += size
    if current:
        batches.append(Batch(tuple(current), current_size))
    return batches
