"""Can EventBridge deliver to each target and dead-letter queue? Read from the engine's own derivation.

The engine derives the resource policies (SQS queue policy, SNS topic policy, the
shared CloudWatch Logs resource policy) from the rules, in the handlers' ``desired``.
This module asks the same handlers for the same documents, offline, and checks
that each one lets ``events.amazonaws.com`` act on the target for the rule — so
``policy check`` proves what ``apply`` would write, not what the topology meant.
"""

from __future__ import annotations

import importlib
from typing import Any, Mapping

from cabructl.policy.iam import Request, allows_all
from cabructl.resources.arns import rule_arn
from cabructl.resources.base import Context, address
from cabructl.resources.targets import DEAD_LETTER, Delivery, target_kind, target_kinds
from cabructl.topology.model import Rule, Topology

EVENTS_SERVICE = "events.amazonaws.com"
SOURCE_ARN = "aws:sourcearn"
SOURCE_ACCOUNT = "aws:sourceaccount"


def receivers() -> Mapping[str, Delivery]:
    """How each target kind that receives through a resource policy receives (its descriptor's
    delivery statement), by target kind; kinds delivered through a role are not here."""
    return {key: kind.delivery for key, kind in target_kinds().items() if kind.delivery is not None}


def dead_letter_receiver() -> Delivery:
    """Dead-letter queues receive as queues do."""
    return target_kind(DEAD_LETTER).delivery


class DerivedPolicies:
    """The resource policies the engine would write, by address, derived once per check run."""

    def __init__(self, topology: Topology, context: Context) -> None:
        self.topology = topology
        self.context = context
        self.by_kind: dict[str, dict[str, Any]] = {}
        for receiver in {receiver.policy_kind: receiver for receiver in receivers().values()}.values():
            handler = importlib.import_module(receiver.handler_module).HANDLER
            self.by_kind[receiver.policy_kind] = {
                resource.address: resource.attributes.get(receiver.policy_attribute)
                for resource in handler.desired(topology, context)
            }

    def can_receive(self, receiver: Delivery, logical: str, rule: Rule) -> bool:
        """Whether the derived policy lets ``rule`` deliver to ``logical`` (a logical name or a referenced ARN)."""
        policies = self.by_kind[receiver.policy_kind]
        own = address(receiver.policy_kind, receiver.policy_logical(self.topology, self.context, rule, logical))
        documents = [policies.get(own)] if receiver.attached else list(policies.values())
        requests = [self._request(receiver, action, logical, rule) for action in receiver.actions]
        return any(allows_all(document, requests) for document in documents)

    def where(self, receiver: Delivery, logical: str) -> str:
        """How to name the policy in a message."""
        return f"the {receiver.policy_kind} policy of {logical}" if receiver.attached else f"the {receiver.policy_kind}"

    def _request(self, receiver: Delivery, action: str, logical: str, rule: Rule) -> Request:
        context = {SOURCE_ARN: rule_arn(self.topology, self.context, rule), SOURCE_ACCOUNT: self.context.account_id}
        return Request(EVENTS_SERVICE, action, receiver.request_arn(self.topology, self.context, logical), context)
