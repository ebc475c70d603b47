"""An SNS topic as a rule's target (``topic: <logical name in topics>``)."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator, Mapping

from cabructl.resources.arns import topic_arn
from cabructl.resources.base import Context
from cabructl.resources.targets.base import Clients, Delivery, Outgoing, TargetKind
from cabructl.resources.targets.queue import drain
from cabructl.topology.model import Topology

OBSERVER_SUFFIX = "demo-observer"  # the demo's own queue on each topic, beside the topology's


def watch(aws: Any, topology: Topology, context: Context, logical: str) -> Callable[[], Iterator[str]]:
    """Subscribe a queue of its own to the topic (what a person would do), and read that queue."""
    sqs, sns = aws.client("sqs"), aws.client("sns")
    url = sqs.create_queue(QueueName=f"{topology.prefix}{logical}-{OBSERVER_SUFFIX}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn(topology, context, logical), Protocol="sqs", Endpoint=queue_arn)
    return lambda: drain(aws, url)


def send(clients: Clients, outgoing: Outgoing) -> None:
    """What EventBridge does for a topic target: one Publish of the rendered input."""
    clients("sns", outgoing.arn).publish(TopicArn=outgoing.arn, Message=outgoing.body)


def live_policy(clients: Clients, arn: str) -> Mapping[str, Any] | None:
    """The topic policy, which must let events.amazonaws.com Publish."""
    text = clients("sns", arn).get_topic_attributes(TopicArn=arn).get("Attributes", {}).get("Policy")
    return json.loads(text) if text else None


TOPIC = TargetKind(
    key="topic",
    resource_kind="sns.topic",
    label="SNS topic",
    arn=topic_arn,
    delivery=Delivery("cabructl.resources.sns_topic", "sns.topic", "policy", ("sns:Publish",), True, topic_arn),
    watch=watch,
    service="sns",
    send=send,
    live_policy=live_policy,
    billed_as="sns",
)
