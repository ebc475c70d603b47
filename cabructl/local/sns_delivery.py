"""Deliver events from EventBridge rules to SNS topic targets, which moto 5.2.1 cannot do.

moto's ``Rule.send_to_targets`` raises ``NotImplementedError`` for an SNS target,
and it raises in the middle of PutEvents, so one SNS target would also stop the
rule's other targets from receiving. cabructl's topologies route critical events
to SNS, so the local endpoint needs that path.

The patch is this module's :func:`install_sns_delivery`, applied once per process
when a local endpoint starts (and safe to call again). It wraps
``moto.events.models.Rule.send_to_targets``: moto still delivers every non-SNS
target itself, over a view of the rule without its SNS targets; each SNS target
of a matching rule then gets the event published through moto's SNS backend, so
subscribers (SQS queues, …) receive it exactly as from ``sns.publish``.

The message follows AWS, not moto's SQS path: ``Input`` is sent verbatim,
``InputPath`` selects part of the event, ``InputTransformer`` is rendered by moto's
own template parser (the one its other targets use), and without any of them the
whole event is sent (with ``account``, which moto's default template drops).
A target that cannot receive (missing topic, FIFO topic) is logged and skipped:
on AWS, PutEvents succeeds and only that delivery fails.
"""

from __future__ import annotations

import functools
import json
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from moto.events.models import Rule

log = logging.getLogger(__name__)

_PATCHED = "_cabructl_sns_delivery"
# moto's own bookkeeping keys on the event it hands to targets; AWS events do not have them.
_MOTO_ONLY_KEYS = ("ingestion-time",)

SendToTargets = Callable[..., None]


def install_sns_delivery() -> None:
    """Make moto's EventBridge rules deliver to SNS targets; idempotent."""
    from moto.events.models import Rule

    if getattr(Rule.send_to_targets, _PATCHED, False):
        return
    Rule.send_to_targets = _with_sns_delivery(Rule.send_to_targets)


def _with_sns_delivery(moto_send_to_targets: SendToTargets) -> SendToTargets:
    @functools.wraps(moto_send_to_targets)
    def send_to_targets(rule: Rule, event: dict[str, Any], transform_input: bool = True) -> None:
        sns_targets = [target for target in rule.targets if is_sns_arn(target["Arn"])]
        if not sns_targets:
            moto_send_to_targets(rule, event, transform_input)
            return
        others = [target for target in rule.targets if not is_sns_arn(target["Arn"])]
        moto_send_to_targets(_RuleWithTargets(rule, others), event, transform_input)
        if rule.event_pattern.matches_event(event):
            for target in sns_targets:
                publish_to_topic(target["Arn"], sns_message(target, event, transform_input))

    setattr(send_to_targets, _PATCHED, True)
    return send_to_targets


class _RuleWithTargets:
    """A read-only view of a rule with other targets.

    Not a copy: moto tracks every model instance it creates (``BaseModel.__new__``),
    so copying a rule per event would leak; and not a mutation, since PutEvents runs
    on several server threads at once.
    """

    def __init__(self, rule: Rule, targets: list[dict[str, Any]]) -> None:
        self._rule = rule
        self.targets = targets

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)


def is_sns_arn(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) > 2 and parts[2] == "sns"


def sns_message(target: dict[str, Any], event: dict[str, Any], transform_input: bool = True) -> str:
    """The message EventBridge publishes for this target and event."""
    if not transform_input:
        return json.dumps(_aws_event(event))
    if "Input" in target:
        return target["Input"]
    if "InputPath" in target:
        return json.dumps(_select(target["InputPath"], _aws_event(event)))
    if "InputTransformer" in target:
        return json.dumps(_transformed(target["InputTransformer"], event))
    return json.dumps(_aws_event(event))


def _aws_event(event: dict[str, Any]) -> dict[str, Any]:
    payload = {key: value for key, value in event.items() if key not in _MOTO_ONLY_KEYS}
    return _with_iso_time(payload)


def _with_iso_time(payload: Any) -> Any:
    """moto keeps ``time`` as epoch seconds; AWS events carry ``2025-01-01T00:00:00Z``."""
    if isinstance(payload, dict) and isinstance(payload.get("time"), (int, float)):
        moment = datetime.fromtimestamp(payload["time"], tz=timezone.utc)
        return {**payload, "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return payload


def _select(path: str, event: dict[str, Any]) -> Any:
    from jsonpath_ng.ext import parse

    matches = parse(path).find(event)
    return matches[0].value if matches else None


def _transformed(transformer: dict[str, Any], event: dict[str, Any]) -> Any:
    from moto.events.utils import EventTemplateParser

    rendered = EventTemplateParser.parse(
        input_template=transformer.get("InputTemplate"),
        input_paths_map=transformer.get("InputPathsMap", {}),
        event=event,
    )
    return _with_iso_time(rendered)


def publish_to_topic(topic_arn: str, message: str) -> None:
    """Publish through moto's SNS backend of the topic's own account and region."""
    from moto.core.exceptions import ServiceException
    from moto.sns import sns_backends
    from moto.utilities.arns import parse_arn

    arn = parse_arn(topic_arn)
    try:
        sns_backends[arn.account][arn.region].publish(message, arn=topic_arn)
    except ServiceException as error:
        log.warning("event not delivered to SNS target %s: %s", topic_arn, error)
