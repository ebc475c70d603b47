"""lambda.permission: the statement in a function's resource policy that lets one rule invoke it.

A function is referenced, never created: its resource policy is shared with whoever else
grants access to it. cabructl owns only the statements whose Sid marks them as this
topology's (``delivery_grants.owns_sid``); every other statement is invisible to it,
never touched and never reported. Lambda statements cannot be tagged, so the Sid is
the ownership.

Discovery reads the policy (``GetPolicy``, one call per function) of every function a
desired grant names and of every function a live target of the topology's owned rules
invokes, so a statement whose rule stopped targeting a function is still found, and
deleted. The targets come from the target handler's discovery, which a plan makes once
(``aws.memo``). A missing function, or one without a policy, holds nothing.

Lambda has no call that changes a statement: an update removes it and adds it again.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from cabructl.aws import parallel_map
from cabructl.constants import EVENTS_SERVICE_PRINCIPAL
from cabructl.resources import events_target
from cabructl.resources.arns import arn_parts, logical_from_name, rule_location
from cabructl.resources.base import Context, Handler, Resource, address
from cabructl.resources.delivery_grants import (
    INVOKE_FUNCTION, PERMISSION_KIND, function_grants, function_name, owns_sid, permission_statement,
)
from cabructl.resources.documents import normalize_policy, policy
from cabructl.topology.model import Topology

KIND = PERMISSION_KIND
_POLICY_MEMO = "lambda.policy"


class PermissionHandler(Handler):
    kind = KIND
    section = "rules"
    # importer stays None: the statement is derived whole from the rule and the function target.
    # The statement is the only attribute; an update is RemovePermission + AddPermission.

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        return [Resource(grant.address, KIND, grant.sid, {"statement": statement_document(permission_statement(grant))}, (),
                         {"function": grant.function_arn, "source_arn": grant.source_arn, "source_account": grant.source_account})
                for grant in function_grants(topology, context)]

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        functions = sorted({str(resource.identity["function"]) for resource in desired}
                           | set(targeted_functions(aws, topology, context)))
        per_function = parallel_map(lambda arn: self._read(aws, topology, arn, desired), functions, aws.settings.max_workers)
        return [resource for resources in per_function for resource in resources]

    def _read(self, aws: Any, topology: Topology, function_arn: str, desired: list[Resource]) -> list[Resource]:
        document = function_policy(aws, function_arn)
        statements = document.get("Statement", []) if isinstance(document, dict) else []
        if isinstance(statements, dict):
            statements = [statements]
        return [Resource(_live_address(topology, function_arn, statement, desired), KIND, statement["Sid"],
                         {"statement": statement_document(statement)}, (), {"function": function_arn})
                for statement in statements if owns_sid(topology, str(statement.get("Sid", "")))]

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        identity = resource.identity
        request = {"FunctionName": identity["function"], "StatementId": resource.name, "Action": INVOKE_FUNCTION,
                   "Principal": EVENTS_SERVICE_PRINCIPAL, "SourceArn": identity["source_arn"],
                   "SourceAccount": identity["source_account"]}
        aws.settle(lambda: aws.client("lambda").add_permission(**request))

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        self.delete(aws, live)
        self.create(aws, desired)

    def delete(self, aws: Any, live: Resource) -> None:
        """A function or statement already gone is success (ResourceNotFoundException)."""
        request = {"FunctionName": live.identity["function"], "StatementId": live.name}
        aws.delete(lambda: aws.settle(lambda: aws.client("lambda").remove_permission(**request)))


def statement_document(statement: Mapping[str, Any]) -> dict[str, Any] | None:
    """One statement as the policy document compared on both sides (and evaluated by ``policy check``)."""
    return normalize_policy(policy([dict(statement)]))


def function_policy(aws: Any, function_arn: str) -> Mapping[str, Any]:
    """The function's resource policy, parsed, read once per command; {} when there is none or no function."""
    def read() -> Mapping[str, Any]:
        found = aws.find(lambda: aws.client("lambda").get_policy(FunctionName=function_arn))
        return json.loads(found["Policy"]) if found and found.get("Policy") else {}

    return aws.memo((_POLICY_MEMO, function_arn), read)


def targeted_functions(aws: Any, topology: Topology, context: Context) -> list[str]:
    """Functions in this account that live targets of the owned rules invoke (the target handler's discovery)."""
    handler = events_target.HANDLER
    live = handler.discover(aws, topology, context, handler.desired(topology, context))
    return [arn for arn in (str(target.attributes.get("arn", "")) for target in live) if _is_local_function(arn, context)]


def _is_local_function(arn: str, context: Context) -> bool:
    parts = arn_parts(arn)
    return (parts is not None and parts.service == "lambda" and parts.resource.startswith("function:")
            and parts.account == context.account_id)


def _live_address(topology: Topology, function_arn: str, statement: Mapping[str, Any], desired: Iterable[Resource]) -> str:
    """The desired address of this Sid and function; else ``<rule>/<function>`` with the rule read from
    the statement's SourceArn (its name without the prefix), else from the Sid."""
    sid = str(statement["Sid"])
    for resource in desired:
        if resource.name == sid and resource.identity.get("function") == function_arn:
            return resource.address
    location = rule_location(_source_arn(statement) or "")
    rule = logical_from_name(topology, location[1]) if location else sid
    return address(KIND, f"{rule}/{function_name(function_arn)}")


def _source_arn(statement: Mapping[str, Any]) -> str | None:
    for conditions in (statement.get("Condition") or {}).values():
        for key, value in (conditions or {}).items():
            if key.lower() == "aws:sourcearn":
                return value[0] if isinstance(value, list) and value else value if isinstance(value, str) else None
    return None


HANDLER = PermissionHandler()
