"""The permissions EventBridge needs for targets that are not resource-policy kinds of the topology.

Two grants are derived here, once, for the handlers that write them and for
``policy check`` that proves them offline:

- **The targets role** (``{prefix}eventbridge-targets``): one role per topology that
  EventBridge assumes to start executions, put records or events, and invoke API
  destinations. Its trust lets ``events.amazonaws.com`` in only from this account and
  these rules; its policy grants exactly each kind's action on exactly the declared ARNs.
  A target that names its own ``role_arn`` is not in it. No target needs it: no role.
- **Lambda permission statements**: one per rule and function, in the function's own
  resource policy, with a Sid that says it is cabructl's (``cabructl-<project>-<env>-<rule>``)
  so that statements anyone else added are never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from cabructl.constants import EVENTS_SERVICE_PRINCIPAL
from cabructl.resources.arns import arn_parts, rule_arn, target_arn
from cabructl.resources.base import Context, address
from cabructl.resources.documents import POLICY_VERSION
from cabructl.topology.model import Rule, Target, Topology

ROLE_KIND = "iam.role"
TARGETS_ROLE_SUFFIX = "eventbridge-targets"
TARGETS_ROLE_ADDRESS = address(ROLE_KIND, TARGETS_ROLE_SUFFIX)
PERMISSION_KIND = "lambda.permission"
INVOKE_FUNCTION = "lambda:InvokeFunction"
SID_PREFIX = "cabructl-"
SID_MAX_LENGTH = 100  # Lambda's StatementId: 1-100 characters of [A-Za-z0-9_.-]


def targets_role_name(topology: Topology) -> str:
    return f"{topology.prefix}{TARGETS_ROLE_SUFFIX}"


def targets_role_arn(topology: Topology, context: Context) -> str:
    return context.arn("iam", f"role/{targets_role_name(topology)}", regional=False)


def role_targets(topology: Topology) -> Iterator[tuple[Rule, Target]]:
    """Targets delivered through the targets role: a kind that needs a role, and no role of their own."""
    from cabructl.resources.targets import target_kind

    for rule in topology.rules.values():
        for target in rule.targets:
            if target_kind(target.kind).role_action and target.role_arn is None:
                yield rule, target


def needs_targets_role(topology: Topology) -> bool:
    return next(role_targets(topology), None) is not None


def delivery_role_arn(topology: Topology, context: Context, target: Target) -> str | None:
    """The RoleArn a target's PutTargets entry carries: its own, the targets role, or none."""
    from cabructl.resources.targets import target_kind

    kind = target_kind(target.kind)
    if not kind.sends_role:
        return None
    if target.role_arn is not None:
        return target.role_arn
    return targets_role_arn(topology, context) if kind.role_action else None


def targets_role_trust(topology: Topology, context: Context) -> dict[str, Any]:
    """EventBridge may assume the role only for this account's rules that use it (the confused-deputy guard)."""
    rules = sorted({rule_arn(topology, context, rule) for rule, _ in role_targets(topology)})
    return {"Version": POLICY_VERSION, "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": [EVENTS_SERVICE_PRINCIPAL]},
        "Action": ["sts:AssumeRole"],
        "Condition": {"StringEquals": {"aws:SourceAccount": [context.account_id]}, "ArnEquals": {"aws:SourceArn": rules}},
    }]}


def targets_role_policy(topology: Topology, context: Context) -> dict[str, Any]:
    """One statement per action, on exactly the ARNs of the targets that use the role."""
    from cabructl.resources.targets import target_kind

    resources: dict[str, set[str]] = {}
    for _, target in role_targets(topology):
        kind = target_kind(target.kind)
        resources.setdefault(str(kind.role_action), set()).add(kind.role_resource(target_arn(topology, context, target)))
    statements = [{"Sid": _sid_word(action), "Effect": "Allow", "Action": [action], "Resource": sorted(arns)}
                  for action, arns in sorted(resources.items())]
    return {"Version": POLICY_VERSION, "Statement": statements}


def _sid_word(action: str) -> str:
    """``states:StartExecution`` → ``StatesStartExecution`` (IAM Sids are alphanumeric)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", action))


@dataclass(frozen=True)
class FunctionGrant:
    """One cabructl statement in a function's resource policy: this rule may invoke it."""

    rule: Rule
    function_arn: str
    sid: str
    source_arn: str
    source_account: str

    @property
    def logical(self) -> str:
        """``<rule>/<function name>``: the address's logical part (one statement per rule and function)."""
        return f"{self.rule.logical}/{function_name(self.function_arn)}"

    @property
    def address(self) -> str:
        return address(PERMISSION_KIND, self.logical)


def function_name(function_arn: str) -> str:
    """The function's name in its ARN (a qualifier ``:alias`` kept out of it)."""
    parts = arn_parts(function_arn)
    if parts is None:
        return function_arn
    return parts.resource.removeprefix("function:").split(":", 1)[0]


def permission_sid(topology: Topology, rule: Rule) -> str:
    """``cabructl-<project>-<environment>-<rule>``, in Lambda's alphabet and length (a long one keeps its end unique)."""
    sid = re.sub(r"[^A-Za-z0-9_.-]", "-", f"{SID_PREFIX}{topology.project}-{topology.environment}-{rule.logical}")
    if len(sid) <= SID_MAX_LENGTH:
        return sid
    import hashlib

    digest = hashlib.sha256(sid.encode()).hexdigest()[:12]
    return f"{sid[:SID_MAX_LENGTH - 13]}-{digest}"


def owns_sid(topology: Topology, sid: str) -> bool:
    """Whether a statement's Sid marks it as this topology's (``cabructl-<project>-<environment>-``)."""
    return sid.startswith(re.sub(r"[^A-Za-z0-9_.-]", "-", f"{SID_PREFIX}{topology.project}-{topology.environment}-"))


def function_grants(topology: Topology, context: Context) -> list[FunctionGrant]:
    """The statements the topology's function targets need: one per rule and function in this
    account (a function in another account is its owner's to grant; its target needs a role)."""
    from cabructl.resources.targets import target_kind

    grants: dict[str, FunctionGrant] = {}
    for rule in topology.rules.values():
        for target in rule.targets:
            delivery = target_kind(target.kind).delivery
            if delivery is None or delivery.policy_kind != PERMISSION_KIND:
                continue
            arn = target_arn(topology, context, target)
            parts = arn_parts(arn)
            if parts is not None and parts.account != context.account_id:
                continue
            grant = FunctionGrant(rule, arn, permission_sid(topology, rule), rule_arn(topology, context, rule), context.account_id)
            grants.setdefault(grant.address, grant)
    return list(grants.values())


def permission_statement(grant: FunctionGrant) -> dict[str, Any]:
    """The statement as Lambda's GetPolicy reports one that AddPermission wrote."""
    return {
        "Sid": grant.sid,
        "Effect": "Allow",
        "Principal": {"Service": EVENTS_SERVICE_PRINCIPAL},
        "Action": INVOKE_FUNCTION,
        "Resource": grant.function_arn,
        "Condition": {"StringEquals": {"AWS:SourceAccount": grant.source_account},
                      "ArnLike": {"AWS:SourceArn": grant.source_arn}},
    }
