"""DLV003: EventBridge may use the key of every encrypted target, dead-letter queue and bus, by the derived key policy."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.iam import Request, allows
from cabructl.policy.traffic import TrafficModel
from cabructl.resources.arns import bus_arn, rule_arn
from cabructl.resources.base import Context, offline_context
from cabructl.resources.kms_key import EVENTBRIDGE, EVENTBRIDGE_ACTIONS, alias_arn, key_policy
from cabructl.topology.key_checks import declared_key, deliveries, key_behind
from cabructl.topology.model import Topology


class TargetsKeyUsable(Check):
    id = "DLV003"
    shortdesc = "Every encrypted target's key lets EventBridge use it"
    description = ("EventBridge encrypts what it delivers to an SQS queue or SNS topic under a customer-managed KMS key "
                   "with that key, so the key policy must let events.amazonaws.com kms:GenerateDataKey and kms:Decrypt "
                   "for the rule (aws:SourceArn); without it every delivery fails and the dead-letter queue, if it is "
                   "under the same key, cannot take the event either. An encrypted bus needs the same for the bus. "
                   "The proof reads the key policy the engine derives for each key in `keys`.")
    source_url = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html"

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        context = offline_context(topology)
        policies = {logical: key_policy(topology, context, key) for logical, key in topology.keys.items()}
        for delivery in deliveries(topology):
            key = key_behind(topology, delivery.section, delivery.logical)
            if key not in policies:
                continue  # no declared key (or an unknown one, which validate refuses)
            named = declared_key(topology, delivery.section, delivery.logical) == key
            missing = _missing(policies[key], context, topology, key, rule_arn(topology, context, delivery.rule))
            if missing:
                as_dead_letter = delivery.path[-1] == "dead_letter"
                outcome = (f"failed deliveries of target {delivery.target.id} are lost" if as_dead_letter
                           else f"EventBridge cannot deliver to target {delivery.target.id}")
                hint = _HINT if named else f"write `encryption: {key}` instead of `kms_key`, so the key policy names the rule"
                yield Violation(delivery.path, f"the key policy of key {key} does not let rule {delivery.rule.logical} "
                                               f"{' and '.join(missing)}: {outcome}", hint=hint)
        bus_key = topology.bus.key
        if bus_key in policies:
            missing = _missing(policies[bus_key], context, topology, bus_key, bus_arn(topology, context))
            if missing:
                yield Violation(topology.bus.path + ("encryption",), f"the key policy of key {bus_key} does not let the bus "
                                                                     f"{' and '.join(missing)}: EventBridge cannot accept events", hint=_HINT)


_HINT = "cabructl derives the key policy from the rules; apply restores it, or see what changed it"


def _missing(document: Mapping[str, Any] | None, context: Context, topology: Topology, key: str, source: str) -> list[str]:
    """The EventBridge actions the key policy does not allow for ``source`` (a rule's or the bus's ARN)."""
    resource = alias_arn(context, topology.keys[key].alias)
    return [action for action in EVENTBRIDGE_ACTIONS
            if not allows(document, Request(EVENTBRIDGE, action, resource, {"aws:sourcearn": source}))]
