"""A CloudWatch Logs group as a rule's target (``log_group: <logical name in log_groups>``).

Delivery is allowed by the one Logs resource policy the topology shares across its log
groups (AWS allows ten per account and region), so a target waits for that policy; Logs
targets never send a role (AWS rejects RoleArn on them).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from cabructl.constants import LOG_RESOURCE_POLICY_SUFFIX
from cabructl.resources.arns import log_group_arn
from cabructl.resources.base import Context, address
from cabructl.resources.targets.base import Delivery, TargetKind
from cabructl.topology.model import Topology


def stream_arn(topology: Topology, context: Context, logical: str) -> str:
    """Logs actions act on a stream of the group: the ARN a delivery presents."""
    return log_group_arn(topology, context, logical) + ":log-stream:eventbridge"


def watch(aws: Any, topology: Topology, context: Context, logical: str) -> Callable[[], Iterator[str]]:
    """Read the group's events (without consuming them)."""
    name = topology.log_groups[logical].name

    def read() -> Iterator[str]:
        response = aws.client("logs").filter_log_events(logGroupName=name)
        yield from (event["message"] for event in response.get("events", []))

    return read


LOG_GROUP = TargetKind(
    key="log_group",
    resource_kind="logs.group",
    label="log group",
    arn=log_group_arn,
    delivery=Delivery("cabructl.resources.logs_resource_policy", "logs.resource_policy", "document",
                      ("logs:CreateLogStream", "logs:PutLogEvents"), False, stream_arn),
    sends_role=False,
    waits_for=(address("logs.resource_policy", LOG_RESOURCE_POLICY_SUFFIX),),
    watch=watch,
)
