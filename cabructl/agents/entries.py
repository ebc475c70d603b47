"""PutEvents entries: the envelope every event gets, its size as AWS counts it, and batches.

Pure functions over plain dicts, so the limits that decide what one PutEvents
call may carry are tested without any AWS at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from cabructl.agents.errors import EventValidationError
from cabructl.agents.events import new_id, now_iso8601
from cabructl.patterns.entries import ENVELOPE_STRING_FIELDS, resources_problem, shown, text_problem
from cabructl.patterns.eventjson import dumps_event_json, nests_deeper_than
from cabructl.constants import EVENT_JSON_MAX_DEPTH, PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES

CORRELATION_FIELD = "correlationId"
CAUSATION_FIELD = "causationId"  # the id of the event a reply answers
TIMESTAMP_FIELD = "timestamp"
# "If specified, the Time parameter is 14 bytes" (AWS: calculating PutEvents entry size).
TIME_PARAMETER_BYTES = 14

Entry = dict[str, Any]


def envelope_problems(event: Mapping[str, Any]) -> list[str]:
    """Why PutEvents would refuse the event an envelope describes (empty if it would not).

    The envelope is the event as EventBridge delivers it (``source``,
    ``detail-type``, ``detail``…); the checks are publish's own: field types, then
    :func:`build_entry` (standard JSON, EVENT_JSON_MAX_DEPTH) and PUT_EVENTS_MAX_BYTES
    as :func:`entry_size` counts it.
    """
    problems = [p for key in ("source", "detail-type") if (p := text_problem(event, key, required=True))]
    problems += [f"{key} must be a string, not {shown(event[key])}" for key in ENVELOPE_STRING_FIELDS
                 if key in event and not isinstance(event[key], str)]
    detail = event.get("detail")
    if not isinstance(detail, dict):
        problems.append("detail is missing" if "detail" not in event else f"detail must be a JSON object, not {shown(detail)}")
    if (problem := resources_problem("resources", event.get("resources", []))) is not None:
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

    Order is kept (greedy, no packing): the entries of a call are in the caller's
    order and the calls follow each other in it. That is all the order there is: a
    client with ``max_in_flight > 1`` has several calls outstanding, so a later call
    may be accepted first, and EventBridge promises no delivery order anyway. An
    entry larger than ``max_bytes`` on its own must have been refused before this point.
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
