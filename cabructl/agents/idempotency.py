"""Exactly once per event id: where consumers record which events they have handled.

SQS delivers at least once, and EventBridge may deliver an event twice, so a consumer
claims each event before its handler runs. A claim is keyed ``<queue>#<event id>``:
the same event routed to two queues is handled once per queue. The claim says
IN_PROGRESS until ``in_progress_expiry`` (a consumer that crashed mid-handler blocks
the event at most that long), then COMPLETED until the queue's retention has passed
(after that no copy of the message can still be delivered). A failed handler drops
its claim so the redelivery can run.

:class:`MemoryStore` (the default) dedupes within one process; :class:`DynamoDBStore`
across every consumer of the topology's ``idempotency`` table, with conditional writes
so that of two consumers racing on one id exactly one wins.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any, Callable, Protocol

from cabructl.aws import error_code
from cabructl.constants import IDEMPOTENCY_IN_PROGRESS_EXPIRY

ACQUIRED = "acquired"        # this consumer may run the handler
COMPLETED = "completed"      # already handled: a duplicate
IN_PROGRESS = "in_progress"  # another consumer is handling it now: leave the message

STATUS_IN_PROGRESS = "IN_PROGRESS"
STATUS_COMPLETED = "COMPLETED"
CONDITION_FAILED = "ConditionalCheckFailedException"

Clock = Callable[[], float]


def claim_key(queue: str, event_id: str) -> str:
    return f"{queue}#{event_id}"


class IdempotencyStore(Protocol):
    """Claims on event ids; every method may be called from any worker thread."""

    def claim(self, key: str, in_progress_expiry: int) -> str:
        """ACQUIRED, COMPLETED or IN_PROGRESS for ``key``; ACQUIRED marks it IN_PROGRESS for this store."""

    def complete(self, key: str, keep_seconds: int) -> None:
        """The handler succeeded: remember ``key`` as COMPLETED for ``keep_seconds``."""

    def release(self, key: str) -> None:
        """The handler failed: forget this store's claim so the redelivery may run."""


class MemoryStore:
    """Claims in this process only: the default when the topology declares no ``idempotency`` table."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._claims: dict[str, tuple[str, float]] = {}

    def claim(self, key: str, in_progress_expiry: int = IDEMPOTENCY_IN_PROGRESS_EXPIRY) -> str:
        now = self._clock()
        with self._lock:
            held = self._claims.get(key)
            if held is not None and held[1] >= now:
                return COMPLETED if held[0] == STATUS_COMPLETED else IN_PROGRESS
            self._claims[key] = (STATUS_IN_PROGRESS, now + in_progress_expiry)
            return ACQUIRED

    def complete(self, key: str, keep_seconds: int) -> None:
        with self._lock:
            self._claims[key] = (STATUS_COMPLETED, self._clock() + keep_seconds)
            self._forget_expired()

    def release(self, key: str) -> None:
        with self._lock:
            self._claims.pop(key, None)

    def _forget_expired(self) -> None:
        """Bound memory by the retention window; callers hold the lock."""
        if len(self._claims) % 1024 == 0:
            now = self._clock()
            for key in [key for key, (_, expires) in self._claims.items() if expires < now]:
                del self._claims[key]


class DynamoDBStore:
    """Claims in the topology's DynamoDB table (key ``id`` S, TTL attribute ``expires_at``, epoch seconds).

    The claim is one conditional PutItem, ``attribute_not_exists(id) OR expires_at < :now``:
    DynamoDB applies it atomically, so two consumers racing on one id cannot both win.
    An expired item counts as absent (DynamoDB's TTL deletes items only eventually).
    Completing is an UpdateItem; releasing a DeleteItem conditioned on this store's
    ``owner`` token, so a consumer never drops a claim another has since taken.
    """

    def __init__(self, aws: Any, table: str, *, clock: Clock = time.time, owner: str | None = None) -> None:
        self.aws = aws
        self.table = table
        self.owner = owner or uuid.uuid4().hex
        self._clock = clock

    def claim(self, key: str, in_progress_expiry: int = IDEMPOTENCY_IN_PROGRESS_EXPIRY) -> str:
        now = int(self._clock())
        try:
            self._client().put_item(
                TableName=self.table,
                Item={"id": {"S": key}, "status": {"S": STATUS_IN_PROGRESS}, "owner": {"S": self.owner},
                      "expires_at": {"N": str(now + in_progress_expiry)}},
                ConditionExpression="attribute_not_exists(id) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except Exception as error:  # botocore's ClientError, imported lazily
            if error_code(error) != CONDITION_FAILED:
                raise
            return COMPLETED if self._held_status(key, error) == STATUS_COMPLETED else IN_PROGRESS
        return ACQUIRED

    def complete(self, key: str, keep_seconds: int) -> None:
        self._client().update_item(
            TableName=self.table, Key={"id": {"S": key}},
            UpdateExpression="SET #status = :completed, expires_at = :expires",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":completed": {"S": STATUS_COMPLETED},
                                       ":expires": {"N": str(int(self._clock()) + keep_seconds)}},
        )

    def release(self, key: str) -> None:
        try:
            self._client().delete_item(TableName=self.table, Key={"id": {"S": key}},
                                       ConditionExpression="#owner = :owner AND #status = :in_progress",
                                       ExpressionAttributeNames={"#owner": "owner", "#status": "status"},
                                       ExpressionAttributeValues={":owner": {"S": self.owner},
                                                                  ":in_progress": {"S": STATUS_IN_PROGRESS}})
        except Exception as error:
            if error_code(error) != CONDITION_FAILED:
                raise

    def _held_status(self, key: str, error: Exception) -> str | None:
        """The status of the item that refused the claim: from the error (ALL_OLD), else read."""
        item = getattr(error, "response", {}).get("Item")
        if item is None:
            item = self._client().get_item(TableName=self.table, Key={"id": {"S": key}}, ConsistentRead=True).get("Item")
        return ((item or {}).get("status") or {}).get("S")

    def _client(self) -> Any:
        return self.aws.client("dynamodb")

    def __repr__(self) -> str:
        return f"DynamoDBStore(table={self.table!r})"


def default_store(topology: Any, aws: Any) -> IdempotencyStore:
    """DynamoDB when the topology declares an ``idempotency`` table, else this process's memory."""
    if topology.idempotency is not None:
        return DynamoDBStore(aws, topology.idempotency.name)
    return MemoryStore()
