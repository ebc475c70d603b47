"""An SQS queue as a rule's target (``queue: <logical name in queues>``), also every dead-letter queue."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator, Mapping

from cabructl.constants import SQS_FIFO_SUFFIX
from cabructl.resources.arns import arn_parts, queue_arn
from cabructl.resources.base import Context
from cabructl.resources.targets.base import Clients, Delivery, Outgoing, TargetKind
from cabructl.topology.model import Topology

def drain(aws: Any, url: str) -> Iterator[str]:
    """Every message body waiting in a queue, deleted as read."""
    sqs = aws.client("sqs")
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return
        yield from (message["Body"] for message in messages)
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])


def watch(aws: Any, topology: Topology, context: Context, logical: str) -> Callable[[], Iterator[str]]:
    url = aws.client("sqs").get_queue_url(QueueName=topology.queues[logical].name)["QueueUrl"]
    return lambda: drain(aws, url)


def queue_url(clients: Clients, arn: str) -> str:
    """The URL of the queue an ARN names, built from it (SQS's documented form), not asked for:
    a delivery then costs one call, not two. Without a full ARN, SQS is asked."""
    parts = arn_parts(arn)
    if parts is not None and parts.region and parts.account:
        domain = "amazonaws.com.cn" if parts.partition == "aws-cn" else "amazonaws.com"
        return f"https://sqs.{parts.region}.{domain}/{parts.account}/{parts.resource}"
    return str(clients("sqs", arn).get_queue_url(QueueName=arn)["QueueUrl"])


def send_message(clients: Clients, arn: str, body: str, *, attributes: Mapping[str, str] | None = None,
                 group: str | None = None, deduplication: str | None = None) -> None:
    """SendMessage to the queue ``arn`` names, with string message attributes (a DLQ's reasons)."""
    request: dict[str, Any] = {"QueueUrl": queue_url(clients, arn), "MessageBody": body}
    if attributes:
        request["MessageAttributes"] = {name: {"DataType": "String", "StringValue": value}
                                        for name, value in attributes.items() if value}
    if group is not None:
        request["MessageGroupId"] = group
    if deduplication is not None:
        request["MessageDeduplicationId"] = deduplication
    clients("sqs", arn).send_message(**request)


def send(clients: Clients, outgoing: Outgoing) -> None:
    """What EventBridge does for a queue target: one SendMessage; to a FIFO queue in the target's
    group, deduplicated by the event's id (so a retried delivery is not a second message)."""
    group = (outgoing.target.get("SqsParameters") or {}).get("MessageGroupId")
    fifo = outgoing.arn.endswith(SQS_FIFO_SUFFIX)
    send_message(clients, outgoing.arn, outgoing.body, group=group, deduplication=outgoing.event_id if fifo else None)


def live_policy(clients: Clients, arn: str) -> Mapping[str, Any] | None:
    """The queue policy, which must let events.amazonaws.com SendMessage."""
    attributes = clients("sqs", arn).get_queue_attributes(QueueUrl=queue_url(clients, arn), AttributeNames=["Policy"])
    text = attributes.get("Attributes", {}).get("Policy")
    return json.loads(text) if text else None


QUEUE = TargetKind(
    key="queue",
    resource_kind="sqs.queue",
    label="SQS queue",
    arn=queue_arn,
    delivery=Delivery("cabructl.resources.sqs_queue", "sqs.queue", "policy", ("sqs:SendMessage",), True, queue_arn),
    watch=watch,
    service="sqs",
    send=send,
    live_policy=live_policy,
    billed_as="sqs",
)
