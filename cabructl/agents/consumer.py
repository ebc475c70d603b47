"""Consuming a queue: long-poll receives, handlers on worker threads, batched acks, clean shutdown.

Threads of a running consumer: one receiver (long polls of ten messages, only when the
workers have room, so a message never waits long enough in memory to expire), the
workers, and a housekeeper (batched deletes, visibility heartbeat). Messages are handed
to workers by key: on a FIFO queue the key is the MessageGroupId, so one group's events
run one at a time and in order while other groups run in parallel; on a standard queue
every message is its own key.

Nothing is deleted that was not handled, a duplicate, or dead-lettered. Stopping
(``stop()``, SIGTERM/SIGINT under ``run``) stops receiving, makes messages not yet
started visible again at once, lets running handlers finish until ``shutdown_timeout``,
deletes what succeeded and leaves the rest to reappear when their visibility expires.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from cabructl.agents.acks import (
    CHANGE_VISIBILITY, DELETE, RECEIVE, SEND, Acknowledger, Heartbeat, Housekeeper, Message, QueueClient,
)
from cabructl.agents.dispatch import POLL_SECONDS, Dispatcher
from cabructl.agents.processing import (
    BUSY, HANDLE, INVALID, ConsumerStats, Delivery, EventContext, Pipeline, QueueInfo, Verdict, dead_letter,
)
from cabructl.agents.telemetry import DEAD_LETTERED, DUPLICATE, FAILED, HANDLED
from cabructl.constants import SQS_RECEIVE_MAX_MESSAGES, SQS_VISIBILITY_RANGE

LEFT = "left"              # held by another consumer, or invalid with nowhere to dead-letter it: left in the queue
DEFAULT_SHUTDOWN_TIMEOUT = 30.0

Handler = Callable[[Any, EventContext], Any]


@dataclass(frozen=True)
class Consumed:
    """One message's outcome, as the observer (the CLI's line per event) sees it."""

    outcome: str  # HANDLED, DUPLICATE, FAILED, DEAD_LETTERED or LEFT
    detail_type: str
    message_id: str
    context: EventContext | None = None
    error: str | None = None


@dataclass(frozen=True)
class ConsumerOptions:
    """How a consumer runs; see :meth:`EventBridgeAgent.run` for each."""

    workers: int = 1
    wait_seconds: int | None = None  # None: the queue's own long-poll wait (QueueInfo.poll_seconds)
    max_messages: int | None = None
    idle_exit: float | None = None
    failure_visibility: int | None = None
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT
    flush_after: float = 0.5


class NoHandlerError(LookupError):
    """No handler is registered for the event's kind (``agent.on(...)``)."""


class Consumer:
    """One queue consumed by one process; ``run`` with worker threads, or ``iterate`` in the caller's loop."""

    def __init__(self, pipeline: Pipeline, client: QueueClient, options: ConsumerOptions, agent_id: str, *,
                 handler_for: Callable[[Delivery], Handler | None] = lambda delivery: None,
                 observer: Callable[[Consumed], None] | None = None,
                 tracker: Any = None) -> None:
        self.pipeline = pipeline
        self.queue: QueueInfo = pipeline.queue
        self.client = client
        self.options = options
        self.agent_id = agent_id
        self.handler_for = handler_for
        self.observer = observer
        self.tracker = tracker
        self.acks = Acknowledger(client, options.flush_after)
        self.heartbeat = Heartbeat(client, self.queue.visibility)
        self._stopping = threading.Event()
        self._closed = False  # after shutdown: a handler that finishes late is not acknowledged
        self._received = 0
        self._last_message = time.monotonic()
        self._error: BaseException | None = None

    def stop(self) -> None:
        """Stop receiving; what runs may finish (``shutdown_timeout``), what has not started is let go."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def stats(self) -> ConsumerStats:
        """This consumer's counts, with the SQS calls it made by kind."""
        calls = self.client.calls
        return dataclasses.replace(self.pipeline.stats.snapshot(), receive_calls=calls[RECEIVE], delete_calls=calls[DELETE],
                                   change_visibility_calls=calls[CHANGE_VISIBILITY], send_calls=calls[SEND])

    # -- receiving ----------------------------------------------------------------------------
    def _receive(self) -> list[Message] | None:
        """The next messages (maybe none), or None once the consumer is done: stopped, a limit reached, idle."""
        options = self.options
        wanted = SQS_RECEIVE_MAX_MESSAGES
        if options.max_messages is not None:
            wanted = min(wanted, options.max_messages - self._received)
        idle = time.monotonic() - self._last_message
        if self.stopping or wanted <= 0 or (options.idle_exit is not None and idle >= options.idle_exit):
            return None
        wait = self.queue.poll_seconds if options.wait_seconds is None else options.wait_seconds
        if options.idle_exit is not None:
            wait = max(0, min(wait, int(options.idle_exit - idle + 0.999)))
        requested_at = time.monotonic()
        messages = self.client.receive(wanted, wait)
        if not messages and wait == 0:
            time.sleep(POLL_SECONDS)  # a short poll that found nothing: do not spin
        if self.stopping:
            self._release(messages)
            return None
        now = time.monotonic()
        if messages:
            self._last_message = now
        self._received += len(messages)
        self.pipeline.stats.add("received", len(messages))
        for message in messages:
            self.heartbeat.hold(message, requested_at)
        return messages

    def _release(self, messages: list[Message]) -> None:
        for message in messages:
            self.heartbeat.drop(message)
        if messages:
            self.client.release(messages)
            self.pipeline.stats.add("released", len(messages))

    # -- one message ----------------------------------------------------------------------------
    def _open(self, message: Message) -> Verdict | None:
        """The verdict on a message, its non-handler outcomes already settled; None if it was settled."""
        try:
            verdict = self.pipeline.open(message)
        except Exception as error:  # noqa: BLE001 - the store or SQS failed: leave the message for a retry
            self.heartbeat.drop(message)
            self.pipeline.outcome(FAILED, None)
            self._observe(Consumed(FAILED, "unknown", message.message_id, error=f"{type(error).__name__}: {error}"))
            return None
        if verdict.action == HANDLE:
            return verdict
        context = verdict.delivery.context if verdict.delivery else None
        if verdict.action == DUPLICATE:
            self._acknowledge(message)
            self._observe(Consumed(DUPLICATE, verdict.detail_type, message.message_id, context))
        elif verdict.action == BUSY:
            self.heartbeat.drop(message)
            self._return_when_the_claim_can_be_taken(message)
            self._observe(Consumed(LEFT, verdict.detail_type, message.message_id, context, "another consumer is handling it"))
        elif verdict.action == INVALID:
            self._refuse(message, verdict)
        return None

    def _return_when_the_claim_can_be_taken(self, message: Message) -> None:
        """A message whose event another holds comes back once that claim must have expired, not sooner.

        Each return costs a receive toward the queue's ``max_receives``: with the queue's own
        visibility shorter than ``in_progress_expiry``, the events of a consumer that crashed
        mid-handler would reach the dead-letter queue before their claims ran out, unhandled.
        A claim lasts at most ``in_progress_expiry`` (+1 s: claims are kept in whole seconds).
        """
        seconds = min(self.queue.in_progress_expiry + 1, SQS_VISIBILITY_RANGE[1])
        try:
            self.client.change_visibility([message], seconds)
        except Exception:  # noqa: BLE001 - then it comes back after the queue's visibility timeout, as before
            pass

    def _refuse(self, message: Message, verdict: Verdict) -> None:
        reason = verdict.reason or "invalid"
        if dead_letter(self.client, self.queue, message, reason, self.agent_id):
            self._acknowledge(message)
            self.pipeline.outcome(DEAD_LETTERED, None, verdict.detail_type)
            self._observe(Consumed(DEAD_LETTERED, verdict.detail_type, message.message_id, error=reason))
            return
        self.heartbeat.drop(message)
        self.pipeline.stats.add("undeliverable")
        self._observe(Consumed(LEFT, verdict.detail_type, message.message_id,
                               error=f"{reason} (the queue has no dead-letter queue: left in it)"))

    def _handle(self, delivery: Delivery) -> bool:
        handler = self.handler_for(delivery)
        error: str | None = None
        self._enter(delivery)
        try:
            if handler is None:
                raise NoHandlerError(f"no handler for {delivery.kind} (register one with agent.on)")
            handler(delivery.event, delivery.context)
        except Exception as failure:  # noqa: BLE001 - a handler's exception means "retry", whatever it is
            error = f"{type(failure).__name__}: {failure}"
        finally:
            self._leave(delivery)
        self._finish(delivery, error)
        return error is None

    def _enter(self, delivery: Delivery) -> None:
        if self.tracker is not None:
            self.tracker.enter(delivery)

    def _leave(self, delivery: Delivery) -> None:
        if self.tracker is not None:
            self.tracker.leave(delivery)

    def _finish(self, delivery: Delivery, error: str | None) -> None:
        message = delivery.message
        self.heartbeat.drop(message)
        outcome = HANDLED if error is None else FAILED
        try:
            if error is None:
                self.pipeline.succeeded(delivery)
                self._acknowledge(message)
            else:
                self.pipeline.failed(delivery)
                if self.options.failure_visibility is not None and not self._closed:
                    self.client.change_visibility([message], self.options.failure_visibility)
        except Exception as failure:  # noqa: BLE001 - not deleted: the message comes back
            outcome, error = FAILED, f"{type(failure).__name__}: {failure}"
        self._observe(Consumed(outcome, delivery.context.detail_type or delivery.kind, message.message_id,
                               delivery.context, error))

    def _acknowledge(self, message: Message) -> None:
        self.heartbeat.drop(message)
        if not self._closed:
            self.acks.delete(message)

    def _observe(self, consumed: Consumed) -> None:
        if self.observer is not None:
            self.observer(consumed)

    # -- the caller's loop ----------------------------------------------------------------------
    def iterate(self, with_context: bool = False) -> Iterator[Any]:
        """Yield each valid, new event; it is acknowledged when the loop asks for the next one.

        Leaving the loop (``break``, an exception) leaves the event in hand unacknowledged:
        it is redelivered (its claim dropped) — the consumer cannot tell a break after the
        work from a failure. Stop with ``stop()`` or ``max_messages`` instead.
        """
        housekeeper = Housekeeper(self.acks, self.heartbeat).start()
        try:
            while (batch := self._receive()) is not None:
                for position, message in enumerate(batch):
                    if self.stopping:
                        self._release(batch[position:])
                        break
                    verdict = self._open(message)
                    if verdict is None or verdict.delivery is None:
                        continue
                    delivery = verdict.delivery
                    self._enter(delivery)
                    try:
                        yield (delivery.event, delivery.context) if with_context else delivery.event
                    except GeneratorExit:
                        self._leave(delivery)
                        self._finish(delivery, "the consuming loop was left before this event was acknowledged")
                        self._release(batch[position + 1:])
                        raise
                    self._leave(delivery)
                    self._finish(delivery, None)
                if batch:
                    self._last_message = time.monotonic()  # time in the loop's body is not idle time
        finally:
            self.acks.flush()
            housekeeper.stop()

    # -- worker threads ---------------------------------------------------------------------------
    def run(self) -> None:
        """Consume until stopped, ``max_messages`` received or ``idle_exit`` seconds without one."""
        dispatcher = Dispatcher()
        housekeeper = Housekeeper(self.acks, self.heartbeat).start()
        receiver = threading.Thread(target=self._receive_loop, args=(dispatcher,), name="cabructl-consumer-receiver", daemon=True)
        workers = [threading.Thread(target=self._work, args=(dispatcher,), name=f"cabructl-consumer-{n}", daemon=True)
                   for n in range(max(1, self.options.workers))]
        for thread in (receiver, *workers):
            thread.start()
        try:
            while receiver.is_alive() and not self.stopping:
                receiver.join(POLL_SECONDS)
            if self.stopping:
                self._release(dispatcher.close())
                dispatcher.wait_idle(time.monotonic() + self.options.shutdown_timeout)
            else:
                dispatcher.wait_idle(None)
                dispatcher.close()
        finally:
            self._closed = True
            self.acks.flush()
            housekeeper.stop()
        if self._error is not None:
            raise self._error

    def _receive_loop(self, dispatcher: Dispatcher) -> None:
        try:
            while dispatcher.wait_for_room(self.options.workers, self._stopping):
                if dispatcher.outstanding():
                    self._last_message = time.monotonic()  # busy workers are not idleness
                batch = self._receive()
                if batch is None:
                    return
                for message in batch:
                    dispatcher.put(message.group if self.queue.fifo and message.group else message.message_id, message)
        except Exception as error:  # noqa: BLE001 - reported by run() after a clean shutdown
            self._error = error
            self.stop()

    def _work(self, dispatcher: Dispatcher) -> None:
        while (taken := dispatcher.take()) is not None:
            key, message = taken
            ok = False
            try:
                verdict = self._open(message)
                ok = verdict is None or verdict.delivery is None or self._handle(verdict.delivery)
            finally:
                rest = dispatcher.done(key, stop_group=not ok and self.queue.fifo)
                self._release(rest)  # a FIFO group stops at its first failure: order is kept
