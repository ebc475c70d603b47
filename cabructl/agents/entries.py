"""PutEvents entries: the envelope every event gets, its size as AWS counts it, and batches.

Pure functions over plain dicts, so the limits that decide what one PutEvents
call may carry are tested without any AWS at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from cabructl.agents.errors import EventInputError
from cabructl.agents.events import new_id, now_iso8601
from cabructl.constants import PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES

CORRELATION_FIELD = "correlationId"
TIMESTAMP_FIELD = "timestamp"
# "If specified, the Time parameter is 14 bytes" (AWS: calculating PutEvents entry size).
TIME_PARAMETER_BYTES = 14

Entry = dict[str, Any]


@dataclass(frozen=True)
class EntryParts:
    """One entry of a PutEvents entries file, Detail parsed (publish and test-event both read them)."""

    source: str
    detail_type: str
    detail: Any
    bus: str | None
    resources: tuple[str, ...]
    time: str | None


def parse_entries(document: Any) -> list[EntryParts]:
    """The ``aws events put-events --entries`` format: a list, or ``{"Entries": [...]}``.

    Detail is a JSON string there (an object is accepted too). Every bad entry is
    reported at once, by index, before anything is used.
    """
    entries = document.get("Entries") if isinstance(document, dict) else document
    if not isinstance(entries, list) or not entries:
        raise EventInputError('the entries file must hold a non-empty JSON list of {"Source", "DetailType", "Detail", …} objects')
    parsed, problems = [], []
    for index, entry in enumerate(entries):
        try:
            parsed.append(_entry_parts(entry))
        except EventInputError as error:
            problems.append(f"entries[{index}]: {error}")
    if problems:
        raise EventInputError("\n".join(problems))
    return parsed


def _entry_parts(entry: Any) -> EntryParts:
    if not isinstance(entry, dict) or not isinstance(entry.get("Source"), str) or not isinstance(entry.get("DetailType"), str):
        raise EventInputError("an entry needs Source and DetailType strings")
    detail = entry.get("Detail", "{}")
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError as error:
            raise EventInputError(f"Detail is not valid JSON: {error}") from None
    return EntryParts(entry["Source"], entry["DetailType"], detail, entry.get("EventBusName"),
                      tuple(entry.get("Resources") or ()), entry.get("Time"))


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
    """One PutEventsRequestEntry; compact JSON, because every byte counts against 256 KB."""
    entry: Entry = {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail, separators=(",", ":"), ensure_ascii=False),
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
