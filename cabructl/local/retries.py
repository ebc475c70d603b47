"""Later delivery attempts, on one background thread, with AWS's time compressed.

AWS retries a failed delivery with exponential backoff and jitter for up to the
target's ``MaximumRetryAttempts`` and ``MaximumEventAgeInSeconds``. Waiting hours
in a rehearsal is no use, so every delay is multiplied by a time scale (0.01 by
default: a minute of AWS backoff takes 0.6 s); the event's age is measured in the
same scaled time, so a retry policy runs out as it would on AWS.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from typing import Callable

from cabructl.constants import RETRY_BACKOFF_SECONDS

log = logging.getLogger(__name__)

DEFAULT_TIME_SCALE = 0.01


def backoff_seconds(retry: int, rng: random.Random) -> float:
    """AWS seconds before retry number ``retry`` (1-based): doubling from the first delay to the cap,
    with equal jitter so that retries of one burst spread out."""
    first, cap = RETRY_BACKOFF_SECONDS
    ceiling = min(cap, first * 2 ** (retry - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class RetryScheduler:
    """Runs callables when they are due; a daemon thread started on the first retry."""

    def __init__(self, time_scale: float = DEFAULT_TIME_SCALE, seed: int | None = None) -> None:
        if time_scale <= 0:
            raise ValueError("the time scale must be positive")
        self.time_scale = time_scale
        self.rng = random.Random(seed)
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running = 0

    def aws_now(self) -> float:
        """Seconds on the scaled clock an event's age is measured by."""
        return time.monotonic() / self.time_scale

    def after(self, aws_seconds: float, job: Callable[[], None]) -> None:
        due = time.monotonic() + aws_seconds * self.time_scale
        with self._wake:
            heapq.heappush(self._queue, (due, next(self._order), job))
            self._ensure_thread()
            self._wake.notify()

    def pending(self) -> int:
        with self._wake:
            return len(self._queue) + self._running

    def wait_idle(self, timeout: float) -> bool:
        """Block until no retry is waiting or running (tests, the demo); False on timeout."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._serve, name="cabructl-local-retries", daemon=True)
            self._thread.start()

    def _serve(self) -> None:
        while True:
            job = self._next_due()
            try:
                job()
            except Exception:  # a bug in one retry must not stop every later one
                log.exception("local delivery retry failed")
            finally:
                with self._wake:
                    self._running -= 1

    def _next_due(self) -> Callable[[], None]:
        with self._wake:
            while True:
                if self._queue:
                    due = self._queue[0][0]
                    delay = due - time.monotonic()
                    if delay <= 0:
                        self._running += 1
                        return heapq.heappop(self._queue)[2]
                    self._wake.wait(delay)
                else:
                    self._wake.wait()
