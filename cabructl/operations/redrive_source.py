"""Redrive a consumer's dead letter back to the queue it came from, not to a target or the bus.

A consumer that gives up on a message (it could not parse it, or its schema check failed)
dead-letters it itself and names its queue (``CABRUCTL_SOURCE_QUEUE``); SQS's own redrive,
after a queue's ``max_receives``, moves a message with no attribute at all, and names the
queue in ``DeadLetterQueueSourceArn`` only where AWS reports it. Either way EventBridge did
deliver the event: what failed is the consumer, so the redrive puts the body, unchanged, back
in that queue for its consumer to try again (once fixed). No other target receives anything.

Without a named queue, the source is the one queue of the topology that redrives to this
dead-letter queue; with several such queues, or none, nothing is guessed: the letter stays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from cabructl.operations.redrive_target import VIA_BUS_HINT, TargetGone

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.aws import Aws


class SourceGone(TargetGone):
    """The letter's source queue is unknown or no longer exists: nothing to redrive it to."""


class SourceRedrive:
    """Sends letters back to their source queues; finds each queue once per redrive."""

    def __init__(self, aws: "Aws", redriven_from: Sequence[str] = ()) -> None:
        self.aws = aws
        self.redriven_from = tuple(redriven_from)  # names of the topology's queues that redrive to this one
        self._found: dict[str, tuple[str, str]] = {}  # ARN or name → (URL, ARN)

    def deliver(self, body: str, source: str | None) -> str:
        """Put ``body`` back in ``source`` (an ARN; None: the topology's one redriving queue); returns its ARN."""
        url, arn = self.queue(source or self._only_source())
        self.aws.client("sqs").send_message(QueueUrl=url, MessageBody=body)
        return arn

    def _only_source(self) -> str:
        if len(self.redriven_from) == 1:
            return self.redriven_from[0]
        which = f"one of {', '.join(self.redriven_from)}" if self.redriven_from else "no queue of the topology redrives here"
        raise SourceGone(f"the letter does not say which queue it came from ({which})", hint=VIA_BUS_HINT)

    def queue(self, source: str) -> tuple[str, str]:
        """(URL, ARN) of ``source``, a queue ARN or name; SourceGone when it does not exist."""
        if source not in self._found:
            self._found[source] = self._find(source)
        return self._found[source]

    def _find(self, source: str) -> tuple[str, str]:
        sqs = self.aws.client("sqs")
        parts = source.split(":")
        request = {"QueueName": parts[5], "QueueOwnerAWSAccountId": parts[4]} if len(parts) == 6 else {"QueueName": source}
        found = self.aws.find(lambda: sqs.get_queue_url(**request))
        if not found:
            raise SourceGone(f"the source queue {source} no longer exists", hint=VIA_BUS_HINT)
        url = found["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn
