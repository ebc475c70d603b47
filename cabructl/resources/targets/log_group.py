"""A CloudWatch Logs group as a rule's target (``log_group: <logical name in log_groups>``).

Delivery is allowed by the one Logs resource policy the topology shares across its log
groups (AWS allows ten per account and region), so a target waits for that policy; Logs
targets never send a role (AWS rejects RoleArn on them).
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Iterator, Mapping

from cabructl.constants import LOG_RESOURCE_POLICY_SUFFIX
from cabructl.resources.arns import arn_parts, log_group_arn, plain_arn
from cabructl.resources.base import Context, address
from cabructl.resources.targets.base import Clients, Delivery, Outgoing, TargetKind
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


def group_name(arn: str) -> str:
    parts = arn_parts(plain_arn(arn))
    return parts.resource.removeprefix("log-group:") if parts else arn


def delivery_stream_arn(outgoing: Outgoing) -> str:
    """EventBridge writes each event to a stream named after the event's id."""
    return f"{plain_arn(outgoing.arn)}:log-stream:{outgoing.event_id}"


def send(clients: Clients, outgoing: Outgoing) -> None:
    """What EventBridge does for a log-group target: a stream for the event, and the event in it."""
    logs, name = clients("logs", outgoing.arn), group_name(outgoing.arn)
    try:
        logs.create_log_stream(logGroupName=name, logStreamName=outgoing.event_id)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass  # a redrive of an event whose stream exists
    logs.put_log_events(logGroupName=name, logStreamName=outgoing.event_id,
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": outgoing.body}])


def live_policy(clients: Clients, arn: str) -> Mapping[str, Any] | None:
    """Every Logs resource policy of the account and region, as one document: any may allow delivery."""
    policies = clients("logs", arn).describe_resource_policies().get("resourcePolicies", [])
    statements = [statement for policy in policies
                  for statement in _statements(json.loads(policy.get("policyDocument") or "{}"))]
    return {"Statement": statements} if statements else None


def _statements(document: Mapping[str, Any]) -> list[Any]:
    found = document.get("Statement", [])
    return found if isinstance(found, list) else [found]


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
    service="logs",
    send=send,
    live_policy=live_policy,
    live_request_arn=delivery_stream_arn,
    billed_as="logs",
)
