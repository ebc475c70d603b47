"""Which queue a consumer reads, and what it needs to know about it: from the topology, else the live queue.

A logical name (``cicd-changes``) is the topology's queue: its URL is asked of SQS once,
its dead-letter queue is the topology's ``redrive.dead_letter`` and its body shapes
come from the rules that deliver to it. A URL is taken as given; if it names a queue of
the topology (by AWS name) the topology still applies, otherwise the dead-letter queue
is the live RedrivePolicy's. Either way one GetQueueAttributes call reads the live
visibility timeout (the heartbeat's clock), retention and FIFO-ness.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cabructl.agents.envelopes import queue_shapes
from cabructl.agents.processing import QueueInfo
from cabructl.constants import SQS_FIFO_SUFFIX, SQS_RETENTION_DEFAULT, SQS_VISIBILITY_DEFAULT, long_poll_seconds
from cabructl.errors import CabructlError

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.topology.model import Topology

URL_PREFIXES = ("https://", "http://")


class UnknownQueueError(CabructlError):
    """A queue name the topology does not declare (and that is no URL)."""

    reference = "unknown-queue"


def resolve_queue(topology: "Topology", aws: Any, queue: str) -> QueueInfo:
    """The QueueInfo of a logical name, a URL, or an ARN (a Lambda event source)."""
    sqs = aws.client("sqs")
    if queue.startswith(URL_PREFIXES):
        url, name = queue, queue.rstrip("/").rsplit("/", 1)[-1]
    elif queue.startswith("arn:"):
        account, name = queue.split(":")[4], queue.rsplit(":", 1)[-1]
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    elif queue in topology.queues:
        name = topology.queues[queue].name
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    else:
        known = ", ".join(sorted(topology.queues)) or "none"
        raise UnknownQueueError(f'the topology declares no queue "{queue}" (queues: {known})',
                                hint="give a logical name from topology.yaml's queues, or the queue's URL")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
    logical = next((key for key, declared in topology.queues.items() if declared.name == name), None)
    dead_letter_name = _dead_letter_name(topology, logical, attributes)
    dead_letter_url = None
    if dead_letter_name is not None:
        dead_letter_url = sqs.get_queue_url(QueueName=dead_letter_name)["QueueUrl"]
    idempotency = topology.idempotency
    return QueueInfo(
        name=logical or name, url=url, arn=attributes.get("QueueArn", ""),
        shapes=tuple(queue_shapes(topology, logical)) if logical else (),
        dead_letter_url=dead_letter_url, dead_letter_fifo=bool(dead_letter_name and dead_letter_name.endswith(SQS_FIFO_SUFFIX)),
        retention=int(attributes.get("MessageRetentionPeriod", SQS_RETENTION_DEFAULT)),
        visibility=int(attributes.get("VisibilityTimeout", SQS_VISIBILITY_DEFAULT)),
        fifo=attributes.get("FifoQueue") == "true" or name.endswith(SQS_FIFO_SUFFIX),
        poll_seconds=long_poll_seconds(int(attributes.get("ReceiveMessageWaitTimeSeconds", 0))),
        **({"in_progress_expiry": idempotency.in_progress_expiry} if idempotency else {}),
    )


def _dead_letter_name(topology: "Topology", logical: str | None, attributes: dict[str, Any]) -> str | None:
    """The topology's ``redrive.dead_letter`` (its AWS name), else the live RedrivePolicy's target, else None."""
    declared = topology.queues.get(logical) if logical else None
    if declared is not None and declared.redrive_dead_letter:
        return topology.queues[declared.redrive_dead_letter].name
    policy = attributes.get("RedrivePolicy")
    if not policy:
        return None
    arn = json.loads(policy).get("deadLetterTargetArn", "")
    return arn.rsplit(":", 1)[-1] or None
