"""What the traffic model's rule matches become downstream: deliveries, per target and agent.

Every service beyond EventBridge bills what arrives at it: a queue's SendMessage, a topic's
publish, a log group's ingested bytes. A :class:`Flow` is one enabled rule's deliveries to one
target from one agent's events, per case, with the size of what the target receives: the
agent's representative event (its schema's example, else the size estimate) rendered through
the target's input settings, exactly as ``test-event`` renders it. When the topology declares
``typical_size_bytes`` instead, no event exists to render and the whole declared size is used.

A queue holds more than its rules deliver: EventBridge sends a failed delivery to the target's
dead-letter queue, and SQS moves a consumed message that keeps failing to the queue's own
(``redrive``). :func:`arrivals` lists all three, so every service that bills what a consumer does
with a queue's messages (SQS's receives, DynamoDB's idempotency writes) counts the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

from cabructl.policy.routes import target_payload
from cabructl.policy.sizes import SizeParameters, representative_event
from cabructl.policy.traffic import CASES, TrafficModel
from cabructl.resources.arns import arn_parts
from cabructl.resources.base import offline_context
from cabructl.resources.targets import TargetKind, target_kind
from cabructl.topology.model import Agent, Rule, Target, Topology

SizeCache = dict[tuple[str, str, str], int]
QUEUE_METER = "sqs"  # the ``billed_as`` of targets that put messages in a queue


@dataclass(frozen=True)
class Flow:
    """One rule's deliveries to one of its targets, caused by one agent's events."""

    rule: str                 # the rule's logical name
    target: Target
    kind: TargetKind
    agent: str
    deliveries: Mapping[str, float]  # case → deliveries a month
    delivered_bytes: int      # what the target receives of one event (UTF-8 bytes)
    other_account: bool       # the target is in another account (EventBridge bills cross-account delivery)

    @property
    def destination(self) -> str:
        """The logical name (or reference) of where it delivers."""
        return self.target.ref


def flows(topology: Topology, model: TrafficModel, sizes: SizeParameters) -> list[Flow]:
    """Every delivery the month makes, per enabled rule × target × agent whose events the rule matches."""
    found: list[Flow] = []
    cache: SizeCache = {}
    for rule in topology.rules.values():
        projection = model.rules.get(rule.logical)
        if rule.state != "ENABLED" or projection is None:
            continue
        for agent_name, matched in projection.by_agent.items():
            if not any(matched.values()):
                continue
            agent = topology.agents[agent_name]
            for target in rule.targets:
                kind = target_kind(target.kind)
                size = _delivered_bytes(topology, rule, target, agent, model, sizes, cache)
                found.append(Flow(rule.logical, target, kind, agent_name, dict(matched), size,
                                  _in_other_account(topology, kind, target)))
    return found


def dead_lettered(flows_: list[Flow], failure_rate: float) -> Iterator[tuple[str, str, dict[str, float], int]]:
    """(dead-letter queue, agent, case → letters a month, bytes) for deliveries that fail at ``failure_rate``."""
    for flow in flows_:
        if flow.target.dead_letter is not None and failure_rate > 0:
            yield (flow.target.dead_letter, flow.agent, {case: flow.deliveries[case] * failure_rate for case in CASES},
                   flow.delivered_bytes)


@dataclass(frozen=True)
class Arrival:
    """Messages one agent's events put in one queue a month."""

    queue: str                   # the queue's logical name
    agent: str
    messages: Mapping[str, float]  # case → messages a month
    size: int                    # bytes of one message
    sent: bool                   # EventBridge sent it (a billed SendMessage); False when SQS's redrive moved it


def arrivals(topology: Topology, flows_: list[Flow], failure_rate: float) -> list[Arrival]:
    """Every message a queue receives: rules' deliveries, EventBridge's dead letters, and the failures SQS's
    redrive moves out of a queue an agent consumes (one hop: a dead-letter queue's own redrive is not followed)."""
    direct = [Arrival(flow.destination, flow.agent, dict(flow.deliveries), flow.delivered_bytes, True)
              for flow in flows_ if flow.kind.billed_as == QUEUE_METER]
    direct += [Arrival(queue, agent, letters, size, True) for queue, agent, letters, size in dead_lettered(flows_, failure_rate)]
    consumed = {queue for agent in topology.agents.values() for queue in agent.consumes}
    moved: list[Arrival] = []
    for arrival in direct:
        redrive = topology.queues[arrival.queue].redrive_dead_letter
        if failure_rate > 0 and redrive is not None and arrival.queue in consumed:
            moved.append(Arrival(redrive, arrival.agent, {case: arrival.messages[case] * failure_rate for case in CASES},
                                 arrival.size, False))
    return direct + moved


def _delivered_bytes(topology: Topology, rule: Rule, target: Target, agent: Agent, model: TrafficModel,
                     sizes: SizeParameters, cache: SizeCache) -> int:
    """The largest body the target receives of the agent's event types (a declared size is used whole)."""
    key = (rule.logical, target.id, agent.name)
    if key not in cache:
        cache[key] = max((_rendered_size(topology, rule, target, name, model, sizes) for name in agent.events
                          if name in topology.schemas), default=model.agents[agent.name].event_bytes)
    return cache[key]


def _rendered_size(topology: Topology, rule: Rule, target: Target, schema_name: str, model: TrafficModel,
                   sizes: SizeParameters) -> int:
    schema = topology.schemas[schema_name]
    if schema.typical_size_bytes is not None:
        return schema.typical_size_bytes
    event = representative_event(schema, topology.region, sizes)
    return len(target_payload(topology, rule, target, event).encode("utf-8"))


def _in_other_account(topology: Topology, kind: TargetKind, target: Target) -> bool:
    """Whether the target's ARN names an account other than the topology's own (offline: the placeholder)."""
    context = offline_context(topology)
    parts = arn_parts(kind.arn(topology, context, target.ref))
    return parts is not None and bool(parts.account) and parts.account != context.account_id


__all__ = ["Arrival", "Flow", "arrivals", "dead_lettered", "flows"]
