"""A bounded load test: simulated agents publishing realistic events, and what that rate would cost.

Each simulated agent is a real :class:`EventBridgeAgent` (validation, batching,
retries included) speaking for one topology agent, in its own thread. The run
stops at ``duration`` seconds or ``events_per_agent`` events, whichever comes
first, and only ever talks to the Aws it is given. Guards are off: the point is
to measure the rate, then say whether it would breach the declared volumes.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from cabructl.agents.client import EventBridgeAgent
from cabructl.agents.events import GenericEvent
from cabructl.agents.generate import DetailGenerator
from cabructl.constants import EVENT_CHUNK_BYTES, PUT_EVENTS_MAX_ENTRIES

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.aws import Aws
    from cabructl.topology.model import Topology

MAX_THREADS = 32
SECONDS_PER_HOUR = 3600
HOURS_PER_DAY = 24
DEFAULT_DAYS_PER_MONTH = 30  # policy.yaml's model.days_per_month, when no policy data is found
# The seed's published-event price, used only when no pricing data can be read (then matches are not priced).
FALLBACK_PUBLISHED_PER_MILLION = 1.00
MILLION = 1_000_000


@dataclass(frozen=True)
class LoadSpec:
    agents: int
    events_per_agent: int
    duration: float
    rate: float | None = None  # events per second over all agents; None = as fast as possible
    batch: bool = True
    seed: int = 0


@dataclass
class _SimResult:
    agent: str
    published: int = 0
    failed: int = 0
    attempted: int = 0
    calls: int = 0
    matches: int = 0
    billed_chunks: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class AgentLoad:
    """One topology agent's share of the run, projected to an hour and a day."""

    agent: str
    simulated: int
    published: int
    per_hour: float
    declared_per_hour: int
    declared_per_day: int

    @property
    def breaches(self) -> bool:
        return self.per_hour > self.declared_per_hour or self.per_hour * HOURS_PER_DAY > self.declared_per_day


@dataclass(frozen=True)
class CostProjection:
    """A month at the measured rate, priced with the topology's pricing profile."""

    pricing: str  # which prices were used, in words
    monthly_events: float
    monthly_matches: float
    published_usd: float
    matched_usd: float | None  # None when no pricing data said what a match costs
    budget_usd: float | None

    @property
    def total_usd(self) -> float:
        return self.published_usd + (self.matched_usd or 0.0)

    @property
    def over_budget(self) -> bool:
        return self.budget_usd is not None and self.total_usd > self.budget_usd


@dataclass(frozen=True)
class LoadReport:
    spec: LoadSpec
    elapsed: float
    planned: int
    attempted: int
    published: int
    failed: int
    put_events_calls: int
    latency_ms: dict[str, float]
    matches_per_event: float
    cost: CostProjection
    agents: tuple[AgentLoad, ...]
    errors: dict[str, int]  # final error → events that ended with it

    @property
    def not_sent(self) -> int:
        """Events the time limit left unpublished."""
        return self.planned - self.attempted

    @property
    def events_per_second(self) -> float:
        return self.published / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def calls_per_event(self) -> float:
        return self.put_events_calls / self.attempted if self.attempted else 0.0

    @property
    def breaches(self) -> list[AgentLoad]:
        return [agent for agent in self.agents if agent.breaches]

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": asdict(self.spec),
            "elapsed_seconds": self.elapsed,
            "planned": self.planned,
            "attempted": self.attempted,
            "published": self.published,
            "failed": self.failed,
            "not_sent": self.not_sent,
            "events_per_second": self.events_per_second,
            "put_events_calls": self.put_events_calls,
            "calls_per_event": self.calls_per_event,
            "latency_ms": self.latency_ms,
            "matches_per_event": self.matches_per_event,
            "cost": {**asdict(self.cost), "total_usd": self.cost.total_usd, "over_budget": self.cost.over_budget},
            "agents": [{**asdict(agent), "breaches": agent.breaches} for agent in self.agents],
            "errors": self.errors,
        }


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class LoadTest:
    """Runs one :class:`LoadSpec` against one topology and one Aws."""

    def __init__(self, topology: "Topology", aws: "Aws", spec: LoadSpec,
                 on_progress: Callable[[int], None] | None = None) -> None:
        from cabructl.patterns import compile_rules

        self.topology = topology
        self.aws = aws
        self.spec = spec
        self.on_progress = on_progress or (lambda done: None)
        self.rules = compile_rules({rule.logical: rule.pattern for rule in topology.rules.values() if rule.state == "ENABLED"})
        self._progress_lock = threading.Lock()

    def run(self) -> LoadReport:
        from cabructl.aws import parallel_map

        names = sorted(self.topology.agents)
        simulations = [(index, names[index % len(names)]) for index in range(self.spec.agents)]
        started = time.perf_counter()
        deadline = started + self.spec.duration
        results = parallel_map(lambda sim: self._simulate(*sim, started, deadline), simulations, min(MAX_THREADS, len(simulations)))
        elapsed = time.perf_counter() - started
        return self._report(results, elapsed)

    # -- one simulated agent ----------------------------------------------------------------
    def _simulate(self, index: int, name: str, started: float, deadline: float) -> _SimResult:
        agent_spec = self.topology.agents[name]
        rng = random.Random(self.spec.seed * 1_000_003 + index)
        agent = EventBridgeAgent(f"{name}-load-{index + 1:03d}", agent=name, topology=self.topology, aws=self.aws, guards=False,
                                 seed=self.spec.seed + index)
        generators = {schema: DetailGenerator(agent.catalog.kind(schema).validator.schema, rng, agent_spec.mix) for schema in agent_spec.events}
        agent.client  # this thread's client is built now, not inside the first timed call
        chunk = PUT_EVENTS_MAX_ENTRIES if self.spec.batch else 1
        per_agent_rate = self.spec.rate / self.spec.agents if self.spec.rate else None
        result = _SimResult(name)
        for first in range(0, self.spec.events_per_agent, chunk):
            if per_agent_rate:
                _sleep_until(started + first / per_agent_rate, deadline)
            if time.perf_counter() >= deadline:
                break
            events = [self._event(rng, generators) for _ in range(min(chunk, self.spec.events_per_agent - first))]
            self._publish(agent, events, result)
        result.calls = agent.metrics.put_events_calls
        return result

    def _event(self, rng: random.Random, generators: dict[str, DetailGenerator]) -> GenericEvent:
        schema = rng.choice(sorted(generators))
        return GenericEvent(schema, generators[schema].detail())

    def _publish(self, agent: EventBridgeAgent, events: list[GenericEvent], result: _SimResult) -> None:
        began = time.perf_counter()
        prepared = [agent.prepare(event) for event in events]
        outcome = agent.publish_prepared(prepared)
        result.latencies.append((time.perf_counter() - began) * 1000)
        result.attempted += len(events)
        for item, event_result in zip(prepared, outcome):
            if not event_result.success:
                result.failed += 1
                result.errors[str(event_result.error)] += 1
                continue
            result.published += 1
            result.billed_chunks += self._chunks(item.size)
            result.matches += len(self.rules.matching({"source": item.kind.source, "detail-type": item.kind.detail_type, "detail": item.detail}))
        with self._progress_lock:
            self.on_progress(len(events))

    @staticmethod
    def _chunks(size: int) -> int:
        """Billed events for one event: each started 64 KB chunk counts."""
        return max(1, math.ceil(size / EVENT_CHUNK_BYTES))

    # -- the report ---------------------------------------------------------------------------
    def _report(self, results: list[_SimResult], elapsed: float) -> LoadReport:
        published = sum(r.published for r in results)
        latencies = [latency for r in results for latency in r.latencies]
        matches_per_event = sum(r.matches for r in results) / published if published else 0.0
        chunks_per_event = sum(r.billed_chunks for r in results) / published if published else 1.0
        return LoadReport(
            spec=self.spec,
            elapsed=elapsed,
            planned=self.spec.agents * self.spec.events_per_agent,
            attempted=sum(r.attempted for r in results),
            published=published,
            failed=sum(r.failed for r in results),
            put_events_calls=sum(r.calls for r in results),
            latency_ms={name: percentile(latencies, share) for name, share in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))},
            matches_per_event=matches_per_event,
            cost=self._cost(published / elapsed if elapsed > 0 else 0.0, chunks_per_event, matches_per_event),
            agents=self._agent_loads(results, elapsed),
            errors=dict(sum((r.errors for r in results), Counter()).most_common()),
        )

    def _agent_loads(self, results: list[_SimResult], elapsed: float) -> tuple[AgentLoad, ...]:
        loads = []
        for name, agent in sorted(self.topology.agents.items()):
            mine = [r for r in results if r.agent == name]
            if not mine:
                continue
            published = sum(r.published for r in mine)
            per_hour = published / elapsed * SECONDS_PER_HOUR if elapsed > 0 else 0.0
            loads.append(AgentLoad(name, len(mine), published, per_hour, agent.per_hour, agent.per_day))
        return tuple(loads)

    def _cost(self, per_second: float, chunks_per_event: float, matches_per_event: float) -> CostProjection:
        budget = self.topology.budget.monthly_usd if self.topology.budget else None
        try:
            from cabructl.policy.data import load_policy_set, load_pricing, policy_folder_for
        except ImportError:  # no pricing data in this build: price what the seed priced for certain
            monthly = per_second * SECONDS_PER_HOUR * HOURS_PER_DAY * DEFAULT_DAYS_PER_MONTH
            return CostProjection(f"published events only, at the seed's ${FALLBACK_PUBLISHED_PER_MILLION:.2f} per million (no pricing data)",
                                  monthly, 0.0, monthly * chunks_per_event / MILLION * FALLBACK_PUBLISHED_PER_MILLION, None, budget)
        from cabructl.policy.pricing import Volume

        folder = policy_folder_for(self.topology.file)
        book = load_pricing(folder)
        profile_name = self.topology.budget.pricing if self.topology.budget else "seed"
        profile = book.profile(profile_name, self.topology.region)
        monthly = per_second * SECONDS_PER_HOUR * HOURS_PER_DAY * float(load_policy_set(folder).model["days_per_month"])
        breakdown = profile.cost(Volume(billed_events=monthly * chunks_per_event, rule_matches=monthly * matches_per_event))
        return CostProjection(f'"{profile.name}" profile of {book.file}', monthly, monthly * matches_per_event,
                              breakdown.published_usd, breakdown.matched_usd, budget)


def _sleep_until(moment: float, deadline: float) -> None:
    """Pace a simulated agent, never sleeping past the end of the run."""
    delay = min(moment, deadline) - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
