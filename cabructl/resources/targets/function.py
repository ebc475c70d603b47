"""A Lambda function as a rule's target (``function: <ARN or name>``): referenced, never created.

EventBridge invokes a function in the rule's account through the function's resource
policy, not a role: cabructl owns one statement per rule and function in that policy
(``lambda.permission``), marked by its Sid, and never touches anyone else's.
"""

from __future__ import annotations

from typing import Any

from cabructl.resources.base import Context
from cabructl.resources.targets.base import Delivery, TargetKind
from cabructl.resources.targets.referenced import referenced_arn
from cabructl.topology.model import Topology

function_arn = referenced_arn("lambda", "function:")


def permission_logical(topology: Topology, context: Context, rule: Any, reference: str) -> str:
    """The statement that lets ``rule`` invoke the function: one per rule and function."""
    from cabructl.resources.delivery_grants import function_name

    return f"{rule.logical}/{function_name(function_arn(topology, context, reference))}"


FUNCTION = TargetKind(
    key="function",
    resource_kind=None,
    label="Lambda function",
    arn=function_arn,
    delivery=Delivery("cabructl.resources.lambda_permission", "lambda.permission", "statement", ("lambda:InvokeFunction",),
                      True, function_arn, permission_logical),
    service="lambda",
)
