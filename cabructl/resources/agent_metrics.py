"""The agent SDK's own CloudWatch metrics: one list that the SDK emits, the dashboard graphs and the cost model prices.

The SDK (``cabructl.agents.telemetry``) writes these metrics to the topology's
``monitoring.agent_metrics`` namespace; the dashboard (this layer) and ``policy
check`` / ``cabructl cost`` (the policy layer) read them. They live here, below all
three, so that a renamed metric or dimension cannot leave one of them behind.

Every metric carries exactly the dimensions ``Agent`` and ``DetailType``. On the
publisher's metrics, Agent is the agent that published; on the consumer's, the agent
that consumed. So the series a topology can have are known offline: per publish
metric, each agent × each detail-type it declares; per consume metric, each agent
with ``consumes`` × each detail-type a rule can deliver to its queues. The dashboard
lists those series explicitly (a body that does not depend on what CloudWatch happens
to hold, so a plan after apply stays empty) and the cost model counts them.
"""

from __future__ import annotations

from dataclasses import dataclass

from cabructl.patterns import compile_pattern
from cabructl.topology.model import Rule, Topology

AGENT_DIMENSION = "Agent"
DETAIL_TYPE_DIMENSION = "DetailType"
DIMENSIONS = (AGENT_DIMENSION, DETAIL_TYPE_DIMENSION)
# The Agent value of a consumed event when the consumer names no agent.
UNKNOWN_AGENT = "unknown"
# The envelope fields a rule's pattern is read for, to know which detail-types reach a queue.
ENVELOPE_FIELDS = ("source", "detail-type")

COUNT = "Count"
MILLISECONDS = "Milliseconds"

EVENTS_PUBLISHED = "EventsPublished"
PUBLISH_FAILED = "PublishFailed"
PUBLISH_LATENCY = "PublishLatency"
EVENTS_HANDLED = "EventsHandled"
EVENTS_DUPLICATE = "EventsDuplicate"
EVENTS_FAILED = "EventsFailed"
EVENTS_DEAD_LETTERED = "EventsDeadLettered"
END_TO_END_LATENCY = "EndToEndLatency"


@dataclass(frozen=True)
class SdkMetric:
    name: str
    unit: str
    side: str  # "publish" | "consume": which half of the SDK emits it

    @property
    def is_latency(self) -> bool:
        """Latencies are sent as value arrays, so CloudWatch keeps their percentiles (p50, p99)."""
        return self.unit == MILLISECONDS


SDK_METRICS = (
    SdkMetric(EVENTS_PUBLISHED, COUNT, "publish"),
    SdkMetric(PUBLISH_FAILED, COUNT, "publish"),
    SdkMetric(PUBLISH_LATENCY, MILLISECONDS, "publish"),
    SdkMetric(EVENTS_HANDLED, COUNT, "consume"),
    SdkMetric(EVENTS_DUPLICATE, COUNT, "consume"),
    SdkMetric(EVENTS_FAILED, COUNT, "consume"),
    SdkMetric(EVENTS_DEAD_LETTERED, COUNT, "consume"),
    SdkMetric(END_TO_END_LATENCY, MILLISECONDS, "consume"),
)
METRICS_BY_NAME = {metric.name: metric for metric in SDK_METRICS}


def agent_detail_types(topology: Topology) -> dict[str, list[str]]:
    """Agent name → the detail-types of the events it declares, in the topology's order."""
    return {agent.name: [topology.schemas[schema].detail_type for schema in agent.events if schema in topology.schemas]
            for agent in topology.agents.values()}


def consumer_detail_types(topology: Topology) -> dict[str, list[str]]:
    """Consuming agent → the detail-types some rule can deliver to a queue it ``consumes``, in schema order.

    Only the envelope part of each rule's pattern (``source``, ``detail-type``) is tested
    against each schema, so conditions on the detail never hide a type: an upper bound.
    """
    consumers: dict[str, list[str]] = {}
    for agent in topology.agents.values():
        rules = [rule for rule in topology.rules.values()
                 if any(target.kind == "queue" and target.ref in agent.consumes for target in rule.targets)]
        if agent.consumes:
            consumers[agent.name] = [schema.detail_type for schema in topology.schemas.values()
                                     if any(_may_deliver(rule, schema.source, schema.detail_type) for rule in rules)]
    return consumers


def _may_deliver(rule: Rule, source: str, detail_type: str) -> bool:
    envelope = {key: value for key, value in rule.pattern.items() if key in ENVELOPE_FIELDS}
    return not envelope or compile_pattern(envelope).matches({"source": source, "detail-type": detail_type})


def series_of(topology: Topology, metric: SdkMetric) -> list[tuple[str, str]]:
    """The (Agent, DetailType) pairs ``metric`` can have: publishers' own types, or what consumers receive."""
    by_agent = agent_detail_types(topology) if metric.side == "publish" else consumer_detail_types(topology)
    return [(agent, detail_type) for agent, types in by_agent.items() for detail_type in types]


def metric_series(topology: Topology) -> list[tuple[str, str, str]]:
    """Every (metric, Agent, DetailType) series the SDK can emit for the declared agents: what CloudWatch bills.

    An upper bound: a series exists once an event of that agent and type is counted.
    Consumers that name no declared agent (Agent ``unknown``, or a Lambda handler's own
    name) add series the topology cannot know, and are not counted.
    """
    return [(metric.name, agent, detail_type) for metric in SDK_METRICS for agent, detail_type in series_of(topology, metric)]
