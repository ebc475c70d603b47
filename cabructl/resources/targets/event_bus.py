"""Another event bus as a rule's target (``event_bus: <ARN or name>``), in any account or region.

EventBridge puts the event on the other bus with a role (``events:PutEvents`` on that
bus); a bus in another account must also let this account in its own bus policy, which
cabructl cannot see or write. The other bus receives the event itself: input settings
are for targets that are AWS services or API destinations (AWS's User Guide), not for a
bus, whose rules then match the event as it was published.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

from cabructl.constants import EVENTS_SERVICE_PRINCIPAL
from cabructl.resources.base import Context
from cabructl.resources.targets.base import Clients, Outgoing, TargetKind
from cabructl.resources.targets.referenced import referenced_arn
from cabructl.topology.model import Topology

bus_arn = referenced_arn("events", "event-bus/")
OBSERVER_SUFFIX = "bus-observer"  # the watch's own rule and queue on the other bus
MATCH_ALL = json.dumps({"source": [{"prefix": ""}]})


class NotPutOnBus(Exception):
    """PutEvents refused the entry (its ErrorCode and ErrorMessage): the same entry would be refused again."""

    delivery_error_code = "INVALID_PARAMETER"  # the DLQ code the local endpoint gives it (not retried)


def send(clients: Clients, outgoing: Outgoing) -> None:
    """What EventBridge does for a bus target: PutEvents of the event to that bus, in its account and region."""
    event = outgoing.original_event()
    entry = {"EventBusName": outgoing.arn, "Source": event.get("source"), "DetailType": event.get("detail-type"),
             "Detail": json.dumps(event.get("detail", {})), "Resources": list(event.get("resources") or [])}
    if event.get("time"):
        entry["Time"] = event["time"]
    [result] = clients("events", outgoing.arn).put_events(Entries=[entry])["Entries"]
    if "ErrorCode" in result:
        raise NotPutOnBus(f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}")


def watch(aws: Any, topology: Topology, context: Context, reference: str) -> Callable[[], Iterator[str]]:
    """A rule of the watch's own on the other bus, matching every event, sends to a queue of its own,
    which is read (what a person would do to see a bus's events)."""
    from cabructl.resources.targets.queue import drain

    arn = bus_arn(topology, context, reference)
    name = f"{topology.prefix}{arn.rsplit('/', 1)[-1]}-{OBSERVER_SUFFIX}"
    sqs, events = aws.client("sqs"), aws.client("events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = events.put_rule(Name=name, EventBusName=arn, EventPattern=MATCH_ALL)["RuleArn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": EVENTS_SERVICE_PRINCIPAL}, "Action": "sqs:SendMessage",
        "Resource": queue, "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    events.put_targets(Rule=name, EventBusName=arn, Targets=[{"Id": OBSERVER_SUFFIX, "Arn": queue}])
    return lambda: drain(aws, url)


EVENT_BUS = TargetKind(
    key="event_bus",
    resource_kind=None,
    label="event bus",
    arn=bus_arn,
    delivery=None,
    service="events",
    resource_type="event-bus/",
    role_action="events:PutEvents",
    watch=watch,
    send=send,
    unpriced="what the receiving bus bills and does with the event (its rules and targets are priced where that bus is declared)",
)
