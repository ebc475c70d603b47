"""What the local EventBridge refuses, as AWS refuses it: patterns, target input, TestEventPattern events.

moto accepts any pattern and any target input; AWS refuses invalid ones at PutRule
and PutTargets, so a topology that would fail on AWS fails here too. The same
parser answers TestEventPattern, which moto does not implement.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

ARCHIVE_MANAGER = "prod.vhs.events.aws.internal"  # moto's marker on the rule it makes per archive
ARCHIVE_RULE_PREFIX = "Events-Archive-"


def checking_put_rule(moto_put_rule: Any) -> Any:
    """PutRule refusing the patterns AWS refuses (InvalidEventPatternException), with cabructl's parser."""
    def put_rule(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        pattern = kwargs.get("event_pattern", args[2] if len(args) > 2 else None)
        if pattern and kwargs.get("managed_by") != ARCHIVE_MANAGER:
            check_pattern(pattern)
        return moto_put_rule(self, name, *args, **kwargs)

    return put_rule


def checking_put_targets(moto_put_targets: Any) -> Any:
    """PutTargets refusing the Input, InputPath and InputTransformer AWS refuses (ValidationException)."""
    def put_targets(self: Any, name: str, event_bus_arn: str | None, targets: list[dict[str, Any]]) -> Any:
        if not name.startswith(ARCHIVE_RULE_PREFIX):  # moto's own archive rule uses a template of its own
            _check_target_inputs(targets)
        return moto_put_targets(self, name, event_bus_arn, targets)

    return put_targets


def _check_target_inputs(targets: Iterable[Mapping[str, Any]]) -> None:
    """AWS's ValidationException for a target whose Input, InputPath or InputTransformer it would refuse."""
    from moto.events.exceptions import ValidationException

    from cabructl.patterns.transform import target_input_problems

    for target in targets:
        problems = target_input_problems(target)
        if problems:
            raise ValidationException(f"target {target.get('Id')}: {problems[0]}")


def check_pattern(pattern: str) -> Any:
    """The compiled pattern; AWS's InvalidEventPatternException for one it would refuse."""
    from moto.events.exceptions import InvalidEventPatternException

    from cabructl.patterns import PatternError, compile_pattern

    try:
        return compile_pattern(pattern)
    except PatternError as error:
        raise InvalidEventPatternException(str(error)) from None


REQUIRED_EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


def test_event_pattern(handler: Any) -> str:
    """TestEventPattern answered by cabructl's matcher: ``{"Result": true|false}``."""
    from moto.events.exceptions import ValidationException

    compiled = check_pattern(handler._get_param("EventPattern") or "")
    try:
        event = json.loads(handler._get_param("Event") or "")
    except ValueError:
        raise ValidationException("Parameter Event is not valid. Reason: the event is not valid JSON.") from None
    missing = [key for key in REQUIRED_EVENT_FIELDS if not isinstance(event, dict) or key not in event]
    if missing:
        raise ValidationException(f"Parameter Event is not valid. Reason: missing {', '.join(missing)}.")
    return json.dumps({"Result": compiled.matches(event)})
