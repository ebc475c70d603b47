"""What a queue's message bodies are: an EventBridge event, its ``detail`` alone, or a body of a target's own.

EventBridge writes the whole event into a queue it delivers to, unless the target says
otherwise: ``input_path: $.detail`` writes only the detail, and ``input``, another
``input_path`` or an ``input_transformer`` write a body of the target's own. A queue
subscribed to an SNS topic receives SNS's JSON envelope around the message. The
consumer reads the shape from the topology (the rules that deliver to the queue) so
that a detail without its envelope is still validated as the one kind its rule
pins; a transformed body has no schema, so it is handed over unvalidated as a
:class:`RawMessage`, never passed off as a typed event.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.topology.model import Rule, Target, Topology

EVENT = "event"    # the EventBridge event, envelope and all
DETAIL = "detail"  # ``input_path: $.detail``: the detail of the one kind the rule pins
RAW = "raw"        # a body the target made (input, input_transformer, another input_path)

QUEUE_TARGET = "queue"  # the target key of a queue (topology.targets)
WHOLE_EVENT_PATHS = frozenset({"$"})
DETAIL_PATHS = frozenset({"$.detail"})
SNS_NOTIFICATION = "Notification"


@dataclass(frozen=True)
class Shape:
    """How one rule's target writes the bodies it delivers to a queue."""

    rule: str
    form: str                  # EVENT, DETAIL or RAW
    schema: str | None = None  # DETAIL: the schema name the rule's pattern pins


@dataclass(frozen=True)
class RawMessage:
    """A body a target wrote itself (``input``, ``input_transformer`` or an ``input_path`` other than
    ``$``/``$.detail``): there is no schema to check it against, so it is **not validated**.

    ``data`` is the body parsed as JSON (None when it is not JSON: a transformer may write
    plain text); ``body`` is the text as SQS delivered it (after any SNS envelope).
    Register a handler for it with ``agent.on(RawMessage)``.
    """

    body: str
    data: Any
    rules: tuple[str, ...] = ()  # the rules that may have written it

    schema_name = "RawMessage"


@dataclass(frozen=True)
class Decoded:
    """A body read: its form, and for events and details what validation needs."""

    form: str
    source: str | None = None
    detail_type: str | None = None
    detail: Any = None
    event_id: str | None = None
    time: datetime | None = None
    resources: tuple[str, ...] = ()
    raw: RawMessage | None = None
    schema: str | None = None  # DETAIL: the schema the topology says it follows


class UndecodableMessage(ValueError):
    """A body that is none of the shapes the queue receives: dead-lettered, never retried."""


def queue_shapes(topology: "Topology", logical: str) -> list[Shape]:
    """How each rule that delivers to queue ``logical`` writes its bodies (empty: none declared)."""
    from cabructl.resources.arns import deliveries_to

    shapes = []
    for rule in deliveries_to(topology, QUEUE_TARGET, logical):
        for target in rule.targets:
            if target.kind == QUEUE_TARGET and target.ref == logical:
                shapes.append(_shape(topology, rule, target))
    return shapes


def _shape(topology: "Topology", rule: "Rule", target: "Target") -> Shape:
    if target.input is not None or target.input_transformer is not None:
        return Shape(rule.logical, RAW)
    if target.input_path is None or target.input_path in WHOLE_EVENT_PATHS:
        return Shape(rule.logical, EVENT)
    if target.input_path in DETAIL_PATHS:
        schema = pinned_schema(topology, rule.pattern)
        return Shape(rule.logical, DETAIL, schema) if schema is not None else Shape(rule.logical, RAW)
    return Shape(rule.logical, RAW)


def pinned_schema(topology: "Topology", pattern: dict[str, Any]) -> str | None:
    """The one schema a pattern admits: it names exactly one detail-type (and, if any, sources of that schema)."""
    detail_types = pattern.get("detail-type")
    if not (isinstance(detail_types, list) and len(detail_types) == 1 and isinstance(detail_types[0], str)):
        return None
    sources = pattern.get("source")
    named = [schema.name for schema in topology.schemas.values() if schema.detail_type == detail_types[0]
             and (not isinstance(sources, list) or schema.source in sources)]
    return named[0] if len(named) == 1 else None


def decode(body: str, shapes: Sequence[Shape]) -> Decoded:
    """The body as the queue's deliveries wrote it; raises UndecodableMessage naming why it is none of them."""
    data = _json(body)
    if isinstance(data, dict) and data.get("Type") == SNS_NOTIFICATION and isinstance(data.get("Message"), str) \
            and "TopicArn" in data:
        body, data = data["Message"], _json(data["Message"])
    if isinstance(data, dict) and {"source", "detail-type", "detail"} <= data.keys():
        return _event(data)
    details = {shape.schema for shape in shapes if shape.form == DETAIL}
    raw_rules = tuple(shape.rule for shape in shapes if shape.form == RAW)
    if len(details) == 1 and isinstance(data, dict):
        return Decoded(DETAIL, detail=data, event_id=body_digest(body), schema=details.pop(), time=parse_time(data.get("timestamp")),
                       raw=RawMessage(body, data, raw_rules) if raw_rules else None)
    if raw_rules:
        return Decoded(RAW, event_id=body_digest(body), raw=RawMessage(body, data, raw_rules))
    if data is _NOT_JSON:
        raise UndecodableMessage("the body is not JSON")
    raise UndecodableMessage("the body is not an EventBridge event (no source, detail-type and detail)")


def _event(data: dict[str, Any]) -> Decoded:
    resources = data.get("resources") or ()
    return Decoded(EVENT, source=data.get("source"), detail_type=data.get("detail-type"), detail=data.get("detail"),
                   event_id=str(data["id"]) if data.get("id") else body_digest(json.dumps(data, sort_keys=True)),
                   time=parse_time(data.get("time")), resources=tuple(resources) if isinstance(resources, list) else ())


_NOT_JSON = object()


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return _NOT_JSON


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time with zone (EventBridge's ``time``, a detail's ``timestamp``), else None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def body_digest(body: str) -> str:
    """The id of a body without an EventBridge id: the same delivery twice has the same digest."""
    return "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]
