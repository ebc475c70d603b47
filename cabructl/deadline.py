"""Bounded time for a command's AWS work, and a line that says it is still waiting.

A command must end: a hung endpoint, a silent load balancer or endless throttling
would otherwise block ``plan`` or a cron'd ``drift`` for as long as botocore keeps
retrying. So the work runs in a worker thread with a deadline. Python cannot kill
a thread; past the deadline the worker is abandoned (a daemon thread, it does not
keep the process alive) and every AWS request it would still send is refused
before it leaves, through a botocore ``before-send`` hook on every client of the
:class:`~cabructl.aws.Aws`, present and future, retries included. A request
already on the wire is abandoned: its answer is discarded.

Nothing here names a command or a resource kind; it depends on ``aws`` and ``errors`` only.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, TYPE_CHECKING, Any, Callable, Protocol, TypeVar

from cabructl.errors import CabructlError

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.aws import Aws

T = TypeVar("T")

DEFAULT_HINT = "raise --timeout, lower --workers if AWS throttles, or check the endpoint and credentials"
# How often the waiting line is redrawn: often enough to show life, rarely enough not to flicker.
REDRAW_SECONDS = 3.0


class DeadlineExceeded(CabructlError):
    """The AWS work did not finish in time; what was still in flight was abandoned."""

    reference = "timeout"


class _Abandoned(Exception):
    """Raised inside botocore, before a request is sent, once the deadline has passed.

    Not a botocore error, so botocore's retry handler does not retry it.
    """


class WaitProgress(Protocol):
    """Told, while the work runs, how long it has been waiting, and when the wait is over."""

    def tick(self, elapsed: float) -> None: ...

    def done(self) -> None: ...


class Deadline:
    """One time budget for all of a command's AWS work, spent phase by phase.

    ``apply`` plans, asks a person, then writes: the minutes at the prompt are not
    AWS's, so each :meth:`run` gets what the earlier runs left, and the error names
    the whole budget. Once it has passed, no request of any phase is sent again.
    """

    def __init__(self, seconds: float, aws: "Aws", *, doing: str = "AWS work",
                 error: type[DeadlineExceeded] = DeadlineExceeded, hint: str = DEFAULT_HINT,
                 thread_name: str = "cabructl-deadline") -> None:
        self.seconds = seconds
        self.doing = doing
        self.error = error
        self.hint = hint
        self.thread_name = thread_name
        self.spent = 0.0
        self._abandoned = threading.Event()
        aws.add_hook("before-send.*.*", self._refuse_after_deadline)

    @property
    def remaining(self) -> float:
        """Seconds left for the next phase."""
        return max(self.seconds - self.spent, 0.0)

    def run(self, work: Callable[[], T], *, progress: WaitProgress | None = None) -> T:
        """``work()`` within what is left of the budget, or :attr:`error` once it is spent.

        The worker's exception, if any, is re-raised here as is.
        """
        started = time.monotonic()
        outcome: dict[str, Any] = {}
        try:
            finished = self._wait(self._start(work, outcome), started, progress)
        finally:
            self.spent += time.monotonic() - started
        if not finished:
            self._abandoned.set()
            raise self.error(f"the {self.doing} did not finish within {self.seconds:g} s; "
                             "AWS calls still in flight were abandoned", hint=self.hint)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def _start(self, work: Callable[[], Any], outcome: dict[str, Any]) -> threading.Thread:
        """The worker, started; it leaves the value or the exception in ``outcome``."""

        def run() -> None:
            try:
                outcome["value"] = work()
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread as is
                outcome["error"] = error

        worker = threading.Thread(target=run, name=self.thread_name, daemon=True)
        worker.start()
        return worker

    def _wait(self, worker: threading.Thread, started: float, progress: WaitProgress | None) -> bool:
        """Join the worker until the budget is spent; True when it finished in time.

        With ``progress``, the join wakes every few seconds to redraw it. Ctrl-C
        abandons the work too, so that it stops sending requests.
        """
        end = started + self.remaining
        try:
            while worker.is_alive():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                worker.join(min(left, REDRAW_SECONDS) if progress else left)
                if progress and worker.is_alive() and time.monotonic() < end:
                    progress.tick(time.monotonic() - started)
            return True
        except BaseException:
            self._abandoned.set()
            raise
        finally:
            if progress:
                progress.done()

    def _refuse_after_deadline(self, **_: Any) -> None:
        """botocore's ``before-send``: past the deadline, no request of the abandoned work leaves."""
        if self._abandoned.is_set():
            raise _Abandoned(f"{self.doing} abandoned after {self.seconds:g} s")


def run_within(seconds: float, work: Callable[[], T], aws: "Aws", *, doing: str = "AWS work",
               error: type[DeadlineExceeded] = DeadlineExceeded, hint: str = DEFAULT_HINT,
               thread_name: str = "cabructl-deadline", progress: WaitProgress | None = None) -> T:
    """``work()`` in a worker thread, or ``error`` after ``seconds`` (a one-phase :class:`Deadline`)."""
    deadline = Deadline(seconds, aws, doing=doing, error=error, hint=hint, thread_name=thread_name)
    return deadline.run(work, progress=progress)


class WaitingLine:
    """``waiting on AWS… 12 s``, redrawn in place on one terminal line and erased at the end."""

    def __init__(self, stream: IO[str], label: str = "waiting on AWS…") -> None:
        self.stream = stream
        self.label = label
        self._width = 0

    def tick(self, elapsed: float) -> None:
        """Redraw the line with the seconds waited so far."""
        text = f"{self.label} {elapsed:.0f} s"
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = max(self._width, len(text))

    def done(self) -> None:
        """Erase the line, so that what is printed next starts on a clean one."""
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def waiting_line(stream: IO[str] | None = None) -> WaitingLine | None:
    """A :class:`WaitingLine` on stderr when it is a terminal, else None.

    Captured output (tests, CI logs, cron mail) must never collect carriage returns,
    and stdout stays the command's result, so the line is for a person's terminal only.
    """
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return WaitingLine(stream) if callable(isatty) and isatty() else None
