"""Dead-letter queues: find them from the topology, read what failed and why, and redrive it.

EventBridge puts an event it could not deliver into the target's DLQ with the
reason as message attributes (RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE,
EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS). Reading is done with long polling
(fewer, cheaper receives — the seed's advice) and keeps each message invisible
only while the scan runs, then hands it back untouched.

Three kinds of letters share a dead-letter queue, and ``dlq show`` tells them apart
(:attr:`DeadLetter.kind`): EventBridge could not deliver the event (its attributes above); a
consumer gave up on it and dead-lettered it itself (the ``CABRUCTL_CONSUMER_*`` attributes of
:mod:`cabructl.constants`: why, from which queue, after how many receives); or SQS moved it
here after its queue's ``max_receives`` (no attributes; the source queue is SQS's
``DeadLetterQueueSourceArn`` when reported, else the one topology queue that redrives here).

A redrive delivers each event to the one target that failed (``TARGET_ARN``, see
:mod:`cabructl.operations.redrive_target`), so no other target receives it twice;
``via_bus`` publishes it to the bus again instead (every matching rule fires), for
events whose target no longer exists. Either way the DLQ message is deleted only
once its delivery succeeded: if anything fails half-way the message is still in
the queue. A consumer's letter, or one SQS moved, goes back to its source queue instead
(:mod:`cabructl.operations.redrive_source`), body unchanged, for its consumer to try again.

A body that is not an event PutEvents would take (not JSON, too deep, wrong
types) is *malformed*: shown as such, skipped by a redrive and left in the
queue, so one bad message never stops an operator from handling the others.
AWS failures become :class:`~cabructl.errors.AwsError` naming the queue and the
call, as in every other command.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

from cabructl.agents.entries import envelope_problems
from cabructl.patterns.entries import parse_time
from cabructl.agents.errors import REFUSED_EVENT_ERRORS, EventInputError
from cabructl.patterns.eventjson import loads_event_json
from cabructl.aws import aws_errors, describe_aws_error, is_botocore_error
from cabructl.constants import (CONSUMER_AGENT_ATTRIBUTE, CONSUMER_QUEUE_ATTRIBUTE, CONSUMER_REASON_ATTRIBUTE,
                                CONSUMER_RECEIVES_ATTRIBUTE, PUT_EVENTS_MAX_ENTRIES, SQS_RECEIVE_WAIT_RANGE)
from cabructl.errors import CabructlError

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.agents.catalog import EventCatalog
    from cabructl.agents.client import EventBridgeAgent, Prepared
    from cabructl.agents.events import GenericEvent
    from cabructl.aws import Aws
    from cabructl.topology.model import Topology

ERROR_ATTRIBUTES = ("RULE_ARN", "TARGET_ARN", "ERROR_CODE", "ERROR_MESSAGE", "EXHAUSTED_RETRY_CONDITION", "RETRY_ATTEMPTS")
MAX_RECEIVE_WAIT = SQS_RECEIVE_WAIT_RANGE[1]
# Later receives of one scan wait at most this long: long polling still asks every SQS
# server, and the final, empty receive does not cost a full 20 s.
FOLLOW_UP_WAIT = 1
# Messages stay hidden from other consumers this long while a scan or redrive runs.
SCAN_VISIBILITY_SECONDS = 120
DEFAULT_MAX_MESSAGES = 100
SOURCE_ARN_ATTRIBUTE = "DeadLetterQueueSourceArn"  # SQS's system attribute on a message its redrive moved
# The kinds of letters (DeadLetter.kind), and what each means, as `dlq show` says it.
DELIVERY, CONSUMER, REDRIVE = "delivery", "consumer", "redrive"
KIND_MEANINGS = {
    DELIVERY: "EventBridge could not deliver it",
    CONSUMER: "a consumer gave up on it",
    REDRIVE: "SQS moved it here after too many receives (the queue's max_receives)",
}


class DeadLetterError(CabructlError):
    reference = "dead-letter-queue"


def aws_calls(doing: str) -> Any:
    """botocore failures inside become an AwsError saying what was being done (no traceback)."""
    return aws_errors(doing, not_found_hint="check the queue name or URL: `cabructl dlq list` shows the topology's queues")


@dataclass(frozen=True)
class DeadLetterQueue:
    """A queue of the topology (or one named by URL) and the targets that use it as their DLQ."""

    name: str
    url: str | None  # None: the queue does not exist (yet)
    logical: str | None = None
    used_by: tuple[str, ...] = ()
    redriven_from: tuple[str, ...] = ()  # names of the topology's queues whose SQS redrive ends here


@dataclass(frozen=True)
class DeadLetter:
    """One failed event as EventBridge left it, with the reason it gave."""

    message_id: str
    receipt_handle: str
    body: str
    attributes: dict[str, str]
    receive_count: int
    source_arn: str | None = None  # SQS's DeadLetterQueueSourceArn, when SQS reports it

    @property
    def kind(self) -> str:
        """``delivery`` (EventBridge's attributes), ``consumer`` (a consumer's own) or ``redrive`` (neither: SQS moved it)."""
        if any(name in self.attributes for name in ("RULE_ARN", "TARGET_ARN", "ERROR_CODE")):
            return DELIVERY
        if CONSUMER_REASON_ATTRIBUTE in self.attributes:
            return CONSUMER
        return REDRIVE

    @property
    def reason(self) -> str:
        """Why it is here, in one line."""
        if self.kind == DELIVERY:
            return f"{self.attributes.get('ERROR_CODE', '?')}: {self.attributes.get('ERROR_MESSAGE', '')}".rstrip(": ")
        if self.kind == CONSUMER:
            return self.attributes[CONSUMER_REASON_ATTRIBUTE]
        return "its consumer received it too many times without deleting it"

    @property
    def source_queue(self) -> str | None:
        """The ARN of the queue a consumer's letter (or one SQS moved) came from, when it is known."""
        if self.kind == CONSUMER:
            return self.attributes.get(CONSUMER_QUEUE_ATTRIBUTE) or None
        return self.source_arn if self.kind == REDRIVE else None

    @property
    def receives_at_source(self) -> int | None:
        """How often the consumer had received it when it gave up (its own count), if it said."""
        value = self.attributes.get(CONSUMER_RECEIVES_ATTRIBUTE, "")
        return int(value) if value.isdigit() else None

    @property
    def event(self) -> dict[str, Any] | None:
        """The EventBridge event in the body, or None if the body is malformed."""
        return self._parsed[0]

    @property
    def malformed(self) -> str | None:
        """Why the body is not an event PutEvents would take again; None when it is one."""
        return self._parsed[1]

    @functools.cached_property
    def _parsed(self) -> tuple[dict[str, Any] | None, str | None]:
        """Read once, by the rules every event input follows (standard JSON, depth, envelope)."""
        try:
            event = loads_event_json(self.body, "the body")
        except EventInputError as error:
            return None, str(error)
        if not isinstance(event, dict):
            return None, "the body is JSON but not an event (an object with source, detail-type and detail)"
        problems = envelope_problems(event)
        return (None, "the body: " + "; ".join(problems)) if problems else (event, None)

    def to_json(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "kind": self.kind, "reason": self.reason, "receive_count": self.receive_count,
                "receives_at_source": self.receives_at_source, "source_queue": self.source_queue,
                "consumer": self.attributes.get(CONSUMER_AGENT_ATTRIBUTE), "attributes": self.attributes,
                "event": self.event, "malformed": self.malformed, "body": self.body if self.malformed else None}


@dataclass
class RedriveReport:
    queue: DeadLetterQueue
    redriven: list[tuple[DeadLetter, str]] = field(default_factory=list)  # (letter, new event id or the target's ARN)
    failed: list[tuple[DeadLetter, str]] = field(default_factory=list)    # (letter, reason) — still in the queue

    def to_json(self) -> dict[str, Any]:
        return {
            "queue": self.queue.name,
            "redriven": [{"message_id": letter.message_id, "kind": letter.kind, **_destination(letter, where)}
                         for letter, where in self.redriven],
            "failed": [{"message_id": letter.message_id, "reason": reason} for letter, reason in self.failed],
        }


def _destination(letter: DeadLetter, where: str) -> dict[str, str]:
    """A redrive went to a target (an ARN), back to the source queue (a consumer's letter) or to the bus (the new event's id)."""
    if not where.startswith("arn:"):
        return {"event_id": where}
    return {"target_arn": where} if letter.kind == DELIVERY else {"source_queue": where}


def dead_letter_queues(topology: "Topology") -> dict[str, list[str]]:
    """Logical queue name → the ``rule/target`` pairs that use it as their dead-letter queue."""
    users: dict[str, list[str]] = {}
    for rule in topology.rules.values():
        for target in rule.targets:
            if target.dead_letter:
                users.setdefault(target.dead_letter, []).append(f"{rule.logical}/{target.id}")
    return users


def resolve_queues(topology: "Topology", aws: "Aws", queue: str | None, all_queues: bool) -> list[DeadLetterQueue]:
    """``QUEUE`` (a logical name of the topology, a queue name, or a URL) or every DLQ of the topology."""
    users = dead_letter_queues(topology)
    if queue is None or all_queues:
        redrive_only = [spec.redrive_dead_letter for spec in topology.queues.values()
                        if spec.redrive_dead_letter and spec.redrive_dead_letter not in users]
        return [_topology_queue(topology, aws, logical, users) for logical in [*users, *dict.fromkeys(redrive_only)]]
    if queue.startswith(("http://", "https://")):
        return [DeadLetterQueue(queue.rstrip("/").rsplit("/", 1)[-1], queue)]
    for logical, spec in topology.queues.items():
        if queue in (logical, spec.name):
            return [_topology_queue(topology, aws, logical, users)]
    from cabructl.diagnostics import did_you_mean

    raise DeadLetterError(f'no queue "{queue}" in the topology (dead-letter queues: {", ".join(users) or "none"})',
                          hint=did_you_mean(queue, list(topology.queues)))


def _topology_queue(topology: "Topology", aws: "Aws", logical: str, users: dict[str, list[str]]) -> DeadLetterQueue:
    name = topology.queues[logical].name
    with aws_calls(f"finding queue {name} (sqs:GetQueueUrl)"):
        found = aws.find(lambda: aws.client("sqs").get_queue_url(QueueName=name))
    sources = tuple(spec.name for spec in topology.queues.values() if spec.redrive_dead_letter == logical)
    return DeadLetterQueue(name, found["QueueUrl"] if found else None, logical, tuple(users.get(logical, ())), sources)


def queue_depth(aws: "Aws", queue: DeadLetterQueue) -> tuple[int, int] | None:
    """(visible, in flight) message counts, or None when the queue does not exist."""
    if queue.url is None:
        return None
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    with aws_calls(f"counting the messages of {queue.name} (sqs:GetQueueAttributes)"):
        attributes = aws.client("sqs").get_queue_attributes(QueueUrl=queue.url, AttributeNames=names)["Attributes"]
    return int(attributes[names[0]]), int(attributes[names[1]])


class DeadLetterReader:
    """Receives a queue's messages once each, keeping them hidden until :meth:`release`."""

    def __init__(self, aws: "Aws", queue: DeadLetterQueue, *, wait_seconds: int = MAX_RECEIVE_WAIT,
                 max_messages: int = DEFAULT_MAX_MESSAGES) -> None:
        if queue.url is None:
            raise DeadLetterError(f'queue "{queue.name}" does not exist', hint="run `cabructl apply` first")
        self.aws = aws
        self.queue = queue
        self.url: str = queue.url
        self.wait_seconds = min(max(wait_seconds, 0), MAX_RECEIVE_WAIT)
        self.max_messages = max_messages
        self._held: dict[str, DeadLetter] = {}

    def batches(self) -> Iterator[list[DeadLetter]]:
        """Up to ten new messages per receive, until the queue has none left that this scan has not seen."""
        wait = self.wait_seconds
        while len(self._held) < self.max_messages:
            wanted = min(PUT_EVENTS_MAX_ENTRIES, self.max_messages - len(self._held))
            with aws_calls(f"receiving messages from {self.queue.name} (sqs:ReceiveMessage)"):
                messages = self.aws.client("sqs").receive_message(
                    QueueUrl=self.url, MaxNumberOfMessages=wanted, WaitTimeSeconds=wait, VisibilityTimeout=SCAN_VISIBILITY_SECONDS,
                    MessageAttributeNames=["All"], MessageSystemAttributeNames=["ApproximateReceiveCount", SOURCE_ARN_ATTRIBUTE],
                ).get("Messages", [])
            fresh = [_letter(message) for message in messages if message["MessageId"] not in self._held]
            if not fresh:
                return
            for letter in fresh:
                self._held[letter.message_id] = letter
            yield fresh
            wait = min(wait, FOLLOW_UP_WAIT)

    def read_all(self) -> list[DeadLetter]:
        return [letter for batch in self.batches() for letter in batch]

    def delete(self, letters: list[DeadLetter]) -> list[tuple[DeadLetter, str]]:
        """Delete ``letters``; returns those SQS would not delete, with its reason."""
        if not letters:
            return []
        by_id = {str(index): letter for index, letter in enumerate(letters)}
        with aws_calls(f"deleting redriven messages from {self.queue.name} (sqs:DeleteMessageBatch)"):
            response = self.aws.client("sqs").delete_message_batch(
                QueueUrl=self.url, Entries=[{"Id": key, "ReceiptHandle": letter.receipt_handle} for key, letter in by_id.items()])
        for key in by_id:
            self._held.pop(by_id[key].message_id, None)
        return [(by_id[failure["Id"]], f'{failure.get("Code")}: {failure.get("Message")}') for failure in response.get("Failed", [])]

    def release(self) -> None:
        """Make every message still held visible again at once (nothing is lost by reading)."""
        letters = list(self._held.values())
        self._held.clear()
        for start in range(0, len(letters), PUT_EVENTS_MAX_ENTRIES):
            chunk = letters[start:start + PUT_EVENTS_MAX_ENTRIES]
            with aws_calls(f"handing messages back to {self.queue.name} (sqs:ChangeMessageVisibilityBatch)"):
                self.aws.client("sqs").change_message_visibility_batch(
                    QueueUrl=self.url,
                    Entries=[{"Id": str(index), "ReceiptHandle": letter.receipt_handle, "VisibilityTimeout": 0}
                             for index, letter in enumerate(chunk)],
                )

    @contextmanager
    def holding(self) -> Iterator["DeadLetterReader"]:
        """The reader, with every message it still holds released on the way out.

        When the body failed (a dead endpoint, say), a release that fails too must
        not hide that first error: the messages come back by themselves once
        SCAN_VISIBILITY_SECONDS pass, so nothing is lost either way.
        """
        try:
            yield self
        except BaseException:
            try:
                self.release()
            except CabructlError:
                pass
            raise
        self.release()


def _letter(message: dict[str, Any]) -> DeadLetter:
    attributes = {name: value.get("StringValue", "") for name, value in message.get("MessageAttributes", {}).items()}
    system = message.get("Attributes", {})
    receive_count = int(system.get("ApproximateReceiveCount", 1))
    return DeadLetter(message["MessageId"], message["ReceiptHandle"], message["Body"], attributes, receive_count,
                      system.get(SOURCE_ARN_ATTRIBUTE))


def peek(aws: "Aws", queue: DeadLetterQueue, *, wait_seconds: int = MAX_RECEIVE_WAIT,
         max_messages: int = DEFAULT_MAX_MESSAGES) -> list[DeadLetter]:
    """Every message of the queue (up to ``max_messages``), left in the queue."""
    with DeadLetterReader(aws, queue, wait_seconds=wait_seconds, max_messages=max_messages).holding() as reader:
        return reader.read_all()


def redrive(agent: "EventBridgeAgent", queue: DeadLetterQueue, *, wait_seconds: int = MAX_RECEIVE_WAIT,
            max_messages: int = DEFAULT_MAX_MESSAGES, report: RedriveReport | None = None,
            via_bus: bool = False) -> RedriveReport:
    """Deliver each dead letter to the target that failed (``via_bus``: publish it to the bus
    again); delete it only once that succeeded.

    Pass ``report`` to keep what was done even if the redrive stops half-way (an
    AWS error propagates): the caller still prints which messages already moved.
    Malformed messages, and those whose target is gone, are skipped and stay in the queue.
    """
    report = report if report is not None else RedriveReport(queue)
    # on the way out, whatever was not deleted goes back to the queue, visible at once
    with DeadLetterReader(agent.aws, queue, wait_seconds=wait_seconds, max_messages=max_messages).holding() as reader:
        if not via_bus:
            _to_targets(agent.aws, reader, report)
            return report
        for batch in reader.batches():
            ready: list[tuple[DeadLetter, "Prepared"]] = []
            for letter in batch:
                try:
                    ready.append((letter, agent.prepare(_event_of(letter, agent.catalog))))
                except (DeadLetterError, *REFUSED_EVENT_ERRORS) as error:
                    report.failed.append((letter, str(error)))
            _republish(agent, reader, ready, report)
    return report


def _to_targets(aws: "Aws", reader: DeadLetterReader, report: RedriveReport) -> None:
    """Each letter to its failed target (a consumer's, to its source queue); the delivered ones deleted batch by batch."""
    from cabructl.operations.redrive_source import SourceRedrive
    from cabructl.operations.redrive_target import TargetGone, TargetRedrive

    targets, sources = TargetRedrive(aws), SourceRedrive(aws, reader.queue.redriven_from)
    for batch in reader.batches():
        delivered: list[tuple[DeadLetter, str]] = []
        for letter in batch:
            if letter.event is None:
                report.failed.append((letter, f"malformed, skipped: {letter.malformed}"))
                continue
            try:
                delivered.append((letter, targets.deliver(letter.event, letter.attributes) if letter.kind == DELIVERY
                                  else sources.deliver(letter.body, letter.source_queue)))
            except TargetGone as error:  # SourceGone too
                report.failed.append((letter, f"{error} ({error.hint})"))
            except Exception as error:  # botocore's: this delivery failed, the next may not
                if not is_botocore_error(error):
                    raise
                report.failed.append((letter, f"delivery failed: {describe_aws_error(error, 'delivering to the target')}"))
        _delete_delivered(reader, delivered, report)


def _delete_delivered(reader: DeadLetterReader, delivered: list[tuple[DeadLetter, str]], report: RedriveReport) -> None:
    undeleted = reader.delete([letter for letter, _ in delivered])
    stuck = {letter.message_id for letter, _ in undeleted}
    report.redriven += [(letter, where) for letter, where in delivered if letter.message_id not in stuck]
    report.failed += [(letter, f"delivered, but the DLQ message could not be deleted ({reason}); it would be redriven again")
                      for letter, reason in undeleted]


def _republish(agent: "EventBridgeAgent", reader: DeadLetterReader, ready: list[tuple[DeadLetter, "Prepared"]],
               report: RedriveReport) -> None:
    if not ready:
        return
    results = agent.publish_prepared([prepared for _, prepared in ready])
    published = [(letter, str(result.event_id)) for (letter, _), result in zip(ready, results) if result.success]
    report.failed += [(letter, f"republish failed: {result.error}") for (letter, _), result in zip(ready, results) if not result.success]
    _delete_delivered(reader, published, report)


def _event_of(letter: DeadLetter, catalog: "EventCatalog") -> "GenericEvent":
    """The event to publish again, as it was: same detail, resources and time."""
    event = letter.event
    if event is None:
        raise DeadLetterError(f"malformed, skipped: {letter.malformed}")
    return catalog.generic_event(event["source"], event["detail-type"], event["detail"],
                                 resources=event.get("resources") or (), time=parse_time(event.get("time")))
