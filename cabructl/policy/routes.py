"""Routing, offline: which rules an event fires, and which rules each agent's events can reach.

`cabructl test-event` and `cabructl routes` answer from the topology alone, with
EventBridge's own pattern semantics (:mod:`cabructl.patterns`) and the same
candidate events the cost model uses, so "where does this go" and "what does it
cost" can never disagree.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from cabructl.errors import EventInputError
from cabructl.patterns.entries import EntryParts, parse_entries
from cabructl.topology.model import Rule, Target, Topology
from cabructl.topology.targets import destination_name

# A probe no agent would send: a rule matching it matches (nearly) everything on the bus.
PROBE_EVENT = {"version": "0", "source": "cabructl.probe.unknown-source", "detail-type": "cabructl probe",
               "detail": {}, "resources": []}
ROUTES_MAX_CANDIDATES = 4096


@dataclass(frozen=True)
class Delivery:
    rule: str
    target: Target
    destination: str  # AWS name of the queue/topic/log group
    dead_letter: str | None
    payload: str | None = None  # what the target receives for the event (its input settings applied)

    def to_json(self) -> dict[str, Any]:
        retry = self.target.retry
        return {
            "rule": self.rule,
            "target": self.target.id,
            "kind": self.target.kind,
            "destination": self.destination,
            "retry": {"attempts": retry.attempts, "max_age_seconds": retry.max_age_seconds} if retry else None,
            "dead_letter": self.dead_letter,
            "payload": self.payload,
        }


@dataclass(frozen=True)
class EventRoute:
    """Where one event goes."""

    event: dict[str, Any]
    rules: tuple[str, ...]
    deliveries: tuple[Delivery, ...]

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "rules": list(self.rules), "deliveries": [d.to_json() for d in self.deliveries]}


@dataclass
class AgentRoute:
    agent: str
    source: str
    detail_type: str
    rules: list[str]


@dataclass
class RoutesReport:
    routes: list[AgentRoute] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)  # rules no declared agent can trigger
    catch_all: list[str] = field(default_factory=list)  # rules matching events from anywhere

    def to_json(self, topology: Topology) -> dict[str, Any]:
        return {
            "bus": topology.bus.name,
            "agents": [{"agent": r.agent, "source": r.source, "detail_type": r.detail_type, "rules": r.rules} for r in self.routes],
            "rules": {name: [delivery.to_json() for delivery in deliveries_of(topology, topology.rules[name])] for name in topology.rules},
            "warnings": warnings(self),
        }


def warnings(report: RoutesReport) -> list[str]:
    found = [f"rule {name}: no declared agent sends an event it can match" for name in report.unreachable]
    found += [f"rule {name}: matches events from any source — every event on the bus" for name in report.catch_all]
    return found


# -- one event ---------------------------------------------------------------------------
def route_events(topology: Topology, events: Iterable[Mapping[str, Any]]) -> list[EventRoute]:
    """Each event's matching rules and the deliveries they make."""
    from cabructl.patterns import compile_rules

    rules = compile_rules({name: rule.pattern for name, rule in topology.rules.items() if rule.state == "ENABLED"})
    routes = []
    for event in events:
        names = tuple(rules.matching(dict(event)))
        deliveries = tuple(d for name in names for d in deliveries_of(topology, topology.rules[name], event))
        routes.append(EventRoute(dict(event), names, deliveries))
    return routes


def deliveries_of(topology: Topology, rule: Rule, event: Mapping[str, Any] | None = None) -> list[Delivery]:
    """Each target of the rule; with ``event``, the payload each would receive for it."""
    deliveries = []
    for target in rule.targets:
        destination = destination_name(topology, target.kind, target.ref)
        dead_letter = topology.queues[target.dead_letter].name if target.dead_letter in topology.queues else None
        payload = target_payload(topology, rule, target, event) if event is not None else None
        deliveries.append(Delivery(rule.logical, target, destination, dead_letter, payload))
    return deliveries


def target_payload(topology: Topology, rule: Rule, target: Target, event: Mapping[str, Any]) -> str:
    """The body EventBridge sends this target for this event (rule ARNs in the offline account)."""
    from cabructl.patterns.transform import TargetInputError, render_input
    from cabructl.resources.arns import rule_arn
    from cabructl.resources.base import offline_context

    from cabructl.topology.targets import target_keys

    settings = target.put_targets_input() if target_keys()[target.kind].takes_input else {}  # another bus: the event itself
    try:
        return render_input(settings, event, rule_arn=rule_arn(topology, offline_context(topology), rule),
                            rule_name=rule.name)
    except TargetInputError as error:  # validate reports it with file:line
        return f"(cannot be rendered: {error})"


def envelope(topology: Topology, source: str, detail_type: str, detail: Any, **extra: Any) -> dict[str, Any]:
    """A complete event as EventBridge delivers it, from the parts a publisher gives."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": extra.get("account", "123456789012"),
        "time": extra.get("time") or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": extra.get("region") or topology.region,
        "resources": list(extra.get("resources") or []),
        "detail": detail,
    }


def events_from_document(topology: Topology, document: Any, origin: str) -> list[dict[str, Any]]:
    """Full envelopes from a full event, a list of them, or a PutEvents entries file
    (``[{"Source", "DetailType", "Detail": "<json>", "EventBusName"}]`` or ``{"Entries": [...]}``)."""
    if _is_entries_file(document):
        return [_from_entry(topology, parts) for parts in parse_entries(document, bus=topology.bus.name)]
    items = document if isinstance(document, list) else [document]
    if not items:
        raise EventInputError(f"{origin}: no events in the file")
    return [_one_event(topology, item, f"{origin}[{index}]" if isinstance(document, list) else origin) for index, item in enumerate(items)]


def _is_entries_file(document: Any) -> bool:
    if isinstance(document, dict):
        return "Entries" in document
    return isinstance(document, list) and any(isinstance(item, dict) and "Source" in item for item in document)


def _one_event(topology: Topology, item: Any, origin: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise EventInputError(f"{origin}: an event must be a JSON object, not {type(item).__name__}")
    missing = [key for key in ("source", "detail-type") if key not in item]
    if missing:
        raise EventInputError(f"{origin}: missing {', '.join(missing)} (a full event needs source, detail-type and detail)")
    return {**envelope(topology, item["source"], item["detail-type"], item.get("detail", {})), **item}


def _from_entry(topology: Topology, parts: EntryParts) -> dict[str, Any]:
    """A PutEvents entry as EventBridge would deliver it (parse_entries refused any other bus, as publish does)."""
    return envelope(topology, parts.source, parts.detail_type, parts.detail, resources=parts.resources, time=parts.time)


# -- every agent -------------------------------------------------------------------------
def route_table(topology: Topology) -> RoutesReport:
    """For each agent and event type, the rules its events can match; and the odd rules out."""
    from cabructl.patterns import compile_pattern
    from cabructl.policy.candidates import EventSpace, MatchTable, pattern_paths

    patterns = {name: rule.pattern for name, rule in topology.rules.items() if rule.state == "ENABLED"}
    paths = {path for pattern in patterns.values() for path in pattern_paths(pattern)}
    report = RoutesReport()
    reached: set[str] = set()
    for agent in topology.agents.values():
        for event_name in agent.events:
            schema = topology.schemas[event_name]
            table = MatchTable(EventSpace(schema, topology.region, paths, ROUTES_MAX_CANDIDATES), patterns)
            rules = [name for name in patterns if table.worst_share(name) > 0]
            reached.update(rules)
            report.routes.append(AgentRoute(agent.name, agent.source, schema.detail_type, rules))
    report.unreachable = [name for name in patterns if name not in reached]
    report.catch_all = [name for name, pattern in patterns.items() if compile_pattern(pattern).matches(PROBE_EVENT)]
    return report
