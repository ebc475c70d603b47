"""The catalogue's facts: what the AsyncAPI document and the static site both say about a topology.

One model, built once from the topology and its cost projection, so the two exports can never
disagree about which agent publishes an event, which rules it can match, where they send it or
what it costs. Everything here is data; rendering is :mod:`cabructl.exports.asyncapi`'s and
:mod:`cabructl.exports.catalogue`'s.

Routing comes from the same candidate events as ``cabructl routes`` and the cost model
(:mod:`cabructl.policy.candidates`); schema tables and example events from :mod:`.schemas`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from cabructl.exports.schemas import FieldFacts, example_event, schema_fields
from cabructl.policy.routes import ROUTES_MAX_CANDIDATES, deliveries_of
from cabructl.policy.traffic import CASES, EXPECTED, WORST, TrafficModel
from cabructl.resources.targets import target_kind
from cabructl.topology.model import EventSchema, Topology
from cabructl.topology.openapi import detail_json_schema

__all__ = ["Catalogue", "EventFacts", "AgentFacts", "RuleFacts", "DeliveryFacts", "TargetFacts", "DeadLetterFacts",
           "FieldFacts", "build_catalogue", "load_catalogue", "load_environments", "CASES", "EXPECTED", "WORST"]


@dataclass(frozen=True)
class DeliveryFacts:
    """One target of one rule: where a matched event goes, and where it goes when that fails."""

    rule: str
    target_id: str
    target: str  # TargetFacts.key
    kind_label: str
    destination: str
    attempts: int | None
    max_age_seconds: int | None
    dead_letter: str | None  # logical queue name
    dead_letter_name: str | None


@dataclass(frozen=True)
class RuleFacts:
    logical: str
    name: str
    description: str
    state: str
    pattern: Mapping[str, Any]
    deliveries: tuple[DeliveryFacts, ...]
    events: tuple[str, ...]  # event types it can match
    matched: Mapping[str, float]  # case → events per month
    cost: Mapping[str, float]  # case → USD per month
    tags: Mapping[str, str]


@dataclass(frozen=True)
class AgentFacts:
    name: str
    source: str
    description: str
    events: tuple[str, ...]
    per_day: int
    per_hour: int
    sampling: float
    published_per_month: float
    cost: Mapping[str, float]  # case → USD per month
    consumes: tuple[str, ...]


@dataclass(frozen=True)
class EventFacts:
    name: str
    source: str
    detail_type: str
    description: str
    version: str  # the OpenAPI document's info.version, else "1"
    compatibility: str
    schema_type: str
    tags: Mapping[str, str]
    detail_schema: Mapping[str, Any]  # JSON Schema of ``detail`` (OpenAPI translated)
    components: Mapping[str, Any]  # the OpenAPI document's components.schemas ({} for JSON Schema)
    fields: tuple[FieldFacts, ...]
    example: Mapping[str, Any]  # a complete event, as EventBridge delivers it
    publishers: tuple[str, ...]
    rules: tuple[str, ...]
    cost: Mapping[str, float]  # case → USD per month of its publishers' share


@dataclass(frozen=True)
class TargetFacts:
    """A destination that rules deliver to (a queue, a topic, a log group…), shared by its rules."""

    key: str  # "<kind>.<ref>"
    label: str  # its logical name in the topology (the AWS name where it is referenced by ARN)
    kind_label: str
    destination: str
    deliveries: tuple[DeliveryFacts, ...]


@dataclass(frozen=True)
class DeadLetterFacts:
    logical: str
    name: str
    fed_by: tuple[DeliveryFacts, ...]  # targets whose undeliverable events land here
    redriven_from: tuple[str, ...]  # queues whose redrive policy moves failed messages here


@dataclass(frozen=True)
class Catalogue:
    project: str
    environment: str
    environments: tuple[str, ...]
    region: str
    bus_name: str
    bus_description: str
    bus_tags: Mapping[str, str]
    tags: Mapping[str, str]
    registry: str | None
    events: Mapping[str, EventFacts]
    agents: Mapping[str, AgentFacts]
    rules: Mapping[str, RuleFacts]
    targets: Mapping[str, TargetFacts]
    dead_letters: Mapping[str, DeadLetterFacts]
    total_cost: Mapping[str, float]  # case → USD per month
    budget_usd: float | None
    pricing: str
    # The whole bill (policy.bill): service → (its title, case → USD a month), and the budget's scope.
    services: Mapping[str, tuple[str, Mapping[str, float]]] = field(default_factory=dict)
    budget_scope: str = "eventbridge"


def build_catalogue(topology: Topology, model: TrafficModel) -> Catalogue:
    """Every fact both exports show, from one environment of a topology and its projection."""
    reaches = event_rules(topology)
    deliveries = {name: tuple(_delivery(topology, name, d) for d in deliveries_of(topology, rule))
                  for name, rule in topology.rules.items()}
    agents = {name: _agent(agent, model) for name, agent in topology.agents.items()}
    events = {name: _event(topology, schema, agents, reaches.get(name, ())) for name, schema in topology.schemas.items()}
    rules = {name: _rule(rule, deliveries[name], reaches, model) for name, rule in topology.rules.items()}
    bus = topology.bus
    return Catalogue(
        project=topology.project, environment=topology.environment, environments=tuple(topology.environments),
        region=topology.region, bus_name=bus.name, bus_description=bus.description, bus_tags=dict(bus.tags),
        tags=dict(topology.tags), registry=topology.registry.name if topology.registry else None,
        events=events, agents=agents, rules=rules, targets=_targets(deliveries), dead_letters=_dead_letters(topology, deliveries),
        total_cost={case: model.total(case).total for case in CASES},
        budget_usd=topology.budget.monthly_usd if topology.budget else None, pricing=model.profile.name,
        services={name: (bill.title, {case: bill.usd(case) for case in CASES})
                  for name, bill in (model.bill.services.items() if model.bill else ()) if bill.items},
        budget_scope=topology.budget.scope if topology.budget else "eventbridge",
    )


def event_rules(topology: Topology) -> dict[str, tuple[str, ...]]:
    """Event type → the enabled rules some event of it can match (``routes``' own answer)."""
    from cabructl.policy.candidates import EventSpace, MatchTable, pattern_paths

    patterns = {name: rule.pattern for name, rule in topology.rules.items() if rule.state == "ENABLED"}
    paths = {path for pattern in patterns.values() for path in pattern_paths(pattern)}
    found = {}
    for name, schema in topology.schemas.items():
        table = MatchTable(EventSpace(schema, topology.region, paths, ROUTES_MAX_CANDIDATES), patterns)
        found[name] = tuple(rule for rule in patterns if table.worst_share(rule) > 0)
    return found


def _delivery(topology: Topology, rule: str, delivery: Any) -> DeliveryFacts:
    target = delivery.target
    retry = target.retry
    return DeliveryFacts(rule, target.id, f"{target.kind}.{target.ref}", target_kind(target.kind).label, delivery.destination,
                         retry.attempts if retry else None, retry.max_age_seconds if retry else None,
                         target.dead_letter if delivery.dead_letter else None, delivery.dead_letter)


def _agent(agent: Any, model: TrafficModel) -> AgentFacts:
    projection = model.agents.get(agent.name)
    return AgentFacts(agent.name, agent.source, agent.description, tuple(agent.events), agent.per_day, agent.per_hour,
                      agent.sampling, projection.published if projection else 0.0,
                      {case: projection.cost[case].total if projection else 0.0 for case in CASES}, tuple(agent.consumes))


def _event(topology: Topology, schema: EventSchema, agents: Mapping[str, AgentFacts], rules: tuple[str, ...]) -> EventFacts:
    publishers = tuple(name for name, agent in agents.items() if schema.name in agent.events)
    # The model caps an agent's volume, not each of its types': its cost is split evenly between them.
    cost = {case: sum(agents[name].cost[case] / max(1, len(agents[name].events)) for name in publishers) for case in CASES}
    json_schema = detail_json_schema(schema.type, schema.content, schema.name)
    info = schema.content.get("info") if schema.type == "OpenApi3" else None
    version = str(info.get("version")) if isinstance(info, dict) and info.get("version") is not None else "1"
    components = schema.content.get("components", {}).get("schemas", {}) if schema.type == "OpenApi3" else {}
    mix = next((topology.agents[name].mix for name in publishers if topology.agents[name].mix), None)
    return EventFacts(schema.name, schema.source, schema.detail_type, schema.description, version, schema.compatibility,
                      schema.type, dict(schema.tags), json_schema, dict(components), tuple(schema_fields(json_schema)),
                      example_event(topology, schema, json_schema, mix), publishers, rules, cost)


def _rule(rule: Any, deliveries: tuple[DeliveryFacts, ...], reaches: Mapping[str, tuple[str, ...]], model: TrafficModel) -> RuleFacts:
    projection = model.rules.get(rule.logical)
    events = tuple(name for name, rules in reaches.items() if rule.logical in rules)
    return RuleFacts(rule.logical, rule.name, rule.description, rule.state, rule.pattern, deliveries, events,
                     {case: projection.matched[case] if projection else 0.0 for case in CASES},
                     {case: projection.cost[case] if projection else 0.0 for case in CASES}, dict(rule.tags))


def _targets(deliveries: Mapping[str, tuple[DeliveryFacts, ...]]) -> dict[str, TargetFacts]:
    grouped: dict[str, list[DeliveryFacts]] = {}
    for rule_deliveries in deliveries.values():
        for delivery in rule_deliveries:
            grouped.setdefault(delivery.target, []).append(delivery)
    return {key: TargetFacts(key, _label(key, items[0].destination), items[0].kind_label, items[0].destination, tuple(items))
            for key, items in grouped.items()}


def _label(key: str, destination: str) -> str:
    reference = key.split(".", 1)[1]
    return destination if reference.startswith("arn:") else reference


def _dead_letters(topology: Topology, deliveries: Mapping[str, tuple[DeliveryFacts, ...]]) -> dict[str, DeadLetterFacts]:
    fed: dict[str, list[DeliveryFacts]] = {}
    for rule_deliveries in deliveries.values():
        for delivery in rule_deliveries:
            if delivery.dead_letter:
                fed.setdefault(delivery.dead_letter, []).append(delivery)
    redrives = {queue.redrive_dead_letter for queue in topology.queues.values() if queue.redrive_dead_letter}
    names = sorted(set(fed) | (redrives & set(topology.queues)))
    return {name: DeadLetterFacts(name, topology.queues[name].name, tuple(fed.get(name, ())),
                                  tuple(q.logical for q in topology.queues.values() if q.redrive_dead_letter == name))
            for name in names if name in topology.queues}


# -- loading -----------------------------------------------------------------------------------
def load_catalogue(file: str, env: str | None = None, pricing: str | None = None) -> Catalogue:
    """The facts of one environment of the topology file (offline: the file and policies/ only)."""
    from cabructl.policy.report import project
    from cabructl.topology import load_topology

    topology = load_topology(file, env)
    model, _ = project(topology, pricing)
    return build_catalogue(topology, model)


def load_environments(file: str, current: Catalogue, pricing: str | None = None) -> dict[str, Catalogue]:
    """Every environment the file declares (``current`` reused for its own; just it when the file declares none)."""
    return {name: current if name == current.environment else load_catalogue(file, name, pricing)
            for name in current.environments or (current.environment,)}
