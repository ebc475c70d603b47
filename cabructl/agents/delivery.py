"""Sending entries: PutEvents calls of at most 10 entries / 256 KB, retrying only what failed.

PutEvents is not all-or-nothing: a 200 response may carry failed entries next
to published ones. Resending the whole call would publish the successes twice,
so only the failed entries whose error is retryable go round again, after an
exponential backoff with full jitter. A call AWS refused as a whole (throttled,
5xx) published nothing and is retried likewise. A connection that broke after
the request left is *not* retried here: the events may have been published,
and a duplicate is worse than a reported failure (botocore has already retried
what was safe).

Every entry ends in exactly one :class:`Outcome`, with the seconds from the first
attempt to that outcome (what telemetry reports as PublishLatency).

A :class:`Delivery` is one caller's send and is not shared between threads; the
publisher runs several at once (``max_in_flight``), each on its own entries.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from cabructl.agents.entries import Entry, entry_size, split_batches
from cabructl.aws import error_code, is_throttling

# Per-entry codes AWS documents as retryable (PutEventsResultEntry).
RETRYABLE_ENTRY_CODES = frozenset({"InternalFailure", "ThrottlingException"})

# Whole-call errors meaning "nothing was accepted, try later": throttling in any spelling
# (aws.is_throttling, botocore's own list), and these server faults.
TRANSIENT_SERVER_CODES = frozenset({"InternalFailure", "InternalError", "InternalServerError", "ServiceUnavailable"})

# Reported, never retried, when a response lacks an entry's result: it may have been published.
MISSING_RESULT = "MissingResultEntry"

PutEvents = Callable[[list[Entry]], dict[str, Any]]


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts per entry (the first send included) and the backoff between them."""

    max_attempts: int = 5
    base_delay: float = 0.1
    max_delay: float = 5.0

    def delay(self, retry: int, rng: random.Random) -> float:
        """Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): spreads retrying agents apart."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * (2 ** retry)))


@dataclass(frozen=True)
class Outcome:
    event_id: str | None
    error_code: str | None
    error_message: str | None
    attempts: int
    seconds: float = 0.0  # from the first attempt to this outcome, backoff included


@dataclass
class _Pending:
    position: int
    attempts: int = 0
    error_code: str | None = None
    error_message: str | None = None


class Delivery:
    """One send of many entries: batching, per-entry retry, and a count of calls made."""

    def __init__(self, put_events: PutEvents, policy: RetryPolicy, *, rng: random.Random,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.perf_counter) -> None:
        self.put_events = put_events
        self.policy = policy
        self.rng = rng
        self.sleep = sleep
        self.clock = clock
        self.calls = 0
        self.retried = 0
        self._started = 0.0

    def _outcome(self, event_id: str | None, code: str | None, message: str | None, attempts: int) -> Outcome:
        return Outcome(event_id, code, message, attempts, self.clock() - self._started)

    def send(self, entries: Sequence[Entry]) -> list[Outcome]:
        self._started = self.clock()
        outcomes: dict[int, Outcome] = {}
        sizes = [entry_size(entry) for entry in entries]
        pending = [_Pending(position) for position in range(len(entries))]
        for retry in range(self.policy.max_attempts):
            if retry:
                self.retried += len(pending)
                self.sleep(self.policy.delay(retry - 1, self.rng))
            pending = self._attempt(entries, sizes, pending, outcomes)
            if not pending:
                break
        for item in pending:  # retries ran out: report the last error seen
            outcomes[item.position] = self._outcome(None, item.error_code, item.error_message, item.attempts)
        return [outcomes[position] for position in range(len(entries))]

    def _attempt(self, entries: Sequence[Entry], sizes: Sequence[int], pending: list[_Pending],
                 outcomes: dict[int, Outcome]) -> list[_Pending]:
        """Send every pending entry once; return those worth another attempt."""
        again: list[_Pending] = []
        for batch in split_batches(sizes[item.position] for item in pending):
            items = [pending[index] for index in batch.positions]
            for item in items:
                item.attempts += 1
            again += self._call(entries, items, outcomes)
        return again

    def _call(self, entries: Sequence[Entry], items: list[_Pending], outcomes: dict[int, Outcome]) -> list[_Pending]:
        self.calls += 1
        try:
            response = self.put_events([entries[item.position] for item in items])
        except Exception as error:  # botocore's ClientError / BotoCoreError, imported lazily
            if not _is_aws_error(error):
                raise
            return self._call_failed(items, error, outcomes)
        results = response.get("Entries", [])
        if len(results) != len(items):  # AWS promises one result per entry; never lose one if it does not
            for item in items[len(results):]:
                outcomes[item.position] = self._outcome(None, MISSING_RESULT, "PutEvents returned no result for this entry", item.attempts)
        again = []
        for item, result in zip(items, results):
            if result.get("EventId"):
                outcomes[item.position] = self._outcome(result["EventId"], None, None, item.attempts)
                continue
            item.error_code, item.error_message = result.get("ErrorCode"), result.get("ErrorMessage")
            if item.error_code in RETRYABLE_ENTRY_CODES:
                again.append(item)
            else:
                outcomes[item.position] = self._outcome(None, item.error_code, item.error_message, item.attempts)
        return again

    def _call_failed(self, items: list[_Pending], error: Exception, outcomes: dict[int, Outcome]) -> list[_Pending]:
        code, message = _error_code_and_message(error)
        for item in items:
            item.error_code, item.error_message = code, message
        if is_throttling(error) or code in TRANSIENT_SERVER_CODES or _status(error) >= 500:
            return items
        for item in items:
            outcomes[item.position] = self._outcome(None, code, message, item.attempts)
        return []


def _is_aws_error(error: Exception) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(error, (BotoCoreError, ClientError))


def _error_code_and_message(error: Exception) -> tuple[str, str]:
    """AWS's code and message (aws.error_code), or the exception's type and text."""
    code = error_code(error)
    if code is None:
        return type(error).__name__, str(error)
    return code, getattr(error, "response", {}).get("Error", {}).get("Message", str(error))


def _status(error: Exception) -> int:
    response = getattr(error, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
