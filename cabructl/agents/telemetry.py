"""What the SDK measures about itself, for the metrics the seed's monitoring section asks for.

The publisher reports each event's outcome and publish latency; the consumer reports each
event's outcome (handled, duplicate, failed, dead_lettered) and its end-to-end latency,
from the event's ``time`` to the end of its handler. A :class:`Telemetry` turns those into
CloudWatch metrics in the topology's namespace; :class:`NullTelemetry` (the default) keeps
nothing, so tests and tools that do not ask for metrics pay nothing.
"""

from __future__ import annotations

from typing import Protocol

# Outcomes a consumer reports per event.
HANDLED = "handled"
DUPLICATE = "duplicate"
FAILED = "failed"
DEAD_LETTERED = "dead_lettered"
CONSUMER_OUTCOMES = (HANDLED, DUPLICATE, FAILED, DEAD_LETTERED)


class Telemetry(Protocol):
    """Where the SDK's measurements go; every method is called from any thread and must not raise."""

    def published(self, agent: str, detail_type: str, outcome: str, latency_seconds: float) -> None:
        """One event's publish: ``outcome`` is its Status value (published, failed, dropped…)."""

    def consumed(self, agent: str | None, detail_type: str, outcome: str, end_to_end_seconds: float | None) -> None:
        """One received event: ``outcome`` is one of CONSUMER_OUTCOMES; latency None when unknown."""

    def flush(self) -> None:
        """Send what is buffered (at exit, and periodically)."""


class NullTelemetry:
    """Records nothing: the default, and what tests use unless they ask for metrics."""

    def published(self, agent: str, detail_type: str, outcome: str, latency_seconds: float) -> None:
        return None

    def consumed(self, agent: str | None, detail_type: str, outcome: str, end_to_end_seconds: float | None) -> None:
        return None

    def flush(self) -> None:
        return None
