"""logs.resource_policy: the one Logs resource policy that lets EventBridge write to log groups.

AWS allows only ten resource policies per account and region (AWS-FACTS), so a
topology shares one, named ``<prefix>eventbridge-logs``, across all its log
groups: one statement per log group a rule targets, granting
``logs:CreateLogStream`` and ``logs:PutLogEvents`` to EventBridge (and the Logs
delivery service) on ``<log group arn>:*``, scoped by ``aws:SourceArn`` to the
rules that target that group. No rule targets a log group: no policy.

Resource policies cannot be tagged, so ownership is by name: the policy with the
topology's name is the topology's. The document is checked against AWS's
5,120-character limit when the desired state is built, so a topology that would
not fit fails at ``plan``, not halfway through an ``apply``.
"""

from __future__ import annotations

import re
from typing import Any

from cabructl.constants import EVENTS_SERVICE_PRINCIPAL, LOG_RESOURCE_POLICY_SUFFIX, MAX_LOG_RESOURCE_POLICY_CHARS
from cabructl.errors import CabructlError
from cabructl.resources.arns import deliveries_to, log_group_arn, rule_arn
from cabructl.resources.base import Context, Handler, Resource, address, compact_json
from cabructl.resources.documents import normalize_policy, policy, service_statement
from cabructl.resources.targets.log_group import LOG_GROUP
from cabructl.topology.model import Topology

KIND = "logs.resource_policy"

DELIVERY_SERVICES = (EVENTS_SERVICE_PRINCIPAL, "delivery.logs.amazonaws.com")
ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


class LogResourcePolicyTooLarge(CabructlError):
    reference = "log-resource-policy-too-large"


class LogResourcePolicyHandler(Handler):
    kind = KIND
    section = "log_groups"
    # The document is the only attribute and PutResourcePolicy replaces it in place.

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        document = delivery_document(topology, context)
        if document is None:
            return []
        name = policy_name(topology)
        _check_size(name, document)
        depends_on = tuple(address("logs.group", logical) for logical in sorted(_targeted_groups(topology)))
        return [Resource(address(KIND, LOG_RESOURCE_POLICY_SUFFIX), KIND, name, {"document": document}, depends_on)]

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """One page lists every resource policy of the region (there are at most ten)."""
        name = policy_name(topology)
        policies = aws.paginate("logs", "describe_resource_policies", "resourcePolicies")
        return [
            Resource(address(KIND, LOG_RESOURCE_POLICY_SUFFIX), KIND, name, {"document": normalize_policy(found["policyDocument"])})
            for found in policies
            if found["policyName"] == name
        ]

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        self._put(aws, resource)

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        self._put(aws, desired)

    def _put(self, aws: Any, resource: Resource) -> None:
        document = compact_json(resource.attributes["document"])
        aws.settle(lambda: aws.client("logs").put_resource_policy(policyName=resource.name, policyDocument=document))

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("logs").delete_resource_policy(policyName=live.name))


def policy_name(topology: Topology) -> str:
    return topology.prefix + LOG_RESOURCE_POLICY_SUFFIX


def delivery_document(topology: Topology, context: Context) -> dict[str, Any] | None:
    """One statement per targeted log group, naming only the rules that write to it."""
    statements = []
    for logical in sorted(_targeted_groups(topology)):
        rule_arns = [rule_arn(topology, context, rule) for rule in deliveries_to(topology, LOG_GROUP.key, logical)]
        streams = log_group_arn(topology, context, logical) + ":*"
        statement = service_statement(_sid(logical), DELIVERY_SERVICES[0], ACTIONS, streams, rule_arns)
        statements.append({**statement, "Principal": {"Service": sorted(DELIVERY_SERVICES)}})
    return policy(statements)


def _targeted_groups(topology: Topology) -> set[str]:
    return {target.ref for rule in topology.rules.values() for target in rule.targets if target.kind == LOG_GROUP.key}


def _sid(logical: str) -> str:
    """Statement ids are alphanumeric: ``issue-logs.v2`` → ``EventBridgeToIssueLogsV2``."""
    return "EventBridgeTo" + "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", logical))


def _check_size(name: str, document: dict[str, Any]) -> None:
    size = len(compact_json(document))
    if size > MAX_LOG_RESOURCE_POLICY_CHARS:
        raise LogResourcePolicyTooLarge(
            f"the CloudWatch Logs resource policy {name!r} would be {size} characters; "
            f"AWS allows at most {MAX_LOG_RESOURCE_POLICY_CHARS}",
            hint="send fewer rules to log groups (several rules can share one log group), or route them through one rule",
        )


HANDLER = LogResourcePolicyHandler()
