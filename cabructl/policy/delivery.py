"""Can EventBridge deliver to each target and dead-letter queue? Read from the engine's own derivation.

The engine derives the resource policies (SQS queue policy, SNS topic policy, the
shared CloudWatch Logs resource policy, the Lambda permission statements) and the targets
role from the rules, in the handlers' ``desired``.
This module asks the same handlers for the same documents, offline, and checks
that each one lets ``events.amazonaws.com`` act on the target for the rule — so
``policy check`` proves what ``apply`` would write, not what the topology meant.
"""

from __future__ import annotations

import importlib
from typing import Any, Mapping

from cabructl.constants import EVENTS_SERVICE_PRINCIPAL
from cabructl.policy.iam import Request, allows_all, identity_allows, trusts
from cabructl.resources.arns import arn_parts, rule_arn, target_arn
from cabructl.resources.delivery_grants import delivery_role_arn, targets_role_arn
from cabructl.resources.base import Context, address
from cabructl.resources.targets import DEAD_LETTER, Delivery, target_kind, target_kinds
from cabructl.topology.model import Rule, Target, Topology
from cabructl.topology.targets import target_keys

EVENTS_SERVICE = EVENTS_SERVICE_PRINCIPAL
SOURCE_ARN = "aws:sourcearn"
SOURCE_ACCOUNT = "aws:sourceaccount"
_UNREAD = object()


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
        self._role: Any = _UNREAD
        for receiver in {receiver.policy_kind: receiver for receiver in receivers().values()}.values():
            handler = importlib.import_module(receiver.handler_module).HANDLER
            self.by_kind[receiver.policy_kind] = {
                resource.address: resource.attributes.get(receiver.policy_attribute)
                for resource in handler.desired(topology, context)
            }

    def can_receive(self, receiver: Delivery, logical: str, rule: Rule) -> bool:
        """Whether the derived policy lets ``rule`` deliver to ``logical`` (a logical name or a referenced ARN)."""
        policies = self.by_kind[receiver.policy_kind]
        own = address(receiver.policy_kind, receiver.policy_logical(self.topology, self.context, rule.logical, logical))
        documents = [policies.get(own)] if receiver.attached else list(policies.values())
        requests = [self._request(receiver, action, logical, rule) for action in receiver.actions]
        return any(allows_all(document, requests) for document in documents)

    def where(self, receiver: Delivery, logical: str) -> str:
        """How to name the policy in a message."""
        return f"the {receiver.policy_kind} policy of {logical}" if receiver.attached else f"the {receiver.policy_kind}"

    def named(self, target: Target) -> str:
        """How a message names where the target delivers: its logical name, or the referenced ARN."""
        if target_kind(target.kind).resource_kind is not None:
            return target.ref
        return target_arn(self.topology, self.context, target)

    def foreign_account(self, target: Target) -> str | None:
        """The other account a referenced target is in (a literal account is another one: the
        topology's own is written ``{account}``), or None."""
        if target_kind(target.kind).resource_kind is not None:
            return None
        parts = arn_parts(target_arn(self.topology, self.context, target))
        return parts.account if parts is not None and parts.account != self.context.account_id else None

    def grant_hint(self, receiver: Delivery, target: Target) -> str | None:
        """What to do when a referenced target lives in another account, where cabructl writes nothing."""
        account = self.foreign_account(target)
        if account is None:
            return None
        return (f"the {target_kind(target.kind).label} is in account {account}; cabructl grants only in the topology's "
                f"own account (write it `{{account}}`): its owner must allow {' and '.join(receiver.actions)} for the "
                f"rule, and the target needs `role_arn`")

    def role_problem(self, rule: Rule, target: Target) -> str | None:
        """Why the derived targets role cannot deliver ``target`` for ``rule`` (None: it can, or the
        target names a role of its own, which no offline check can read)."""
        kind = target_kind(target.kind)
        account = self.foreign_account(target)
        if account is not None and not target_keys()[target.kind].other_accounts:
            return f"the {kind.label} is in account {account}, and EventBridge delivers to a {kind.label} only in the rule's account"
        role = delivery_role_arn(self.topology, self.context, target)
        if kind.role_action is None or role != targets_role_arn(self.topology, self.context):
            return None
        context = {SOURCE_ARN: rule_arn(self.topology, self.context, rule), SOURCE_ACCOUNT: self.context.account_id}
        derived = self._targets_role()
        if derived is None or not trusts(derived.attributes.get("trust"), EVENTS_SERVICE, context):
            return f"the targets role does not let EventBridge assume it for rule {rule.logical}"
        arn = kind.offline_arn(target_arn(self.topology, self.context, target))
        request = Request(EVENTS_SERVICE, kind.role_action, arn, context)
        if not identity_allows([derived.attributes.get("policy") or {}], request):
            return f"the targets role does not allow {kind.role_action} on {arn}"
        return None

    def _targets_role(self) -> Any:
        """The targets role the engine would write (its trust and policy), or None when it derives none."""
        from cabructl.resources import iam_role

        if self._role is _UNREAD:
            self._role = next(iter(iam_role.HANDLER.desired(self.topology, self.context)), None)
        return self._role

    def _request(self, receiver: Delivery, action: str, logical: str, rule: Rule) -> Request:
        context = {SOURCE_ARN: rule_arn(self.topology, self.context, rule), SOURCE_ACCOUNT: self.context.account_id}
        return Request(EVENTS_SERVICE, action, receiver.request_arn(self.topology, self.context, logical), context)
