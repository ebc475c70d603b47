"""An SQS queue as a rule's target (``queue: <logical name in queues>``), also every dead-letter queue."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from cabructl.resources.arns import queue_arn
from cabructl.resources.base import Context
from cabructl.resources.targets.base import Delivery, TargetKind
from cabructl.topology.model import Topology

AWS_MANAGED_KEY = "alias/aws/sqs"


def encryption_key(topology: Topology, logical: str) -> str | None:
    """The KMS key a queue is encrypted with (SSE-KMS without a key is the AWS-managed one)."""
    queue = topology.queues.get(logical)
    if queue is None or queue.encryption != "kms":
        return None
    return queue.kms_key or AWS_MANAGED_KEY


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


QUEUE = TargetKind(
    key="queue",
    resource_kind="sqs.queue",
    label="SQS queue",
    arn=queue_arn,
    delivery=Delivery("cabructl.resources.sqs_queue", "sqs.queue", "policy", ("sqs:SendMessage",), True, queue_arn),
    aws_managed_key=AWS_MANAGED_KEY,
    encryption_key=encryption_key,
    watch=watch,
)
