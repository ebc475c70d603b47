"""An API destination as a rule's target (``api_destination: <logical name in api_destinations>``).

The API destination is owned (``events.api_destination``); EventBridge invokes it with a
role (``events:InvokeApiDestination``). AWS completes its ARN with an id of its own
(``api-destination/<name>/<uuid>``): a plan compares the ARN without it, the role's grant
names ``<name>/*``, and PutTargets is given the full ARN, asked of AWS when it is written.
"""

from __future__ import annotations

from typing import Any

from cabructl.resources.arns import arn_parts
from cabructl.resources.base import Context
from cabructl.resources.targets.base import TargetKind
from cabructl.topology.model import Topology

API_DESTINATION_RESOURCE = "api-destination/"
OFFLINE_ID = "00000000-0000-0000-0000-000000000000"  # stands for the id AWS gives, in offline proofs


def api_destination_arn(topology: Topology, context: Context, logical: str) -> str:
    """The ARN without AWS's id: what a plan can know before the API destination exists."""
    return context.arn("events", f"{API_DESTINATION_RESOURCE}{topology.api_destinations[logical].name}")


def without_id(arn: str) -> str:
    """``…:api-destination/NAME/UUID`` → ``…:api-destination/NAME``; other ARNs unchanged."""
    parts = arn_parts(arn)
    if parts is None or not parts.resource.startswith(API_DESTINATION_RESOURCE):
        return arn
    name = parts.resource.removeprefix(API_DESTINATION_RESOURCE).split("/", 1)[0]
    return arn.rsplit(":", 1)[0] + f":{API_DESTINATION_RESOURCE}{name}"


def any_id(arn: str) -> str:
    """The role's grant: the API destination of that name, whatever id AWS gave it."""
    return f"{without_id(arn)}/*"


def full_arn(aws: Any, arn: str) -> str:
    """The ARN with AWS's id, as DescribeApiDestination reports it (PutTargets needs it whole)."""
    name = without_id(arn).rsplit("/", 1)[-1]
    return str(aws.client("events").describe_api_destination(Name=name)["ApiDestinationArn"])


API_DESTINATION = TargetKind(
    key="api_destination",
    resource_kind="events.api_destination",
    label="API destination",
    arn=api_destination_arn,
    delivery=None,
    service="events",
    resource_type=API_DESTINATION_RESOURCE,
    role_action="events:InvokeApiDestination",
    role_resource=any_id,
    canonical_arn=without_id,
    offline_arn=lambda arn: f"{without_id(arn)}/{OFFLINE_ID}",
    resolve_arn=full_arn,
)
