"""What happened to each event, and the agent's running counts.

The seed caught every exception into ``{"success": False, "error": ...}`` and
returned one response per call; here every event gets exactly one
:class:`EventResult` — published with its EventId, or failed/dropped/sampled
out with the reason — so nothing disappears unreported. ``result["success"]``
and ``result["eventId"]`` still work for code written against the seed.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import Any, Generic, Iterator, Sequence, TypeVar


Snapshot = TypeVar("Snapshot")


class Status(str, Enum):
    PUBLISHED = "published"
    FAILED = "failed"          # AWS refused it, or retries ran out
    DROPPED = "dropped"        # over the hourly budget with on_limit: drop
    SAMPLED_OUT = "sampled_out"  # a non-critical event the agent's sampling rate left out


@dataclass(frozen=True)
class EventResult:
    status: Status
    detail_type: str
    event_id: str | None = None
    correlation_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0
    schema_version: str | None = None  # what the event was validated against: "topology" or a registry version

    @property
    def success(self) -> bool:
        return self.status is Status.PUBLISHED

    @property
    def error(self) -> str | None:
        if self.status is Status.PUBLISHED:
            return None
        return f"{self.error_code}: {self.error_message}" if self.error_code else self.status.value

    def seed_dict(self) -> dict[str, Any]:
        """The seed client's return shape."""
        if self.success:
            return {"success": True, "eventId": self.event_id}
        return {"success": False, "error": self.error}

    def __getitem__(self, key: str) -> Any:
        """``result["success"]`` / ``result["eventId"]`` / ``result["error"]``, as with the seed."""
        return self.seed_dict()[key]

    def __str__(self) -> str:
        if self.success:
            return f"published {self.detail_type} {self.event_id} (correlation {self.correlation_id})"
        return f"{self.status.value} {self.detail_type}: {self.error}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data


@dataclass(frozen=True)
class BatchResult:
    """One :class:`EventResult` per event given, in the order given."""

    results: tuple[EventResult, ...]

    def __iter__(self) -> Iterator[EventResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index: int) -> EventResult:
        return self.results[index]

    def count(self, status: Status) -> int:
        return sum(1 for result in self.results if result.status is status)

    @property
    def published(self) -> int:
        return self.count(Status.PUBLISHED)

    @property
    def failed(self) -> int:
        return self.count(Status.FAILED)

    @property
    def all_published(self) -> bool:
        return all(result.success for result in self.results)

    @property
    def event_ids(self) -> list[str]:
        return [result.event_id for result in self.results if result.event_id]

    def failures(self) -> list[EventResult]:
        return [result for result in self.results if result.status is Status.FAILED]

    def to_json(self) -> dict[str, Any]:
        return {
            "results": [result.to_json() for result in self.results],
            "summary": {status.value: self.count(status) for status in Status},
        }


@dataclass(frozen=True)
class AgentMetrics:
    """A snapshot of an agent's counters since it was created."""

    published: int = 0
    failed: int = 0
    dropped: int = 0
    sampled_out: int = 0
    rate_limited: int = 0      # times the hourly budget was reached (waited, raised or dropped)
    put_events_calls: int = 0  # PutEvents calls made, retries included
    retried: int = 0           # entries sent again after a retryable failure


class Counters(Generic[Snapshot]):
    """Thread-safe named counts behind a frozen dataclass of ints: agents and consumers are shared by threads.

    ``add`` refuses a name the dataclass lacks, so a misspelt counter fails loudly instead of vanishing.
    """

    def __init__(self, snapshot_type: type[Snapshot]) -> None:
        self._type = snapshot_type
        self._names = frozenset(item.name for item in fields(snapshot_type))  # type: ignore[arg-type]
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        if name not in self._names:
            raise KeyError(name)
        with self._lock:
            self._counts[name] += amount

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._type(**self._counts)


class MetricsCounter(Counters[AgentMetrics]):
    """The counters behind :class:`AgentMetrics`, with each result's status counted."""

    def __init__(self) -> None:
        super().__init__(AgentMetrics)

    def record(self, results: Sequence[EventResult]) -> None:
        for result in results:
            self.add(result.status.value)
