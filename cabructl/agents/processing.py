"""One message's way to its handler, the same for the queue consumer and for Lambda: decode, validate, claim.

Every step that can refuse a message decides what becomes of it:

    decode / validate fails   → dead-lettered at once (a retry cannot fix it), reason attached
    already handled           → a duplicate: deleted, counted, the handler not run
    another consumer holds it → left alone: it comes back after the visibility timeout
    otherwise                 → the handler runs; success completes the claim, failure drops it

The consumer (or the Lambda wrapper) does the SQS side of each verdict.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from cabructl.agents.acks import Message, QueueClient
from cabructl.agents.entries import CAUSATION_FIELD, CORRELATION_FIELD
from cabructl.agents.envelopes import DETAIL, EVENT, Decoded, RawMessage, Shape, UndecodableMessage, decode
from cabructl.agents.errors import EventValidationError, UnknownEventError
from cabructl.agents.events import TYPED_EVENTS, GenericEvent
from cabructl.agents.idempotency import ACQUIRED, COMPLETED, IdempotencyStore, claim_key
from cabructl.agents.results import Counters
from cabructl.agents.telemetry import DEAD_LETTERED, DUPLICATE, FAILED, HANDLED, Telemetry
from cabructl.constants import (
    CONSUMER_AGENT_ATTRIBUTE,
    CONSUMER_QUEUE_ATTRIBUTE,
    CONSUMER_REASON_ATTRIBUTE,
    CONSUMER_RECEIVES_ATTRIBUTE,
    IDEMPOTENCY_IN_PROGRESS_EXPIRY,
    SQS_LONG_POLL_SECONDS,
    SQS_RETENTION_DEFAULT,
    SQS_VISIBILITY_DEFAULT,
)

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.agents.catalog import EventCatalog, EventKind

HANDLE, BUSY, INVALID = "handle", "busy", "invalid"
REASON_MAX_CHARS = 1000
_TYPED = {event_class.schema_name: event_class for event_class in TYPED_EVENTS}


@dataclass(frozen=True)
class QueueInfo:
    """What consuming one queue needs to know, from the topology or the live queue's attributes."""

    name: str                      # the logical name (or, for a queue outside the topology, its AWS name)
    url: str
    arn: str = ""
    shapes: tuple[Shape, ...] = ()
    dead_letter_url: str | None = None
    dead_letter_fifo: bool = False
    retention: int = SQS_RETENTION_DEFAULT
    visibility: int = SQS_VISIBILITY_DEFAULT
    fifo: bool = False
    in_progress_expiry: int = IDEMPOTENCY_IN_PROGRESS_EXPIRY
    poll_seconds: int = SQS_LONG_POLL_SECONDS  # how long a receive waits (constants.long_poll_seconds of its receive wait)


@dataclass(frozen=True)
class EventContext:
    """What a handler may want besides the event: where and how it arrived.

    ``event_id`` is the EventBridge event's id; a body without the envelope (``input_path:
    $.detail``, a transformed body) has none, and gets a digest of the body instead.
    """

    queue: str
    message_id: str
    receive_count: int
    event_id: str
    source: str | None
    detail_type: str | None
    time: datetime | None
    correlation_id: str | None
    causation_id: str | None = None
    group: str | None = None
    form: str = EVENT  # EVENT, DETAIL or RAW (envelopes)


@dataclass(frozen=True)
class Delivery:
    """A message the handler is to see, as the typed event (GenericEvent, RawMessage) and its context."""

    message: Message
    event: Any
    context: EventContext
    kind: str  # the schema name, or "RawMessage": which handler runs
    key: str   # the idempotency claim


@dataclass(frozen=True)
class Verdict:
    action: str  # HANDLE, DUPLICATE, BUSY or INVALID
    delivery: Delivery | None = None
    reason: str | None = None
    detail_type: str = "unknown"


@dataclass(frozen=True)
class ConsumerStats:
    """Counts since the consumer (or agent) started, and the SQS calls it made by kind."""

    received: int = 0
    handled: int = 0
    duplicates: int = 0
    failed: int = 0
    dead_lettered: int = 0
    busy: int = 0            # held by another consumer: left to come back
    undeliverable: int = 0   # invalid with no dead-letter queue: left in the queue, reported
    released: int = 0        # received but never handed to a handler (shutdown, a FIFO group stopped)
    receive_calls: int = 0
    delete_calls: int = 0
    change_visibility_calls: int = 0
    send_calls: int = 0

    @property
    def sqs_calls(self) -> int:
        return self.receive_calls + self.delete_calls + self.change_visibility_calls + self.send_calls

    @property
    def calls_per_message(self) -> float:
        return self.sqs_calls / self.received if self.received else 0.0


class StatsCounter(Counters[ConsumerStats]):
    """The counters behind :class:`ConsumerStats`."""

    def __init__(self) -> None:
        super().__init__(ConsumerStats)


class Pipeline:
    """Decode, validate and claim messages of one queue; finish their claims; report each outcome."""

    def __init__(self, catalog: "EventCatalog", queue: QueueInfo, store: IdempotencyStore, telemetry: Telemetry,
                 agent: str | None, stats: StatsCounter) -> None:
        self.catalog = catalog
        self.queue = queue
        self.store = store
        self.telemetry = telemetry
        self.agent = agent
        self.stats = stats
        self._handling: Counter[str] = Counter()  # claim keys this pipeline's handlers hold right now
        self._handled_here = threading.Condition()

    def open(self, message: Message) -> Verdict:
        try:
            delivery = self._delivery(message, decode(message.body, self.queue.shapes))
        except (UndecodableMessage, UnknownEventError, EventValidationError) as error:
            return Verdict(INVALID, reason=_one_line(str(error)), detail_type=getattr(error, "detail_type", "unknown"))
        if not self._hold_locally(delivery.key):
            self.stats.add("busy")  # its handler here outlived the claim's expiry: it runs, so it is not free
            return Verdict(BUSY, delivery, detail_type=_detail_type(delivery))
        try:
            claim = self.store.claim(delivery.key, self.queue.in_progress_expiry)
        except BaseException:
            self._let_go_locally(delivery.key)
            raise
        if claim == ACQUIRED:
            return Verdict(HANDLE, delivery, detail_type=_detail_type(delivery))
        self._let_go_locally(delivery.key)
        if claim == COMPLETED:
            self.outcome(DUPLICATE, delivery)
            return Verdict(DUPLICATE, delivery, detail_type=_detail_type(delivery))
        self.stats.add("busy")
        return Verdict(BUSY, delivery, detail_type=_detail_type(delivery))

    def succeeded(self, delivery: Delivery) -> None:
        try:
            self.store.complete(delivery.key, self.queue.retention)
        finally:
            self._let_go_locally(delivery.key)
        self.outcome(HANDLED, delivery)

    def failed(self, delivery: Delivery) -> None:
        try:
            self.store.release(delivery.key)
        finally:
            self._let_go_locally(delivery.key)
            self.outcome(FAILED, delivery)

    def _hold_locally(self, key: str) -> bool:
        """A copy of an event this process is handling waits for that handler (at most the claim's expiry),
        so that it is then a plain duplicate, rather than racing the store and being left as busy.

        False when the handler still runs after that: its claim may have expired in the store,
        but this process knows the handler is alive, so the copy must not start a second run.
        """
        deadline = time.monotonic() + self.queue.in_progress_expiry
        with self._handled_here:
            while self._handling[key] and (left := deadline - time.monotonic()) > 0:
                self._handled_here.wait(left)
            if self._handling[key]:
                return False
            self._handling[key] += 1
            return True

    def _let_go_locally(self, key: str) -> None:
        with self._handled_here:
            self._handling[key] -= 1
            if self._handling[key] <= 0:
                del self._handling[key]
            self._handled_here.notify_all()

    def outcome(self, outcome: str, delivery: Delivery | None, detail_type: str = "unknown") -> None:
        self.stats.add({HANDLED: "handled", DUPLICATE: "duplicates", FAILED: "failed", DEAD_LETTERED: "dead_lettered"}[outcome])
        when = delivery.context.time if delivery else None
        latency = (datetime.now(timezone.utc) - when).total_seconds() if when else None
        self.telemetry.consumed(self.agent, _detail_type(delivery) if delivery else detail_type, outcome, latency)

    # -- decoding -----------------------------------------------------------------------------
    def _delivery(self, message: Message, decoded: Decoded) -> Delivery:
        if decoded.form == EVENT:
            if not isinstance(decoded.source, str) or not isinstance(decoded.detail_type, str):
                raise UndecodableMessage("the event's source and detail-type must be strings")
            kind = self.catalog.kind_for_entry(decoded.source, decoded.detail_type)
            return self._validated(message, decoded, kind)
        if decoded.form == DETAIL and decoded.schema is not None:
            kind = self.catalog.kind(decoded.schema)
            if decoded.raw is None or not kind.problems(decoded.detail):
                return self._validated(message, decoded, kind)
        raw = decoded.raw
        assert raw is not None
        return Delivery(message, raw, self._context(message, decoded, {}), RawMessage.schema_name,
                        claim_key(self.queue.name, str(decoded.event_id)))

    def _validated(self, message: Message, decoded: Decoded, kind: "EventKind") -> Delivery:
        detail = decoded.detail
        if not isinstance(detail, dict):
            raise EventValidationError(kind.detail_type, [f"detail must be a JSON object, not {type(detail).__name__}"])
        kind.validate(detail)
        context = self._context(message, decoded, detail, kind)
        return Delivery(message, typed_event(kind.name, detail, decoded), context, kind.name,
                        claim_key(self.queue.name, context.event_id))

    def _context(self, message: Message, decoded: Decoded, detail: dict[str, Any],
                 kind: "EventKind | None" = None) -> EventContext:
        return EventContext(self.queue.name, message.message_id, message.receive_count, str(decoded.event_id),
                            decoded.source or (kind.source if kind else None),
                            decoded.detail_type or (kind.detail_type if kind else None), decoded.time,
                            _text(detail.get(CORRELATION_FIELD)), _text(detail.get(CAUSATION_FIELD)), message.group,
                            decoded.form)


def typed_event(schema: str, detail: dict[str, Any], decoded: Decoded | None = None) -> Any:
    """The typed event class of ``schema`` when there is one that fits, else a GenericEvent."""
    event_class = _TYPED.get(schema)
    if event_class is not None:
        try:
            return event_class.from_detail(detail)
        except TypeError:  # this topology's schema of that name is not the typed class's
            pass
    return GenericEvent(schema, dict(detail), resources=list(decoded.resources) if decoded else [],
                        time=decoded.time if decoded else None)


def dead_letter(client: QueueClient, queue: QueueInfo, message: Message, reason: str, agent: str) -> bool:
    """Send a message that no retry can fix to the queue's DLQ with why; False when there is none."""
    if queue.dead_letter_url is None:
        return False
    attributes = {CONSUMER_REASON_ATTRIBUTE: reason[:REASON_MAX_CHARS], CONSUMER_QUEUE_ATTRIBUTE: queue.arn,
                  CONSUMER_RECEIVES_ATTRIBUTE: str(message.receive_count), CONSUMER_AGENT_ATTRIBUTE: agent}
    group = (message.group or queue.name) if queue.dead_letter_fifo else None
    client.send(queue.dead_letter_url, message.body, attributes, group, message.message_id if group else None)
    return True


def _detail_type(delivery: Delivery | None) -> str:
    if delivery is None:
        return "unknown"
    return delivery.context.detail_type or delivery.kind


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _one_line(text: str) -> str:
    return " ".join(text.split())
