"""What the SDK refuses, as :class:`~cabructl.errors.CabructlError` subclasses.

Each is raised *before* anything leaves the process, so a caller that catches
one knows the event was not sent; the CLI turns them into exit code 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from cabructl.errors import CabructlError, EventInputError

__all__ = ["EventValidationError", "UnknownEventError", "ImpersonationError", "EventTooLargeError", "RateLimitExceeded",
           "EventInputError", "RefusedEventsError"]

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.agents.results import BatchResult


class EventValidationError(CabructlError):
    """The detail does not match its schema; ``problems`` holds one line per failing field."""

    reference = "invalid-event"

    def __init__(self, detail_type: str, problems: Sequence[str]) -> None:
        self.detail_type = detail_type
        self.problems = tuple(problems)
        super().__init__(f"invalid {detail_type}: " + "; ".join(self.problems))


class UnknownEventError(CabructlError):
    """The topology declares no schema (or no agent) for what is being published."""

    reference = "unknown-event"


class ImpersonationError(UnknownEventError):
    """The client speaks for one agent and the event is another agent's: the SDK never publishes as
    someone else (consumers trust source and detail-type to say who sent an event)."""

    reference = "impersonation"


class EventTooLargeError(CabructlError):
    """One entry alone exceeds the PutEvents size limit; no batching can send it."""

    reference = "event-too-large"


class RateLimitExceeded(CabructlError):
    """The agent reached its declared hourly volume and its topology says ``on_limit: raise``.

    ``result`` is set by ``publish_many``: what happened to the events admitted
    before the limit was hit (they were sent); later events were not sent.
    """

    reference = "rate-limited"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.result: BatchResult | None = None


class RefusedEventsError(CabructlError):
    """Some of the events given are invalid; none was sent."""

    reference = EventValidationError.reference  # the same mistake, about several events

    def __init__(self, problems: list[str], total: int) -> None:
        self.problems = problems
        head = "nothing was sent" if total == 1 else f"{len(problems)} of {total} events refused, nothing was sent"
        super().__init__(f"{head}: {problems[0]}" if len(problems) == 1 else head + ":\n  " + "\n  ".join(problems))


# What ``EventBridgeAgent.prepare`` raises for an event it will not send: callers that
# check many events at once (the CLI, DLQ redrive) collect these and go on.
REFUSED_EVENT_ERRORS = (EventValidationError, UnknownEventError, EventTooLargeError)
