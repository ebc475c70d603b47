"""The traffic and cost model: a month of the topology's events, per agent and per rule.

Published events come from each agent's declared daily cap (``volume.per_day`` ×
days per month × ``sampling``): the caps are what the SDK enforces, so they bound
what can be spent. Each event is billed in 64 KB chunks of its size. Rule matches
come from the candidate events of :mod:`cabructl.policy.candidates`, in two cases:
``worst_case`` (every event that could match a rule does) and ``expected`` (the
agents' declared ``mix``). The archive takes every published event. One
:class:`PricingProfile` prices it all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from cabructl.policy.candidates import EventSpace, FieldPath, MatchTable, pattern_paths
from cabructl.policy.pricing import CostBreakdown, PricingProfile, Volume
from cabructl.policy.sizes import EventSize, SizeParameters, event_size
from cabructl.topology.model import Agent, Topology

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.policy.bill.items import Bill

WORST = "worst_case"
EXPECTED = "expected"
CASES = (WORST, EXPECTED)
HOURS_PER_DAY = 24
SECONDS_PER_DAY = 86_400

# What each AWS/Events metric of the bus counts, in the model's terms.
# MatchedEvents and TriggeredRules count an event once per rule it matches, the unit
# the seed prices ("rule matches"); Invocations once per target of each such rule.
RULE_MATCH_METRICS = ("MatchedEvents", "TriggeredRules")
INVOCATION_METRICS = ("Invocations",)


@dataclass(frozen=True)
class ModelParameters:
    """policy.yaml ``model``: the assumptions every projection states."""

    days_per_month: float
    replayed_share: float
    forever_retention_days: int
    guideline_matches_per_event: float | str
    max_candidate_events: int
    size: SizeParameters

    @classmethod
    def from_policy(cls, model: Mapping[str, Any]) -> "ModelParameters":
        return cls(
            days_per_month=model["days_per_month"],
            replayed_share=model["replayed_share"],
            forever_retention_days=model["forever_retention_days"],
            guideline_matches_per_event=model["guideline_matches_per_event"],
            max_candidate_events=model["max_candidate_events"],
            size=SizeParameters(**model["size_estimate"]),
        )


@dataclass(frozen=True)
class AgentProjection:
    name: str
    published: float  # events per month
    event_bytes: int
    chunks: int
    matches: Mapping[str, float]  # case → rule matches per month of this agent's events
    base: Volume  # what its events cost before any rule matches them (chunks, replays, archive)
    volume: Mapping[str, Volume]
    cost: Mapping[str, CostBreakdown]


@dataclass(frozen=True)
class RuleProjection:
    name: str  # logical name
    targets: int
    matched: Mapping[str, float]  # case → events per month
    by_agent: Mapping[str, Mapping[str, float]]  # agent → case → events per month
    cost: Mapping[str, float]  # case → USD per month for the matches themselves


@dataclass(frozen=True)
class VolumeLimits:
    """The volume a budget pays for, derived the way the seed derived its guidelines."""

    matches_per_event: float
    usd_per_million_events: float
    per_month: float
    per_day: float
    per_hour: float
    declared_per_day: int
    declared_per_hour: int


@dataclass(frozen=True)
class TrafficModel:
    profile: PricingProfile
    parameters: ModelParameters
    agents: Mapping[str, AgentProjection]
    rules: Mapping[str, RuleProjection]
    schema_sizes: Mapping[str, EventSize] = field(default_factory=dict)
    bill: "Bill | None" = None  # every service's month (policy.bill), attached by policy.report.project

    def total(self, case: str) -> CostBreakdown:
        """EventBridge's publishes, matches, replays and archive: the traffic-driven part of its bill."""
        result = CostBreakdown()
        for agent in self.agents.values():
            result = result + agent.cost[case]
        return result

    def budget_total(self, case: str, scope: str) -> float:
        """What the budget's scope costs a month: EventBridge's bill, or every service's (``backbone``)."""
        if self.bill is None:
            return self.total(case).total
        return self.bill.total(case, scope)

    @property
    def published(self) -> float:
        return sum(agent.published for agent in self.agents.values())

    def rule_matches(self, case: str) -> float:
        return sum(rule.matched[case] for rule in self.rules.values())

    def metric_per_month(self, metric: str, case: str) -> float | None:
        """What a bus metric would add up to in a month, or None when the model cannot say."""
        if metric in RULE_MATCH_METRICS:
            return self.rule_matches(case)
        if metric in INVOCATION_METRICS:
            return sum(rule.matched[case] * rule.targets for rule in self.rules.values())
        return None

    def unit_volume(self, matches_per_event: float) -> Volume:
        """One average published event (chunks, archive bytes) with ``matches_per_event`` matches."""
        published = self.published
        if not published:
            return Volume(billed_events=1.0, rule_matches=matches_per_event)
        unmatched = Volume()
        for agent in self.agents.values():
            unmatched = unmatched + agent.base
        return unmatched.scaled(1 / published) + Volume(rule_matches=matches_per_event)

    def limits(self, budget_usd: float, agents: Mapping[str, Agent], scope: str = "eventbridge") -> VolumeLimits:
        """Events per month/day/hour the budget pays for, and what the agents declare.

        What the scope's bill adds beyond publishes, matches and the archive (API-destination invocations,
        cross-account delivery; in the ``backbone`` scope every other service) counts too: its monthly
        prices come off the budget first, its traffic-driven cost per published event (worst case) is
        added to the event's price.
        """
        matches_per_event = self._guideline_matches_per_event()
        unit_usd = self.profile.cost(self.unit_volume(matches_per_event)).total
        available = budget_usd
        if self.bill is not None and self.published:
            fixed = self.bill.fixed(WORST, scope)
            beyond = self.bill.total(WORST, scope) - fixed - self.total(WORST).total
            available = max(0.0, budget_usd - fixed)
            unit_usd += beyond / self.published
        per_month = available / unit_usd if unit_usd else float("inf")
        per_day = per_month / self.parameters.days_per_month
        return VolumeLimits(
            matches_per_event=matches_per_event,
            usd_per_million_events=unit_usd * 1_000_000,
            per_month=per_month,
            per_day=per_day,
            per_hour=per_day / HOURS_PER_DAY,
            declared_per_day=sum(agent.per_day for agent in agents.values()),
            declared_per_hour=sum(agent.per_hour for agent in agents.values()),
        )

    def _guideline_matches_per_event(self) -> float:
        setting = self.parameters.guideline_matches_per_event
        if isinstance(setting, str):
            return self.rule_matches(setting) / self.published if self.published else 0.0
        return float(setting)


def build_model(topology: Topology, profile: PricingProfile, parameters: ModelParameters) -> TrafficModel:
    """Project a month of the topology's traffic under ``profile``."""
    patterns = {rule.logical: rule.pattern for rule in topology.rules.values() if rule.state == "ENABLED"}
    paths: set[FieldPath] = {path for pattern in patterns.values() for path in pattern_paths(pattern)}
    tables = {
        name: MatchTable(EventSpace(schema, topology.region, paths, parameters.max_candidate_events), patterns)
        for name, schema in topology.schemas.items()
    }
    sizes = {name: event_size(schema, topology.region, parameters.size) for name, schema in topology.schemas.items()}
    shares = {agent.name: _agent_shares(agent, tables, patterns) for agent in topology.agents.values()}
    agents = {
        agent.name: _project_agent(topology, agent, shares[agent.name], sizes, profile, parameters)
        for agent in topology.agents.values()
    }
    rules = {rule.logical: _project_rule(rule.logical, len(rule.targets), agents, shares, profile) for rule in topology.rules.values()}
    return TrafficModel(profile, parameters, agents, rules, sizes)


def _agent_shares(agent: Agent, tables: Mapping[str, MatchTable], patterns: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """rule → case → share of the agent's events the rule matches (the worst of its schemas)."""
    own = [tables[name] for name in agent.events if name in tables]
    return {
        rule: {
            WORST: max((table.worst_share(rule) for table in own), default=0.0),
            EXPECTED: max((table.expected_share(rule, agent.mix) for table in own), default=0.0),
        }
        for rule in patterns
    }


def _project_agent(topology: Topology, agent: Agent, shares: Mapping[str, Mapping[str, float]], sizes: Mapping[str, EventSize],
                   profile: PricingProfile, parameters: ModelParameters) -> AgentProjection:
    published = agent.per_day * parameters.days_per_month * agent.sampling
    event_bytes = max((sizes[name].bytes for name in agent.events if name in sizes), default=0)
    chunks = profile.chunks(event_bytes)
    matches = {case: sum(published * share[case] for share in shares.values()) for case in CASES}
    base = _published_volume(topology, published, event_bytes, chunks, parameters)
    volume = {case: base + Volume(rule_matches=matches[case]) for case in CASES}
    return AgentProjection(agent.name, published, event_bytes, chunks, matches, base, volume,
                           {case: profile.cost(volume[case]) for case in CASES})


def _published_volume(topology: Topology, published: float, event_bytes: int, chunks: int, parameters: ModelParameters) -> Volume:
    """Billed chunks, replays and the archive's share of ``published`` events (no matches yet)."""
    billed = published * chunks
    archive = topology.bus.archive
    archived = published * event_bytes if archive is not None else 0.0
    retention_days = (archive.retention_days or parameters.forever_retention_days) if archive is not None else 0
    return Volume(
        billed_events=billed,
        replayed_events=billed * parameters.replayed_share,
        archived_bytes=archived,
        # Steady state: the archive holds `retention_days` of events, all month long.
        stored_byte_months=archived * retention_days / parameters.days_per_month,
    )


def _project_rule(rule: str, targets: int, agents: Mapping[str, AgentProjection], shares: Mapping[str, Mapping[str, Mapping[str, float]]],
                  profile: PricingProfile) -> RuleProjection:
    by_agent = {
        name: {case: agent.published * shares[name].get(rule, {}).get(case, 0.0) for case in CASES}
        for name, agent in agents.items()
    }
    matched = {case: sum(counts[case] for counts in by_agent.values()) for case in CASES}
    cost = {case: profile.cost(Volume(rule_matches=matched[case])).total for case in CASES}
    return RuleProjection(rule, targets, matched, by_agent, cost)
