"""The consuming half of ``EventBridgeAgent``: ``consume``, ``on``, ``run``, ``stop`` and ``reply``.

::

    agent = EventBridgeAgent(agent_id="ci-001")
    for event in agent.consume("cicd-changes"):     # a CodeChangeEvent; acknowledged when the body returns
        deploy(event)

    @agent.on(CodeChangeEvent)
    def handle(event, context): ...
    agent.run("cicd-changes", workers=4)            # until SIGTERM/SIGINT or agent.stop()

A mixin so that the publisher (client.py) stays about publishing; it uses only the
agent's ``topology``, ``catalog``, ``aws``, ``agent_id``/``agent_name`` and ``publish``.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterator

from cabructl.agents.acks import QueueClient
from cabructl.agents.consumer import Consumed, Consumer, ConsumerOptions, Handler
from cabructl.agents.entries import CAUSATION_FIELD, CORRELATION_FIELD
from cabructl.agents.envelopes import RawMessage
from cabructl.agents.events import GenericEvent
from cabructl.agents.idempotency import IdempotencyStore, default_store
from cabructl.agents.processing import ConsumerStats, Delivery, EventContext, Pipeline, StatsCounter
from cabructl.agents.queues import resolve_queue
from cabructl.agents.telemetry import NullTelemetry, Telemetry

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.agents.results import EventResult

ANY = "*"
_state_lock = threading.Lock()


class _Handling:
    """The events handlers hold right now, so ``reply(to=event)`` finds the event's context."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_event: dict[int, tuple[Any, EventContext]] = {}

    def enter(self, delivery: Delivery) -> None:
        with self._lock:
            self._by_event[id(delivery.event)] = (delivery.event, delivery.context)

    def leave(self, delivery: Delivery) -> None:
        with self._lock:
            self._by_event.pop(id(delivery.event), None)

    def context_of(self, event: Any) -> EventContext | None:
        with self._lock:
            held = self._by_event.get(id(event))
        return held[1] if held is not None and held[0] is event else None


class _ListenerState:
    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.handling = _Handling()
        self.consumers: list[Consumer] = []
        self.store: IdempotencyStore | None = None


class ListenerMixin:
    """Consume the topology's queues as this agent. Needs the attributes EventBridgeAgent sets."""

    topology: Any
    catalog: Any
    aws: Any
    agent_id: str
    agent_name: str | None
    publish: Callable[..., "EventResult"]
    _listener_state: _ListenerState | None = None

    def on(self, kind: Any = None) -> Callable[[Handler], Handler]:
        """Register ``handler(event, context)`` for a typed event class, a schema name or detail-type,
        ``RawMessage`` (transformed bodies), or — with no argument or GenericEvent — everything else."""
        key = self._handler_key(kind)

        def register(handler: Handler) -> Handler:
            self._listener().handlers[key] = handler
            return handler

        return register

    def consume(self, queue: str, *, with_context: bool = False, wait_seconds: int | None = None,
                max_messages: int | None = None, idle_exit: float | None = None, store: IdempotencyStore | None = None,
                telemetry: Telemetry | None = None) -> Iterator[Any]:
        """Each new, valid event of ``queue`` (a logical name or a URL), as its typed class; ``with_context``
        yields ``(event, context)``. An event is acknowledged when the loop asks for the next one; leaving the
        loop leaves the event in hand to be redelivered (use ``max_messages``, ``idle_exit`` or ``stop()``)."""
        options = ConsumerOptions(1, wait_seconds, max_messages, idle_exit)
        consumer = self._consumer(queue, options, store, telemetry, None)
        try:
            yield from consumer.iterate(with_context)
        finally:
            self._listener().consumers.remove(consumer)

    def run(self, queue: str, workers: int = 4, *, handler: Handler | None = None, wait_seconds: int | None = None,
            max_messages: int | None = None, idle_exit: float | None = None, failure_visibility: int | None = None,
            shutdown_timeout: float = 30.0, store: IdempotencyStore | None = None, telemetry: Telemetry | None = None,
            observer: Callable[[Consumed], None] | None = None, install_signals: bool = True) -> ConsumerStats:
        """Run the registered handlers (or ``handler`` for every event) on ``workers`` threads until
        ``stop()``, SIGTERM/SIGINT (on the main thread), ``max_messages`` or ``idle_exit`` seconds idle.

        A handler that raises leaves its message to SQS: it is received again when its visibility
        timeout ends (``failure_visibility=0``: at once), and after the queue's ``max_receives`` SQS
        moves it to the dead-letter queue. Returns this run's counts.
        """
        options = ConsumerOptions(workers, wait_seconds, max_messages, idle_exit, failure_visibility, shutdown_timeout)
        consumer = self._consumer(queue, options, store, telemetry, observer, handler)
        restore = _install_stop_signals(consumer.stop) if install_signals else None
        try:
            consumer.run()
        finally:
            if restore is not None:
                restore()
            self._listener().consumers.remove(consumer)
        return consumer.stats

    def stop(self) -> None:
        """Stop every consumer of this agent (safe from a handler, a signal handler or another thread)."""
        for consumer in list(self._listener().consumers):
            consumer.stop()

    def reply(self, to: Any, event: Any, **publish_options: Any) -> "EventResult":
        """Publish ``event`` as the answer to ``to`` (the event being handled, or its EventContext):
        it carries the original correlationId, and causationId = the causing event's id."""
        context = to if isinstance(to, EventContext) else self._listener().handling.context_of(to)
        if context is None:
            raise ValueError("reply(to=...) takes the event a handler is handling, or its EventContext")
        _stamp(event, context)
        return self.publish(event, correlation_id=context.correlation_id, **publish_options)

    # -- plumbing -------------------------------------------------------------------------------
    def _consumer(self, queue: str, options: ConsumerOptions, store: IdempotencyStore | None, telemetry: Telemetry | None,
                  observer: Callable[[Consumed], None] | None, handler: Handler | None = None) -> Consumer:
        state = self._listener()
        info = resolve_queue(self.topology, self.aws, queue)
        if store is None:
            with _state_lock:
                state.store = state.store or default_store(self.topology, self.aws)
            store = state.store
        telemetry = telemetry or getattr(self, "telemetry", None) or NullTelemetry()  # the agent's, if it has one
        pipeline = Pipeline(self.catalog, info, store, telemetry, self.agent_name, StatsCounter())  # None: "unknown"
        handlers = state.handlers

        def handler_for(delivery: Delivery) -> Handler | None:
            return handler or handlers.get(delivery.kind) or handlers.get(ANY)

        consumer = Consumer(pipeline, QueueClient(self.aws.client("sqs"), info.url), options, self.agent_id,
                            handler_for=handler_for, observer=observer, tracker=state.handling)
        state.consumers.append(consumer)
        return consumer

    def _listener(self) -> _ListenerState:
        with _state_lock:
            if self._listener_state is None:
                self._listener_state = _ListenerState()
            return self._listener_state

    def _handler_key(self, kind: Any) -> str:
        if kind is None or kind is GenericEvent or kind == ANY:
            return ANY
        if kind is RawMessage:
            return RawMessage.schema_name
        name = kind if isinstance(kind, str) else getattr(kind, "schema_name", None)
        if not isinstance(name, str):
            raise TypeError(f"on() takes a typed event class, a schema name or detail-type, or RawMessage; not {kind!r}")
        return self.catalog.kind(name).name


def _stamp(event: Any, context: EventContext) -> None:
    """The reply's correlationId (unless it has one) and its causationId: the id of what it answers."""
    if isinstance(event, GenericEvent):
        event.detail.setdefault(CAUSATION_FIELD, context.event_id)
        if context.correlation_id:
            event.detail.setdefault(CORRELATION_FIELD, context.correlation_id)
        return
    if getattr(event, CAUSATION_FIELD, None) is None:
        setattr(event, CAUSATION_FIELD, context.event_id)
    if context.correlation_id and getattr(event, CORRELATION_FIELD, None) is None:
        setattr(event, CORRELATION_FIELD, context.correlation_id)


def _install_stop_signals(stop: Callable[[], None]) -> Callable[[], None] | None:
    """SIGTERM and SIGINT call ``stop`` while ``run`` runs (only the main thread may install handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = {number: signal.signal(number, lambda *_: stop()) for number in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore
