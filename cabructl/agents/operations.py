"""What ``cabructl publish`` does, as functions: read events from JSON, check them all, send them.

Every problem in every event is collected before anything is sent, so one
run of the command shows the whole list and nothing leaves on a partly bad file.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from cabructl.agents.errors import REFUSED_EVENT_ERRORS, EventInputError, RefusedEventsError, UnknownEventError
from cabructl.patterns.entries import parse_entries, parse_time
from cabructl.patterns.eventjson import loads_event_json
from cabructl.agents.events import GenericEvent

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.agents.catalog import EventCatalog
    from cabructl.agents.client import EventBridgeAgent, Prepared
    from cabructl.agents.results import BatchResult


def read_json_argument(value: str, name: str = "--detail") -> Any:
    """``@path`` reads a file, ``-`` reads stdin, anything else is JSON text (curl's convention).

    Whatever the source, the text goes through :func:`loads_event_json`, so every
    command reads event JSON by one rule; errors name the file, ``stdin`` or, for
    inline text, the option ``name``.
    """
    if value == "-":
        origin = "stdin"
        try:
            text = sys.stdin.read()
        except UnicodeDecodeError as error:
            raise EventInputError(f"stdin is not UTF-8 text: {error}") from None
    elif value.startswith("@"):
        origin = value[1:]
        text = _read_file(origin)
    else:
        origin, text = name, value
    return loads_event_json(text, origin)


def _read_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise EventInputError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise EventInputError(f"{path} is not UTF-8 text: {error}") from None


@contextmanager
def naming(origin: str) -> Iterator[None]:
    """Input errors raised inside name ``origin``: each line of the message starts with it.

    The parsers say ``entries[3]: …``; the commands know which file that is.
    """
    try:
        yield
    except EventInputError as error:
        already = (f"{origin}:", f"{origin}[", f"{origin} ")  # "x.json: …", "x.json[2]: …", "x.json is not valid JSON"
        named = "\n".join(line if line.startswith(already) else f"{origin}: {line}" for line in str(error).split("\n"))
        raise EventInputError(named, hint=error.hint) from None


def detail_event(catalog: "EventCatalog", detail: Any, *, agent: str | None, detail_type: str | None) -> GenericEvent:
    """The event for ``--detail``: its type given, or the only type the agent declares."""
    if not isinstance(detail, dict):
        raise EventInputError("--detail must be a JSON object (the event's detail)")
    if detail_type is None:
        if agent is None:
            raise EventInputError("say which event this is: --agent NAME or --detail-type TYPE")
        declared = catalog.agent(agent).events
        if len(declared) != 1:
            raise EventInputError(f'agent "{agent}" publishes {", ".join(declared)}: choose one with --detail-type')
        detail_type = declared[0]
    return GenericEvent(catalog.kind(detail_type).name, detail)


def events_from_entries(document: Any, catalog: "EventCatalog") -> list[GenericEvent]:
    """Events from the PutEvents entries format, each one a type the topology declares, on its bus.

    An entry naming another bus is refused, as ``test-event`` refuses it: no rule
    of the topology would ever see it there.
    """
    events, problems = [], []
    for index, parts in enumerate(parse_entries(document, bus=catalog.topology.bus.name)):
        try:
            events.append(catalog.generic_event(parts.source, parts.detail_type, parts.detail, bus=parts.bus,
                                                resources=parts.resources, time=parse_time(parts.time)))
        except UnknownEventError as error:
            problems.append(f"entries[{index}]: {error}")
    if problems:
        raise EventInputError("\n".join(problems))
    return events


def prepare_all(agent: "EventBridgeAgent", events: Sequence[GenericEvent], label: str = "entries",
                correlation_id: str | None = None) -> list["Prepared"]:
    """Every event prepared, or one error listing every event that is not acceptable."""
    prepared, problems = [], []
    for index, event in enumerate(events):
        try:
            prepared.append(agent.prepare(event, correlation_id))
        except REFUSED_EVENT_ERRORS as error:
            problems.append(f"{label}[{index}]: {error}" if len(events) > 1 else str(error))
    if problems:
        raise RefusedEventsError(problems, len(events))
    return prepared


def publish_events(agent: "EventBridgeAgent", events: Sequence[GenericEvent], label: str = "entries",
                   correlation_id: str | None = None) -> "BatchResult":
    """Check every event, then send them all in as few calls as the limits allow."""
    return agent.publish_prepared(prepare_all(agent, events, label, correlation_id))
