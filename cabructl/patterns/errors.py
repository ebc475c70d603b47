"""The one error type of the pattern library.

A problem in an event pattern is reported the way EventBridge words it, so a user
who has seen the AWS console recognises it, and with the path of the offending key
*inside the pattern*, so ``cabructl validate`` can add the pattern's own location in
topology.yaml and point at the exact YAML line instead of at the whole rule.
"""

from __future__ import annotations

import reprlib

from cabructl.errors import CabructlError

PatternPath = tuple[object, ...]

MESSAGE_PREFIX = "Event pattern is not valid. Reason: "

# Offending values quoted in a message are cut short: a message must stay readable,
# and repr() of a deeply nested value would itself raise RecursionError.
QUOTE = reprlib.Repr()
QUOTE.maxlevel = 3
QUOTE.maxstring = QUOTE.maxother = 60


def quoted(value: object) -> str:
    """A value as a message shows it: strings bare (as event-ruler does), the rest short."""
    if isinstance(value, str):
        return value if len(value) <= QUOTE.maxstring else value[: QUOTE.maxstring - 3] + "..."
    return QUOTE.repr(value)


class PatternError(CabructlError):
    """An event pattern EventBridge would reject; ``str(err)`` is the message.

    Derives from :class:`CabructlError` so that a bad pattern reaching the CLI is
    printed as a user error, never as a traceback.
    """

    reference = "invalid-pattern"

    def __init__(
        self, reason: str, path: PatternPath = (), rule: str | None = None, hint: str | None = None
    ) -> None:
        self.reason = reason
        self.path: PatternPath = tuple(path)
        self.rule = rule
        self.message = MESSAGE_PREFIX + reason
        super().__init__(self.message, hint)

    def for_rule(self, rule: str) -> "PatternError":
        """The same problem, labelled with the rule whose pattern it was found in."""
        return PatternError(self.reason, self.path, rule=rule, hint=self.hint)

    def __repr__(self) -> str:
        return f"PatternError({self.reason!r}, path={self.path!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PatternError):
            return NotImplemented
        return (self.reason, self.path, self.rule) == (other.reason, other.path, other.rule)

    def __hash__(self) -> int:
        return hash((self.reason, self.path, self.rule))
