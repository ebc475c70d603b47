"""Handing received messages to worker threads: one message of a key at a time, keys in arrival order.

The key is the MessageGroupId on a FIFO queue, so a group's events run one after the
other, in order, while other groups run beside them; on a standard queue each message
is its own key and any worker takes it. The receiver waits for room before it receives,
so messages do not sit in memory long enough for their visibility to matter.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from cabructl.agents.acks import Message

POLL_SECONDS = 0.1  # how often waiting threads look at the stop flag


class Dispatcher:
    """Messages by key for the workers: one message of a key at a time, keys in arrival order."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queued: dict[str, deque[Message]] = {}
        self._ready: deque[str] = deque()
        self._busy: set[str] = set()
        self._running = 0
        self._closed = False

    def put(self, key: str, message: Message) -> None:
        with self._cond:
            self._queued.setdefault(key, deque()).append(message)
            if key not in self._busy:
                self._busy.add(key)
                self._ready.append(key)
                self._cond.notify()

    def take(self) -> tuple[str, Message] | None:
        with self._cond:
            while not self._ready and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            key = self._ready.popleft()
            self._running += 1
            return key, self._queued[key].popleft()

    def done(self, key: str, stop_group: bool = False) -> list[Message]:
        """The key's message finished; returns the key's waiting messages when the group must stop."""
        with self._cond:
            self._running -= 1
            waiting = self._queued.get(key, deque())
            dropped = list(waiting) if stop_group else []
            if stop_group:
                waiting.clear()
            if waiting and not self._closed:
                self._ready.append(key)
            else:
                self._queued.pop(key, None)
                self._busy.discard(key)
            self._cond.notify_all()
            return dropped

    def outstanding(self) -> int:
        with self._cond:
            return self._running + sum(len(waiting) for waiting in self._queued.values())

    def wait_for_room(self, workers: int, stopping: threading.Event) -> bool:
        """Block until at most ``workers`` messages are outstanding (a full receive fits); False when stopping."""
        with self._cond:
            while not stopping.is_set() and self._running + sum(len(w) for w in self._queued.values()) > workers:
                self._cond.wait(POLL_SECONDS)
        return not stopping.is_set()

    def close(self) -> list[Message]:
        """No more takes; returns the messages never started."""
        with self._cond:
            self._closed = True
            never_started = [message for waiting in self._queued.values() for message in waiting]
            self._queued.clear()
            self._ready.clear()
            self._cond.notify_all()
            return never_started

    def wait_idle(self, deadline: float | None) -> bool:
        """Until nothing runs or waits (or ``deadline``, monotonic); True when idle."""
        with self._cond:
            while self._running or (not self._closed and self._ready):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(POLL_SECONDS if remaining is None else min(POLL_SECONDS, remaining))
            return True
