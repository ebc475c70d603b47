"""The SQS side of consuming: receive, delete in batches, keep long handlers' messages invisible.

A message is deleted only after its handler succeeded (or it was a duplicate, or was
dead-lettered), and deletes are batched: DeleteMessageBatch takes ten, so they are sent
when ten are pending or ``flush_after`` seconds after the oldest, whichever is first.
With ten messages a receive that makes the steady state 0.2 SQS calls per message.

A handler that runs longer than the queue's visibility timeout would see its message
delivered again to another consumer while it still runs; the heartbeat extends the
visibility of every message still held (ChangeMessageVisibilityBatch, ten a call) a
margin before it expires, and stops the moment the message is let go. Every lapse costs
a receive (``maxReceiveCount`` moves the message to the dead-letter queue while it is
still being handled), so the heartbeat errs early: a message's clock starts when its
ReceiveMessage was *sent* (SQS started it somewhere between send and reply; after a long
wait that means one extension at once), the margin is half the visibility, and the
heartbeat has its own thread, so a slow batch of deletes never delays it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from cabructl.constants import SQS_RECEIVE_MAX_MESSAGES

RECEIVE, DELETE, CHANGE_VISIBILITY, SEND = "receive", "delete", "change_visibility", "send"
DEFAULT_FLUSH_AFTER = 0.5  # seconds a delete may wait for nine others
TICK_SECONDS = 0.05        # how often the housekeeper looks at pending deletes and visibility
MAX_MARGIN_SECONDS = 10.0  # a long visibility is extended this long before it runs out, not half of it
RECEIVE_ATTRIBUTES = ["ApproximateReceiveCount", "MessageGroupId", "SentTimestamp"]

Clock = Callable[[], float]


@dataclass(frozen=True)
class Message:
    """One received message, whether from ReceiveMessage or from a Lambda SQS event record."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int = 1
    group: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_sqs(cls, data: Mapping[str, Any]) -> "Message":
        attributes = data.get("Attributes") or {}
        return cls(data["MessageId"], data["ReceiptHandle"], data.get("Body", ""),
                   int(attributes.get("ApproximateReceiveCount", 1)), attributes.get("MessageGroupId"), attributes)

    @classmethod
    def from_lambda(cls, record: Mapping[str, Any]) -> "Message":
        attributes = record.get("attributes") or {}
        return cls(record["messageId"], record.get("receiptHandle", ""), record.get("body", ""),
                   int(attributes.get("ApproximateReceiveCount", 1)), attributes.get("MessageGroupId"), attributes)


class QueueClient:
    """The SQS calls a consumer makes on one queue, each counted by kind (for the benchmark and the stats)."""

    def __init__(self, sqs: Any, url: str) -> None:
        self.sqs = sqs
        self.url = url
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def count(self, kind: str) -> None:
        with self._lock:
            self.calls[kind] += 1

    def receive(self, max_messages: int, wait_seconds: int) -> list[Message]:
        self.count(RECEIVE)
        response = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=max_messages,
                                            WaitTimeSeconds=wait_seconds, AttributeNames=RECEIVE_ATTRIBUTES,
                                            MessageAttributeNames=["All"])
        return [Message.from_sqs(item) for item in response.get("Messages", [])]

    def delete(self, messages: Sequence[Message]) -> list[str]:
        """Delete up to ten; returns the ids SQS refused (a receipt handle that expired: it comes back)."""
        self.count(DELETE)
        entries = [{"Id": str(n), "ReceiptHandle": message.receipt_handle} for n, message in enumerate(messages)]
        response = self.sqs.delete_message_batch(QueueUrl=self.url, Entries=entries)
        return [messages[int(item["Id"])].message_id for item in response.get("Failed", [])]

    def change_visibility(self, messages: Sequence[Message], seconds: int) -> None:
        """Set the visibility of up to ten messages: extend (heartbeat) or 0 (let go at once)."""
        self.count(CHANGE_VISIBILITY)
        entries = [{"Id": str(n), "ReceiptHandle": message.receipt_handle, "VisibilityTimeout": seconds}
                   for n, message in enumerate(messages)]
        self.sqs.change_message_visibility_batch(QueueUrl=self.url, Entries=entries)

    def send(self, url: str, body: str, attributes: Mapping[str, str], group: str | None = None,
             deduplication: str | None = None) -> None:
        """SendMessage to ``url`` (a dead-letter queue) with string message attributes."""
        self.count(SEND)
        request: dict[str, Any] = {"QueueUrl": url, "MessageBody": body, "MessageAttributes": {
            name: {"DataType": "String", "StringValue": value} for name, value in attributes.items() if value}}
        if group is not None:
            request.update(MessageGroupId=group, MessageDeduplicationId=deduplication or group)
        self.sqs.send_message(**request)

    def release(self, messages: Iterable[Message]) -> None:
        """Make messages visible again at once (received but never handed to a handler)."""
        for chunk in chunks(list(messages)):
            self.change_visibility(chunk, 0)


def chunks(items: Sequence[Message], size: int = SQS_RECEIVE_MAX_MESSAGES) -> list[Sequence[Message]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


class Acknowledger:
    """Deletes in batches of ten, or ``flush_after`` seconds after the oldest pending one."""

    def __init__(self, queue: QueueClient, flush_after: float = DEFAULT_FLUSH_AFTER, clock: Clock = time.monotonic) -> None:
        self.queue = queue
        self.flush_after = flush_after
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: list[Message] = []
        self._oldest = 0.0
        self.refused: list[str] = []  # message ids whose delete SQS refused

    def delete(self, message: Message) -> None:
        with self._lock:
            if not self._pending:
                self._oldest = self._clock()
            self._pending.append(message)
            full = len(self._pending) >= SQS_RECEIVE_MAX_MESSAGES
        if full:
            self.flush()

    def flush_due(self) -> None:
        with self._lock:
            due = bool(self._pending) and self._clock() - self._oldest >= self.flush_after
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for chunk in chunks(pending):
            self.refused += self.queue.delete(chunk)


class Heartbeat:
    """Extends the visibility of held messages before it runs out; ``drop`` stops it for one."""

    def __init__(self, queue: QueueClient, visibility: int, clock: Clock = time.monotonic) -> None:
        self.queue = queue
        self.visibility = max(1, visibility)
        self.margin = min(max(self.visibility / 2, 0.5), MAX_MARGIN_SECONDS)  # extend this long before it would expire
        self._clock = clock
        self._lock = threading.Lock()
        self._held: dict[str, tuple[Message, float]] = {}
        self.extended = 0

    def hold(self, message: Message, requested_at: float | None = None) -> None:
        """Keep ``message`` invisible; ``requested_at`` is when its ReceiveMessage was sent (SQS's clock began after)."""
        with self._lock:
            self._held[message.receipt_handle] = (message, (requested_at or self._clock()) + self.visibility)

    def drop(self, message: Message) -> None:
        with self._lock:
            self._held.pop(message.receipt_handle, None)

    def held(self) -> list[Message]:
        with self._lock:
            return [message for message, _ in self._held.values()]

    def beat(self) -> None:
        now = self._clock()
        with self._lock:
            due = [message for message, until in self._held.values() if until - now <= self.margin]
            for message in due:
                self._held[message.receipt_handle] = (message, now + self.visibility)
        for chunk in chunks(due):
            self.queue.change_visibility(chunk, self.visibility)
            self.extended += len(chunk)


class Housekeeper:
    """Two background threads: one beats the heartbeat, one flushes deletes that waited long enough.

    Apart, because a delete batch that takes long (a slow or throttled SQS) must not make a
    held message's visibility run out.
    """

    def __init__(self, acks: Acknowledger, heartbeat: Heartbeat, tick: float = TICK_SECONDS) -> None:
        self.acks = acks
        self.heartbeat = heartbeat
        self.tick = tick
        self._stopped = threading.Event()
        self._threads = [threading.Thread(target=self._every_tick, args=(job,), name=f"cabructl-consumer-{name}", daemon=True)
                         for name, job in (("heartbeat", heartbeat.beat), ("deletes", acks.flush_due))]
        self.error: BaseException | None = None

    def start(self) -> "Housekeeper":
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def _every_tick(self, job: Callable[[], None]) -> None:
        while not self._stopped.wait(self.tick):
            try:
                job()
            except Exception as error:  # noqa: BLE001 - an SQS hiccup must not kill the thread; it retries next tick
                self.error = error
