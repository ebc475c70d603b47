"""``EventBridgeAgent``: the seed client's API on top of the topology, validation, batching and guards.

An event goes through the same steps whichever way it is published:

    prepare  — detail + envelope, validated against the topology's schema, size-checked
    admit    — sampling (non-critical events only) and the hourly budget
    send     — PutEvents calls of ≤ 10 entries / 256 KB, failed entries retried alone,
               up to ``max_in_flight`` calls at once

Preparing raises on a bad event before anything is sent (for ``publish_many``,
before *any* event is sent). Admitting and sending never lose an event: each
ends as exactly one :class:`EventResult`, in the order given, and as one
``telemetry.published(...)`` call.

Order: the entries of one call keep their order, and calls *start* in the order they
filled; with ``max_in_flight > 1`` a later call may be accepted before an earlier one
(and a retried entry after later ones, as before). EventBridge itself promises no
delivery order, so consumers that care order by the envelope's ``timestamp``;
``max_in_flight=1`` sends one call at a time, as the seed did.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Iterable

from cabructl.agents.catalog import EventCatalog, EventKind, cached_topology
from cabructl.agents.delivery import Delivery, RetryPolicy
from cabructl.agents.entries import CORRELATION_FIELD, Entry, build_entry, entry_size, with_envelope
from cabructl.agents.errors import EventTooLargeError, RateLimitExceeded
from cabructl.agents.events import CodeChangeEvent, Event, FeatureRequestEvent, GenericEvent, IssueDetectionEvent, TestResultsEvent
from cabructl.agents.guards import BudgetGuard, Sampler
from cabructl.agents.listener import ListenerMixin
from cabructl.agents.results import AgentMetrics, BatchResult, EventResult, MetricsCounter, Status
from cabructl.agents.telemetry import Telemetry, make_telemetry
from cabructl.constants import PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.aws import Aws
    from cabructl.topology.model import Agent, Topology

# PutEvents calls one client keeps in flight: at 20 ms a call, 8 × 10 entries is ~4,000 events/s,
# well under the default PutEvents quota of the smallest regions, and 8 idle threads cost nothing.
DEFAULT_MAX_IN_FLIGHT = 8


@dataclass(frozen=True)
class Prepared:
    """A validated event, its PutEvents entry, and who publishes it."""

    kind: EventKind
    agent: "Agent"
    detail: dict[str, Any]
    entry: Entry
    size: int

    @property
    def correlation_id(self) -> str:
        return self.detail[CORRELATION_FIELD]


class _AgentGuards:
    """Sampling and the hourly budget of one topology agent."""

    def __init__(self, agent: "Agent", rng: random.Random, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.sampler = Sampler(agent.sampling, rng)
        self.budget = BudgetGuard(agent.name, agent.per_hour, agent.on_limit, clock=clock, sleep=sleep)


class EventBridgeAgent(ListenerMixin):
    """Publishes an agent's events to the topology's bus.

    ``EventBridgeAgent(agent_id="monitor-001")`` reads ``$CABRUCTL_FILE`` or
    ``./topology.yaml``; pass ``topology=`` (a loaded Topology) or
    ``topology_file=`` instead. ``event_bus_name`` and ``region`` keep the seed's
    positional parameters and, when given, override the topology's.

    A client speaks for one topology agent and publishes only that agent's source and
    detail-types (:class:`ImpersonationError` otherwise, before any call): ``agent``
    names it; without it, an ``agent_id`` such as ``monitor`` or ``monitor-001`` names
    it; otherwise the first event the client prepares binds it to that event's agent.
    ``any_agent=True`` is for operator tools that publish on behalf of every agent (the
    CLI's ``--entries``, DLQ redrive, the demo): each event goes out as the one agent that
    declares its schema. ``guards=False`` turns off sampling and the hourly budget
    (operator tools: the CLI, load tests, DLQ redrive). ``seed``, ``clock`` and ``sleep``
    make sampling, jitter and waiting deterministic in tests.

    ``max_in_flight`` is how many PutEvents calls a batch keeps outstanding (1: one at a
    time). ``telemetry`` is ``"off"``, ``"emf"`` (JSON lines to ``metrics_output``, a stream
    or logger, stdout by default), ``"put_metric_data"``, or a :class:`Telemetry`; unset, it
    is ``$CABRUCTL_AGENT_METRICS``, else off. Metrics go to the topology's
    ``monitoring.agent_metrics`` namespace.
    """

    def __init__(
        self,
        agent_id: str,
        event_bus_name: str | None = None,
        region: str | None = None,
        *,
        agent: str | None = None,
        topology: "Topology | None" = None,
        topology_file: str | None = None,
        env: str | None = None,
        aws: "Aws | None" = None,
        retry: RetryPolicy | None = None,
        guards: bool = True,
        any_agent: bool = False,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        telemetry: "str | Telemetry | None" = None,
        metrics_output: Any = None,
    ) -> None:
        self.agent_id = agent_id
        self.topology = topology if topology is not None else cached_topology(topology_file, env)
        self.catalog = EventCatalog(self.topology)
        self.event_bus_name = event_bus_name or self.topology.bus.name
        self.any_agent = any_agent
        self.agent_name = agent if agent is not None or any_agent else self.catalog.agent_named_by(agent_id)
        self.aws = aws if aws is not None else _default_aws(region or self.topology.region)
        self.retry = retry or RetryPolicy()
        self.guards_enabled = guards
        self._rng = random.Random(seed)
        self._clock = clock
        self._sleep = sleep
        self._guards: dict[str, _AgentGuards] = {}
        self._guards_lock = threading.Lock()
        self._metrics = MetricsCounter()
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, not {max_in_flight}")
        self.max_in_flight = max_in_flight
        self._executor: ThreadPoolExecutor | None = None
        self.telemetry = make_telemetry(telemetry, self.topology.metrics_namespace,
                                        cloudwatch=lambda: self.aws.client("cloudwatch"), output=metrics_output)
        if agent is not None:
            self.catalog.agent(agent)  # fail now, not at the first publish

    # -- the seed's API -----------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The boto3 EventBridge client (the seed exposed it as ``agent.client``)."""
        return self.aws.client("events")

    def publish_issue_detection(self, event: IssueDetectionEvent) -> EventResult:
        return self.publish(_expect(event, IssueDetectionEvent))

    def publish_feature_request(self, event: FeatureRequestEvent) -> EventResult:
        return self.publish(_expect(event, FeatureRequestEvent))

    def publish_code_change(self, event: CodeChangeEvent) -> EventResult:
        return self.publish(_expect(event, CodeChangeEvent))

    def publish_test_results(self, event: TestResultsEvent) -> EventResult:
        return self.publish(_expect(event, TestResultsEvent))

    # -- publishing ---------------------------------------------------------------------
    def publish(self, event: Event, *, correlation_id: str | None = None, schema_version: str | None = None) -> EventResult:
        """Validate, admit and send one event; its result says published (with EventId) or why not.

        ``schema_version`` validates against that version of the schema in the registry instead
        of the topology's content: for a migration window after an incompatible change.
        """
        prepared = self.prepare(event, correlation_id, schema_version)
        refused = self._admit(prepared)
        return refused if refused is not None else self._send([prepared])[0]

    def publish_many(self, events: Iterable[Event], *, correlation_id: str | None = None,
                     schema_version: str | None = None) -> BatchResult:
        """Send many events in as few PutEvents calls as the limits allow; one result per event, in order.

        Every event is validated first, so one bad event stops the whole call
        before anything is sent.
        """
        return self.publish_prepared([self.prepare(event, correlation_id, schema_version) for event in events])

    def publish_prepared(self, prepared: list[Prepared]) -> BatchResult:
        """``publish_many`` for events already through :meth:`prepare` (callers that inspect entries first)."""
        batch = EventBatch(self)
        try:
            for item in prepared:
                batch.add_prepared(item)
        except RateLimitExceeded as error:
            error.result = batch.close()
            raise
        return batch.close()

    def batch(self, *, correlation_id: str | None = None) -> "EventBatch":
        """``with agent.batch() as batch: batch.add(event)`` — sent in full calls as they fill, the rest on exit."""
        return EventBatch(self, correlation_id)

    def validate(self, event: Event) -> None:
        """Raise :class:`EventValidationError` (or :class:`EventTooLargeError`) if ``event`` would be refused."""
        self.prepare(event, None)

    @property
    def metrics(self) -> AgentMetrics:
        return self._metrics.snapshot()

    # -- the three steps ------------------------------------------------------------------
    def prepare(self, event: Event, correlation_id: str | None = None, schema_version: str | None = None) -> Prepared:
        """The validated entry for ``event``; raises before anything is sent if it is not acceptable."""
        kind = (self.catalog.kind(event.schema_name) if schema_version is None
                else self.catalog.kind_at_version(event.schema_name, schema_version, self.aws))
        agent = self._publisher(kind)
        detail = with_envelope(event.to_detail(), correlation_id)
        kind.validate(detail)
        entry = self._entry(kind, detail, event)
        size = entry_size(entry)
        if size > PUT_EVENTS_MAX_BYTES:
            raise EventTooLargeError(
                f"{kind.detail_type} is {size:,} bytes; PutEvents takes at most {PUT_EVENTS_MAX_BYTES:,} per call",
                hint="put the payload in S3 and publish its URL",
            )
        return Prepared(kind, agent, detail, entry, size)

    def _publisher(self, kind: EventKind) -> "Agent":
        """The agent ``kind`` goes out as: this client's own (refusing another's), bound on first use."""
        if self.any_agent:
            return self.catalog.agent_for(kind, self.agent_name)
        with self._guards_lock:
            if self.agent_name is None:
                self.agent_name = self.catalog.agent_for(kind).name
        return self.catalog.own_agent(kind, self.agent_name)

    def _entry(self, kind: EventKind, detail: dict[str, Any], event: Event) -> Entry:
        """Typed events go to this client's bus; a GenericEvent may name its own bus, resources and time."""
        if isinstance(event, GenericEvent):
            return build_entry(kind.source, kind.detail_type, detail, event.bus or self.event_bus_name, event.resources, event.time)
        return build_entry(kind.source, kind.detail_type, detail, self.event_bus_name)

    def _admit(self, prepared: Prepared) -> EventResult | None:
        """None to send the event; otherwise its result (sampled out or dropped). May raise RateLimitExceeded."""
        if not self.guards_enabled:
            return None
        guards = self._guards_for(prepared.agent)
        if not guards.sampler.keep(prepared.kind.name, prepared.detail):
            return self._refuse(prepared, Status.SAMPLED_OUT)
        if not guards.budget.admit(lambda: self._metrics.add("rate_limited")):
            return self._refuse(prepared, Status.DROPPED)
        return None

    def _send(self, prepared: list[Prepared]) -> list[EventResult]:
        """Send now, in this thread (any thread: counters and telemetry are thread-safe)."""
        client = self.aws.client("events")
        delivery = Delivery(lambda entries: client.put_events(Entries=entries), self.retry, rng=self._rng, sleep=self._sleep)
        outcomes = delivery.send([item.entry for item in prepared])
        self._metrics.add("put_events_calls", delivery.calls)
        self._metrics.add("retried", delivery.retried)
        results = [
            EventResult(Status.PUBLISHED if outcome.event_id else Status.FAILED, item.kind.detail_type, outcome.event_id,
                        item.correlation_id, outcome.error_code, outcome.error_message, outcome.attempts, item.kind.version)
            for item, outcome in zip(prepared, outcomes)
        ]
        self._metrics.record(results)
        for item, result, outcome in zip(prepared, results, outcomes):
            self.telemetry.published(item.agent.name, result.detail_type, result.status.value, outcome.seconds)
        return results

    def _submit(self, prepared: list[Prepared]) -> "Future[list[EventResult]]":
        """``_send`` on the client's pool of ``max_in_flight`` threads; inline (already done) when that is 1."""
        if self.max_in_flight == 1:  # as before: an error raises here, at the add that filled the call
            done: Future[list[EventResult]] = Future()
            done.set_result(self._send(prepared))
            return done
        with self._guards_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.max_in_flight, thread_name_prefix="cabructl-publish")
        return self._executor.submit(self._send, prepared)

    def _refuse(self, prepared: Prepared, status: Status) -> EventResult:
        """The result of an event the guards kept from sending (sampled out, dropped): counted, not sent."""
        result = _unsent(prepared, status)
        self._metrics.record([result])
        self.telemetry.published(prepared.agent.name, result.detail_type, result.status.value, 0.0)
        return result

    def _guards_for(self, agent: "Agent") -> _AgentGuards:
        """One set of guards per topology agent, created once even when threads share this client."""
        with self._guards_lock:
            if agent.name not in self._guards:
                self._guards[agent.name] = _AgentGuards(agent, self._rng, self._clock, self._sleep)
            return self._guards[agent.name]

    def __repr__(self) -> str:
        return f"EventBridgeAgent(agent_id={self.agent_id!r}, bus={self.event_bus_name!r}, topology={self.topology.file!r})"


class EventBatch:
    """Events collected and sent in full PutEvents calls; ``result`` has one entry per ``add``, in order.

    A call is sent as soon as it is full (10 entries, or the next entry would pass
    256 KB), without waiting for its answer: up to the agent's ``max_in_flight`` calls
    are outstanding, and a full call beyond that waits for the oldest, so memory stays
    bounded. ``flush()`` sends the remainder and waits for every call; so does the end
    of the ``with`` block — also when it ends with an exception, because events already
    accepted must not vanish. One batch belongs to one thread (the agent may be shared).
    """

    def __init__(self, agent: EventBridgeAgent, correlation_id: str | None = None) -> None:
        self.agent = agent
        self.correlation_id = correlation_id
        self._results: list[EventResult | None] = []
        self._queued: list[tuple[int, Prepared]] = []
        self._queued_bytes = 0
        self._in_flight: deque[tuple[list[int], Future[list[EventResult]]]] = deque()

    def add(self, event: Event) -> int:
        """Validate and queue ``event``; returns its position in :attr:`result`."""
        return self.add_prepared(self.agent.prepare(event, self.correlation_id))

    def add_prepared(self, prepared: Prepared) -> int:
        refused = self.agent._admit(prepared)
        position = len(self._results)
        self._results.append(refused)
        if refused is None:
            if self._queued and (len(self._queued) >= PUT_EVENTS_MAX_ENTRIES or self._queued_bytes + prepared.size > PUT_EVENTS_MAX_BYTES):
                self._dispatch()
            self._queued.append((position, prepared))
            self._queued_bytes += prepared.size
        return position

    def _dispatch(self) -> None:
        """Start the queued call, after the oldest outstanding one if ``max_in_flight`` are out."""
        queued, self._queued, self._queued_bytes = self._queued, [], 0
        while len(self._in_flight) >= self.agent.max_in_flight:
            self._collect_oldest()
        self._in_flight.append(([position for position, _ in queued], self.agent._submit([prepared for _, prepared in queued])))

    def _collect_oldest(self) -> None:
        positions, future = self._in_flight.popleft()
        for position, result in zip(positions, future.result()):
            self._results[position] = result

    def flush(self) -> None:
        """Send what is queued and wait for every outstanding call's results."""
        if self._queued:
            self._dispatch()
        while self._in_flight:
            self._collect_oldest()

    def close(self) -> BatchResult:
        self.flush()
        return self.result

    @property
    def result(self) -> BatchResult:
        """Results so far; events still queued or in flight (before ``flush``) are not in it yet."""
        return BatchResult(tuple(result for result in self._results if result is not None))

    @property
    def pending(self) -> int:
        """Events accepted but not yet in a call (they go with the next full call or ``flush``)."""
        return len(self._queued)

    @property
    def in_flight(self) -> int:
        """Calls started whose results this batch has not collected yet (at most ``max_in_flight``)."""
        return len(self._in_flight)

    def __enter__(self) -> "EventBatch":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.flush()


def _default_aws(region: str) -> "Aws":
    from cabructl.aws import Aws, AwsSettings

    return Aws(AwsSettings(region=region))


def _unsent(prepared: Prepared, status: Status) -> EventResult:
    return EventResult(status, prepared.kind.detail_type, correlation_id=prepared.correlation_id,
                       schema_version=prepared.kind.version)


def _expect(event: Any, kind: type) -> Any:
    if not isinstance(event, kind):
        raise TypeError(f"expected a {kind.__name__}, got {type(event).__name__}")
    return event
