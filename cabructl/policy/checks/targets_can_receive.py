"""DLV002: EventBridge may deliver to every target and dead-letter queue, by the derived policies."""

from __future__ import annotations

from typing import Iterable

from cabructl.resources.base import offline_context
from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.delivery import DerivedPolicies, dead_letter_receiver, receivers
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Rule, Target, Topology

class TargetsCanReceive(Check):
    id = "DLV002"
    shortdesc = "Every target and dead-letter queue can receive"
    description = ("A target EventBridge cannot deliver to is a broken topology, and the most common reason events "
                   "never arrive. The resource policies the engine derives (SQS queue policy, SNS topic policy, the "
                   "Logs resource policy, the Lambda permission statements) must let events.amazonaws.com act for the "
                   "rule, and the targets role must trust EventBridge for the rule and allow the kind's action on "
                   "the target. (A target under an AWS-managed KMS key is refused by `validate`; whether a declared "
                   "key's policy lets EventBridge use it is DLV003.)")
    source_url = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html"

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        policies = DerivedPolicies(topology, offline_context(topology))
        for rule in topology.rules.values():
            for target in rule.targets:
                yield from _target_problems(topology, policies, rule, target)
                yield from _dead_letter_problems(topology, policies, rule, target)


def _target_problems(topology: Topology, policies: DerivedPolicies, rule: Rule, target: Target) -> Iterable[Violation]:
    receiver = receivers().get(target.kind)
    path = target.path + (target.kind,)
    if receiver is None:
        problem = policies.role_problem(rule, target)
        if problem:
            yield Violation(path, f"{problem}: EventBridge cannot deliver to target {target.id}")
    elif policies.foreign_account(target) and target.role_arn:
        return  # through its own role, under the other account's policy: nothing here can read either
    elif not policies.can_receive(receiver, target.ref, rule):
        yield Violation(path, f"{policies.where(receiver, policies.named(target))} does not let rule {rule.logical} "
                              f"{' and '.join(receiver.actions)}: EventBridge cannot deliver to target {target.id}",
                        hint=policies.grant_hint(receiver, target))


def _dead_letter_problems(topology: Topology, policies: DerivedPolicies, rule: Rule, target: Target) -> Iterable[Violation]:
    if target.dead_letter is None or target.dead_letter not in topology.queues:
        return
    path = target.path + ("dead_letter",)
    if not policies.can_receive(dead_letter_receiver(), target.dead_letter, rule):
        yield Violation(path, f"{policies.where(dead_letter_receiver(), target.dead_letter)} does not let rule {rule.logical} "
                              f"sqs:SendMessage: failed deliveries of target {target.id} are lost")
