"""Can EventBridge deliver to each target and dead-letter queue? Read from the engine's own derivation.

The engine derives the resource policies (SQS queue policy, SNS topic policy, the
shared CloudWatch Logs resource policy) from the rules, in the handlers' ``desired``.
This module asks the same handlers for the same documents, offline, and checks
that each one lets ``events.amazonaws.com`` act on the target for the rule — so
``policy check`` proves what ``apply`` would write, not what the topology meant.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from cabructl.policy.iam import Request, allows_all
from cabructl.resources.arns import log_group_arn, queue_arn, rule_arn, topic_arn
from cabructl.resources.base import Context, address
from cabructl.topology.model import Rule, Topology

EVENTS_SERVICE = "events.amazonaws.com"
SOURCE_ARN = "aws:sourcearn"
SOURCE_ACCOUNT = "aws:sourceaccount"


@dataclass(frozen=True)
class Receiver:
    """How one kind of target receives: which handler derives its policy, and what EventBridge calls."""

    handler_module: str
    kind: str
    policy_attribute: str
    actions: tuple[str, ...]
    attached: bool  # the policy belongs to the target itself (queue, topic), not shared (logs)
    arn: Callable[[Topology, Context, str], str]


def _log_stream_arn(topology: Topology, context: Context, logical: str) -> str:
    """Logs actions act on a stream of the group: the ARN a delivery presents."""
    return log_group_arn(topology, context, logical) + ":log-stream:eventbridge"


QUEUE = Receiver("cabructl.resources.sqs_queue", "sqs.queue", "policy", ("sqs:SendMessage",), True, queue_arn)
RECEIVERS: Mapping[str, Receiver] = {
    "queue": QUEUE,
    "topic": Receiver("cabructl.resources.sns_topic", "sns.topic", "policy", ("sns:Publish",), True, topic_arn),
    "log_group": Receiver("cabructl.resources.logs_resource_policy", "logs.resource_policy", "document",
                          ("logs:CreateLogStream", "logs:PutLogEvents"), False, _log_stream_arn),
}


class DerivedPolicies:
    """The resource policies the engine would write, by address, derived once per check run."""

    def __init__(self, topology: Topology, context: Context) -> None:
        self.topology = topology
        self.context = context
        self.by_kind: dict[str, dict[str, Any]] = {}
        for receiver in {receiver.kind: receiver for receiver in RECEIVERS.values()}.values():
            handler = importlib.import_module(receiver.handler_module).HANDLER
            self.by_kind[receiver.kind] = {
                resource.address: resource.attributes.get(receiver.policy_attribute)
                for resource in handler.desired(topology, context)
            }

    def can_receive(self, receiver: Receiver, logical: str, rule: Rule) -> bool:
        """Whether the derived policy lets ``rule`` deliver to ``logical``."""
        policies = self.by_kind[receiver.kind]
        documents = [policies.get(address(receiver.kind, logical))] if receiver.attached else list(policies.values())
        requests = [self._request(receiver, action, logical, rule) for action in receiver.actions]
        return any(allows_all(document, requests) for document in documents)

    def where(self, receiver: Receiver, logical: str) -> str:
        """How to name the policy in a message."""
        return f"the {receiver.kind} policy of {logical}" if receiver.attached else f"the {receiver.kind}"

    def _request(self, receiver: Receiver, action: str, logical: str, rule: Rule) -> Request:
        context = {SOURCE_ARN: rule_arn(self.topology, self.context, rule), SOURCE_ACCOUNT: self.context.account_id}
        return Request(EVENTS_SERVICE, action, receiver.arn(self.topology, self.context, logical), context)
