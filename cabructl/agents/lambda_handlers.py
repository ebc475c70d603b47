"""Handlers for AWS Lambda, with the consumer's validation and idempotency.

``sqs_handler(fn)`` is for a function triggered by an SQS queue (event source mapping
with ``ReportBatchItemFailures``): each record goes through the same pipeline as
``agent.run`` and ``fn(event, context)`` sees the typed event. The result lists the
records Lambda must not delete (``{"batchItemFailures": [{"itemIdentifier": id}]}``):
failed handlers, and records another consumer is handling now. A record that is not a
valid event is sent to the queue's dead-letter queue (with the reason attributes) and
reported as done; without a DLQ it is reported as failed, so SQS's redrive decides. On a
FIFO queue the first failure fails every later record too, keeping the group's order.

``event_handler(fn)`` is for a function that is itself a rule's target: it receives the
EventBridge event, validates it, skips an event id already handled, and calls
``fn(event, context)`` with the typed event and Lambda's context. An invalid event
raises :class:`EventValidationError`, so Lambda's own retries and on-failure
destination see it.

The topology is read once per execution environment (``$CABRUCTL_FILE`` or
``./topology.yaml`` in the task root); pass ``topology=``, ``store=`` or ``aws=`` to
choose otherwise.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

from cabructl.agents.acks import Message, QueueClient
from cabructl.agents.envelopes import EVENT, Decoded, parse_time
from cabructl.agents.idempotency import ACQUIRED, COMPLETED, IdempotencyStore, claim_key, default_store
from cabructl.agents.processing import BUSY, HANDLE, INVALID, EventContext, Pipeline, StatsCounter, Verdict, dead_letter, typed_event
from cabructl.agents.telemetry import DEAD_LETTERED, NullTelemetry, Telemetry

LAMBDA_AGENT_ID = "lambda"
EVENT_KEEP_SECONDS = 86_400  # EventBridge retries a delivery for at most 24 hours


class EventInProgress(RuntimeError):
    """Another invocation is handling this event id now; raising lets Lambda retry it later."""


class _Runtime:
    """What one execution environment reads once: topology, catalog, clients, store, pipelines by queue."""

    def __init__(self, topology: Any, aws: Any, store: IdempotencyStore | None, telemetry: Telemetry | None) -> None:
        from cabructl.agents.catalog import EventCatalog, cached_topology

        self.topology = topology if topology is not None else cached_topology()
        if aws is None:
            from cabructl.aws import Aws, AwsSettings

            aws = Aws(AwsSettings(region=self.topology.region))
        self.aws = aws
        self.catalog = EventCatalog(self.topology)
        self.store = store if store is not None else default_store(self.topology, aws)
        self.telemetry = telemetry or NullTelemetry()
        self.stats = StatsCounter()
        self._pipelines: dict[str, Pipeline] = {}
        self._lock = threading.Lock()

    def pipeline(self, source_arn: str) -> Pipeline:
        from cabructl.agents.queues import resolve_queue

        with self._lock:
            if source_arn not in self._pipelines:
                info = resolve_queue(self.topology, self.aws, source_arn)
                self._pipelines[source_arn] = Pipeline(self.catalog, info, self.store, self.telemetry, LAMBDA_AGENT_ID, self.stats)
            return self._pipelines[source_arn]


def _runtime_factory(topology: Any, aws: Any, store: Any, telemetry: Any) -> Callable[[], _Runtime]:
    """The handler's runtime, made on its first invocation (not at import) and once only."""
    from cabructl.aws import Once

    once = Once()
    return lambda: once.get(lambda: _Runtime(topology, aws, store, telemetry))


def sqs_handler(fn: Callable[[Any, EventContext], Any] | None = None, *, topology: Any = None, aws: Any = None,
                store: IdempotencyStore | None = None, telemetry: Telemetry | None = None) -> Any:
    """``@sqs_handler`` or ``@sqs_handler(store=...)``: a Lambda handler for an SQS event source."""
    if fn is None:
        return lambda inner: sqs_handler(inner, topology=topology, aws=aws, store=store, telemetry=telemetry)
    runtime = _runtime_factory(topology, aws, store, telemetry)

    @functools.wraps(fn)
    def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        state = runtime()
        failures: list[dict[str, str]] = []
        failed_groups: set[str] = set()
        for record in event.get("Records", []):
            message = Message.from_lambda(record)
            pipeline = state.pipeline(record.get("eventSourceARN", ""))
            fifo = pipeline.queue.fifo
            if fifo and (message.group or "") in failed_groups:
                ok = False
            else:
                ok = _record(fn, pipeline, state.aws, message)
            if not ok:
                failures.append({"itemIdentifier": message.message_id})
                if fifo:
                    failed_groups.add(message.group or "")
        return {"batchItemFailures": failures}

    handler.stats = lambda: runtime().stats.snapshot()  # type: ignore[attr-defined]
    return handler


def _record(fn: Callable[[Any, EventContext], Any], pipeline: Pipeline, aws: Any, message: Message) -> bool:
    """True when Lambda may delete the record: handled, a duplicate, or dead-lettered by us."""
    pipeline.stats.add("received")
    try:
        verdict = pipeline.open(message)
    except Exception:  # noqa: BLE001 - the store failed: the record comes back
        return False
    if verdict.action == INVALID:
        return _refuse(pipeline, aws, message, verdict)
    if verdict.action == BUSY:
        return False
    delivery = verdict.delivery
    if verdict.action != HANDLE or delivery is None:
        return True  # a duplicate
    try:
        fn(delivery.event, delivery.context)
    except Exception:  # noqa: BLE001 - reported to Lambda as a batch item failure
        pipeline.failed(delivery)
        return False
    pipeline.succeeded(delivery)
    return True


def _refuse(pipeline: Pipeline, aws: Any, message: Message, verdict: Verdict) -> bool:
    client = QueueClient(aws.client("sqs"), pipeline.queue.url)
    if dead_letter(client, pipeline.queue, message, verdict.reason or "invalid", LAMBDA_AGENT_ID):
        pipeline.outcome(DEAD_LETTERED, None, verdict.detail_type)
        return True
    pipeline.stats.add("undeliverable")
    return False


def event_handler(fn: Callable[[Any, Any], Any] | None = None, *, topology: Any = None, aws: Any = None,
                  store: IdempotencyStore | None = None, telemetry: Telemetry | None = None) -> Any:
    """``@event_handler``: a Lambda handler for a function that is a rule's target (it gets the event itself)."""
    if fn is None:
        return lambda inner: event_handler(inner, topology=topology, aws=aws, store=store, telemetry=telemetry)
    runtime = _runtime_factory(topology, aws, store, telemetry)

    @functools.wraps(fn)
    def handler(event: dict[str, Any], context: Any = None) -> Any:
        state = runtime()
        kind = state.catalog.kind_for_entry(str(event.get("source")), str(event.get("detail-type")))
        detail = event.get("detail")
        kind.validate(detail if isinstance(detail, dict) else {})
        assert isinstance(detail, dict)
        key = claim_key(getattr(context, "function_name", None) or LAMBDA_AGENT_ID, str(event.get("id")))
        claim = state.store.claim(key, _in_progress_expiry(state.topology))
        if claim == COMPLETED:
            state.stats.add("duplicates")
            return None
        if claim != ACQUIRED:
            raise EventInProgress(f"event {event.get('id')} is being handled by another invocation")
        decoded = Decoded(EVENT, kind.source, kind.detail_type, detail, str(event.get("id")), parse_time(event.get("time")),
                          tuple(event.get("resources") or ()))
        try:
            result = fn(typed_event(kind.name, detail, decoded), context)
        except Exception:
            state.store.release(key)
            state.stats.add("failed")
            raise
        state.store.complete(key, EVENT_KEEP_SECONDS)
        state.stats.add("handled")
        return result

    handler.stats = lambda: runtime().stats.snapshot()  # type: ignore[attr-defined]
    return handler


def _in_progress_expiry(topology: Any) -> int:
    from cabructl.constants import IDEMPOTENCY_IN_PROGRESS_EXPIRY

    return topology.idempotency.in_progress_expiry if topology.idempotency else IDEMPOTENCY_IN_PROGRESS_EXPIRY


