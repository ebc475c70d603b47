"""What CloudWatch would count if the month went as the model says: one meter per service metric.

``cabructl cost`` reads the real counters and sets them beside these, so the model is checked
against what happened, service by service. Each meter is a CloudWatch metric with its
dimensions (``AWS/SQS NumberOfMessagesSent`` of one queue), the model's figure for a month
in each case, and whether it grows with traffic (an empty receive happens whatever is
published). The figures come from the same flows the bill prices (:mod:`cabructl.policy.bill.flows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from cabructl.constants import (
    DYNAMODB_NAMESPACE,
    DYNAMODB_WRITE_UNITS,
    EVENTS_NAMESPACE,
    LOGS_BYTES,
    LOGS_EVENTS,
    LOGS_NAMESPACE,
    SNS_DELIVERED,
    SNS_NAMESPACE,
    SNS_PUBLISHED,
    SQS_DELETED,
    SQS_EMPTY_RECEIVES,
    SQS_NAMESPACE,
    SQS_RECEIVED,
    SQS_SENT,
)
from cabructl.policy.bill.dynamodb import writes_per_handled
from cabructl.policy.bill.flows import Arrival, Flow, arrivals, flows
from cabructl.policy.bill.inputs import BackboneParameters
from cabructl.policy.bill.sqs import deletes_per_message, empty_receives, receives_per_message
from cabructl.policy.traffic import CASES, INVOCATION_METRICS, SECONDS_PER_DAY, ModelParameters, TrafficModel
from cabructl.policy.usage import MATCHED_METRIC, PUBLISHED_METRIC
from cabructl.topology.model import Topology

[INVOCATIONS_METRIC] = INVOCATION_METRICS  # the one EventBridge metric counting deliveries to targets


@dataclass(frozen=True)
class Meter:
    """One CloudWatch metric of one resource, as the model projects it for a month."""

    service: str
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    resource: str  # how a person names what it counts: ``queue product-requests``
    unit: str
    monthly: Mapping[str, float]  # case → the metric's sum over a month
    traffic_driven: bool = True   # False: it grows with time, not with what is published

    def for_days(self, days: float, days_per_month: float, case: str) -> float:
        return self.monthly[case] * days / days_per_month


def projected_meters(topology: Topology, model: TrafficModel, policy_model: Mapping[str, Any]) -> list[Meter]:
    """Every metric ``cost`` compares, per service, in the order reports show them."""
    parameters = ModelParameters.from_policy(policy_model)
    backbone = BackboneParameters.from_policy(policy_model)
    found = flows(topology, model, parameters.size)
    arrived = arrivals(topology, found, backbone.delivery_failure_rate)
    month_seconds = parameters.days_per_month * SECONDS_PER_DAY
    return [*_eventbridge(topology, model), *_logs(topology, found), *_sqs(topology, arrived, backbone, month_seconds),
            *_sns(topology, found), *_dynamodb(topology, arrived, backbone)]


def _eventbridge(topology: Topology, model: TrafficModel) -> list[Meter]:
    meters = [Meter("eventbridge", EVENTS_NAMESPACE, PUBLISHED_METRIC, (), "the account's PutEvents entries", "events",
                    {case: model.published for case in CASES})]
    for rule in topology.rules.values():
        projection = model.rules[rule.logical]
        dimensions = (("EventBusName", topology.bus.name), ("RuleName", rule.name))
        meters.append(Meter("eventbridge", EVENTS_NAMESPACE, MATCHED_METRIC, dimensions, f"rule {rule.logical}", "events",
                            dict(projection.matched)))
        meters.append(Meter("eventbridge", EVENTS_NAMESPACE, INVOCATIONS_METRIC, dimensions, f"rule {rule.logical}", "invocations",
                            {case: projection.matched[case] * len(rule.targets) for case in CASES}))
    return meters


def _logs(topology: Topology, found: list[Flow]) -> list[Meter]:
    """IncomingBytes counts the events' uncompressed bytes (the billing overhead per event is not in it)."""
    meters = []
    for logical, group in topology.log_groups.items():
        into = [flow for flow in found if flow.kind.billed_as == "logs" and flow.destination == logical]
        dimensions = (("LogGroupName", group.name),)
        meters.append(Meter("logs", LOGS_NAMESPACE, LOGS_EVENTS, dimensions, f"log group {logical}", "events",
                            _sum(into, lambda flow: 1.0)))
        meters.append(Meter("logs", LOGS_NAMESPACE, LOGS_BYTES, dimensions, f"log group {logical}", "bytes",
                            _sum(into, lambda flow: float(flow.delivered_bytes))))
    return meters


def _sqs(topology: Topology, arrived: list[Arrival], backbone: BackboneParameters, month_seconds: float) -> list[Meter]:
    """NumberOfMessagesSent counts what is sent (not what SQS's redrive moves in); receives and deletes all that arrives."""
    meters = []
    for logical, queue in topology.queues.items():
        here = [arrival for arrival in arrived if arrival.queue == logical]
        sent = {case: sum(arrival.messages[case] for arrival in here if arrival.sent) for case in CASES}
        messages = {case: sum(arrival.messages[case] for arrival in here) for case in CASES}
        consumers = len(topology.consumers_of(logical))
        receives = receives_per_message(queue, backbone.delivery_failure_rate) if consumers else 0.0
        deletes = deletes_per_message(backbone.delivery_failure_rate) if consumers else 0.0
        received = {case: messages[case] * receives for case in CASES}
        deleted = {case: messages[case] * deletes for case in CASES}
        polls = consumers * empty_receives(queue, backbone.consumer_processes, month_seconds)
        dimensions = (("QueueName", queue.name),)
        where = f"queue {logical}"
        meters += [Meter("sqs", SQS_NAMESPACE, SQS_SENT, dimensions, where, "messages", sent),
                   Meter("sqs", SQS_NAMESPACE, SQS_RECEIVED, dimensions, where, "messages", received),
                   Meter("sqs", SQS_NAMESPACE, SQS_DELETED, dimensions, where, "messages", deleted),
                   Meter("sqs", SQS_NAMESPACE, SQS_EMPTY_RECEIVES, dimensions, where, "receives",
                         {case: polls for case in CASES}, traffic_driven=False)]
    return meters


def _sns(topology: Topology, found: list[Flow]) -> list[Meter]:
    meters = []
    for logical, topic in topology.topics.items():
        published = _sum([flow for flow in found if flow.kind.billed_as == "sns" and flow.destination == logical], lambda flow: 1.0)
        subscribers = sum(topic.subscribers.values())
        dimensions = (("TopicName", topic.name),)
        meters += [Meter("sns", SNS_NAMESPACE, SNS_PUBLISHED, dimensions, f"topic {logical}", "messages", published),
                   Meter("sns", SNS_NAMESPACE, SNS_DELIVERED, dimensions, f"topic {logical}", "notifications",
                         {case: published[case] * subscribers for case in CASES})]
    return meters


def _dynamodb(topology: Topology, arrived: list[Arrival], backbone: BackboneParameters) -> list[Meter]:
    """The writes of every message handled from a queue some agent consumes, as the bill counts them."""
    table = topology.idempotency
    if table is None:
        return []
    handled = [arrival for arrival in arrived if topology.consumers_of(arrival.queue)]
    writes = writes_per_handled(backbone.delivery_failure_rate)
    monthly = {case: sum(arrival.messages[case] for arrival in handled) * writes for case in CASES}
    return [Meter("dynamodb", DYNAMODB_NAMESPACE, DYNAMODB_WRITE_UNITS, (("TableName", table.name),),
                  f"table {table.logical}", "write units", monthly)]


def _sum(selected: list[Flow], per_delivery: Any) -> dict[str, float]:
    """Case → Σ deliveries × ``per_delivery(flow)`` over the flows."""
    return {case: sum(flow.deliveries[case] * per_delivery(flow) for flow in selected) for case in CASES}
