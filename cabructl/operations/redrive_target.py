"""Redrive to the target that failed, not to the bus.

EventBridge names the failed target in every dead letter (``TARGET_ARN``, with the
rule in ``RULE_ARN``). Publishing the event to the bus again would make every
matching rule fire, and the targets that did receive it would receive it twice;
delivering it to that one target, with that target's own input rendering (Input,
InputPath, InputTransformer, read from the rule's live targets), repeats only the
delivery that failed. The call is the target kind's own ``send``, the one the local
endpoint uses, made with the operator's credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from cabructl.errors import CabructlError
from cabructl.resources.arns import plain_arn, rule_location
from cabructl.resources.targets import kind_of_arn
from cabructl.resources.targets.base import Outgoing

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.aws import Aws

VIA_BUS_HINT = "pass --via-bus to publish it to the bus again (every matching rule then fires)"


class TargetGone(CabructlError):
    """The dead letter's rule or target no longer exists, so there is nothing to redrive it to."""

    reference = "dead-letter-queue"


class TargetRedrive:
    """Delivers dead letters to their failed targets; reads each rule's targets once per redrive."""

    def __init__(self, aws: Aws) -> None:
        self.aws = aws
        self._targets: dict[str, list[Mapping[str, Any]]] = {}

    def deliver(self, event: Mapping[str, Any], attributes: Mapping[str, str]) -> str:
        """Send ``event`` to the target its dead-letter attributes name; returns that target's ARN."""
        from cabructl.patterns.transform import render_input

        rule_arn, target_arn = attributes.get("RULE_ARN", ""), attributes.get("TARGET_ARN", "")
        target = self.target(rule_arn, target_arn)
        kind = kind_of_arn(target_arn)
        if kind is None or kind.send is None:
            raise TargetGone(f"cabructl cannot deliver to {target_arn} directly", hint=VIA_BUS_HINT)
        location = rule_location(rule_arn)
        body = render_input(target, event, rule_arn=rule_arn, rule_name=location[1] if location else "")
        kind.send(lambda service, arn: self.aws.client(service), Outgoing(target_arn, body, target, str(event.get("id", ""))))
        return target_arn

    def target(self, rule_arn: str, target_arn: str) -> Mapping[str, Any]:
        """The rule's live target entry for ``target_arn``; TargetGone when the rule or the target is gone."""
        if not target_arn or rule_location(rule_arn) is None:
            raise TargetGone("the dead letter names no target (no TARGET_ARN and RULE_ARN)", hint=VIA_BUS_HINT)
        for target in self._rule_targets(rule_arn):
            if plain_arn(str(target.get("Arn", ""))) == plain_arn(target_arn):
                return target
        raise TargetGone(f"rule {rule_arn} no longer has a target {target_arn}", hint=VIA_BUS_HINT)

    def _rule_targets(self, rule_arn: str) -> list[Mapping[str, Any]]:
        if rule_arn not in self._targets:
            self._targets[rule_arn] = self._read_targets(rule_arn)
        return self._targets[rule_arn]

    def _read_targets(self, rule_arn: str) -> list[Mapping[str, Any]]:
        bus, name = rule_location(rule_arn) or ("", "")
        found = self.aws.find(lambda: self.aws.paginate("events", "list_targets_by_rule", "Targets", Rule=name, EventBusName=bus))
        if found is None:
            raise TargetGone(f"rule {name} no longer exists on bus {bus}", hint=VIA_BUS_HINT)
        return found
