"""Budget guards: the hourly volume an agent declared, and sampling of what is not critical.

The monthly bill is events × price, and topology.yaml declares how many events
each agent may send an hour (the seed's "Event Volume Guidelines"). The SDK
enforces that ceiling where the events are made, before they cost anything.

Which events are *critical* — never sampled out — is one table, per event type:
the values that page someone, block a release or change production. Event
types not in the table are always critical: sampling is opt-in per value, never
by omission.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from typing import Any, Callable, Mapping

from cabructl.agents.errors import RateLimitExceeded

SECONDS_PER_HOUR = 3600

# event type -> (detail field, values that make the event critical)
CRITICAL_VALUES: dict[str, tuple[str, frozenset[str]]] = {
    # HIGH/CRITICAL page the operations team (rule critical-issues).
    "IssueDetectionEvent": ("severity", frozenset({"HIGH", "CRITICAL"})),
    # Requests someone asked to be done soon.
    "FeatureRequestEvent": ("priority", frozenset({"HIGH", "URGENT"})),
    # APPROVED/MERGED feed CI/CD (rule code-change-routing); DEPLOYED/ROLLED_BACK change production.
    "CodeChangeEvent": ("status", frozenset({"APPROVED", "MERGED", "DEPLOYED", "ROLLED_BACK"})),
    # Any run with failures (rule failed-tests takes FAILED/ERROR; a partial pass has failures too).
    "TestResultsEvent": ("status", frozenset({"FAILED", "ERROR", "PARTIALLY_PASSED"})),
}


def is_critical(schema_name: str, detail: Mapping[str, Any]) -> bool:
    rule = CRITICAL_VALUES.get(schema_name)
    if rule is None:
        return True
    field, critical = rule
    return detail.get(field) in critical


class Sampler:
    """Keeps every critical event and a ``rate`` share of the others; seed the RNG to test it."""

    def __init__(self, rate: float, rng: random.Random) -> None:
        self.rate = rate
        self.rng = rng

    def keep(self, schema_name: str, detail: Mapping[str, Any]) -> bool:
        if self.rate >= 1.0 or is_critical(schema_name, detail):
            return True
        return self.rng.random() < self.rate


class HourlyLimiter:
    """At most ``per_hour`` admissions in any rolling hour.

    A token bucket refilling at per_hour/3600 would let twice the declared volume
    through in an hour that starts with a full bucket; a sliding window does not.
    Admissions are counted in one-second buckets, so memory stays at most 3,601
    buckets whatever the volume, and a bucket expires only once its whole second
    is an hour old (never early).
    """

    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_hour = per_hour
        self.clock = clock
        self._buckets: deque[list[int]] = deque()  # [second, admissions]
        self._count = 0
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._buckets and self._buckets[0][0] + 1 + SECONDS_PER_HOUR <= now:
            self._count -= self._buckets.popleft()[1]

    def try_acquire(self) -> float:
        """Admit one event and return 0.0, or return how long to wait before one fits."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            if self._count < self.per_hour:
                second = int(now)
                if self._buckets and self._buckets[-1][0] == second:
                    self._buckets[-1][1] += 1
                else:
                    self._buckets.append([second, 1])
                self._count += 1
                return 0.0
            if not self._buckets:  # a volume of 0: nothing will ever fit
                return float("inf")
            return self._buckets[0][0] + 1 + SECONDS_PER_HOUR - now


class BudgetGuard:
    """One agent's hourly limit and what to do at it: wait, raise, or drop (and count)."""

    def __init__(self, agent_name: str, per_hour: int, on_limit: str, *, clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> None:
        self.agent_name = agent_name
        self.on_limit = on_limit
        self.limiter = HourlyLimiter(per_hour, clock)
        self.sleep = sleep

    def admit(self, on_limited: Callable[[], None]) -> bool:
        """True to send, False to drop; raises :class:`RateLimitExceeded` under ``on_limit: raise``.

        ``on_limited`` is called once each time the limit is met, whatever the policy.
        """
        wait = self.limiter.try_acquire()
        if wait == 0.0:
            return True
        on_limited()
        if self.on_limit == "drop":
            return False
        if self.on_limit == "wait" and wait != float("inf"):
            while wait:
                self.sleep(wait)
                wait = self.limiter.try_acquire()
            return True
        raise RateLimitExceeded(
            f'agent "{self.agent_name}" reached its declared volume of {self.limiter.per_hour:,} events per hour',
            hint="raise agents.<name>.volume.per_hour in topology.yaml, or set on_limit: wait | drop",
        )
