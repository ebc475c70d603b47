"""The exception family the CLI turns into exit codes in exactly one place.

Every error a user can cause derives from :class:`CabructlError`; anything else
reaching the CLI wrapper is a bug and is reported as one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.diagnostics import Diagnostic


class CabructlError(Exception):
    """A failure the user can act on; its message is printed without a traceback."""

    reference = "error"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class TopologyError(CabructlError):
    """The topology file is invalid; carries every diagnostic found, not just the first."""

    reference = "invalid-topology"

    def __init__(self, diagnostics: Sequence["Diagnostic"]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


class EventInputError(CabructlError):
    """Events given to cabructl (files, --detail, --entries, DLQ bodies) are not readable JSON of the expected shape."""

    reference = "invalid-event-input"


class AwsError(CabructlError):
    """An AWS call failed after retries; the message names the operation."""

    reference = "aws-error"
