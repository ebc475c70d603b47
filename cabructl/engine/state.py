"""Desired state from the topology, live state from AWS: both keyed by address.

Discovery asks each kind's handler in parallel (a bounded pool; every thread has
its own boto3 session through :class:`cabructl.aws.Aws`). Nothing is read twice
for one command: the engine keeps the live state it discovered.
"""

from __future__ import annotations

from typing import Sequence

from cabructl.aws import Aws, describe_aws_error, is_botocore_error, parallel_map
from cabructl.resources import Context, Handler, Resource
from cabructl.topology.model import Topology


def desired_state(topology: Topology, context: Context, handlers: Sequence[Handler]) -> dict[str, Resource]:
    """Every resource the topology declares, by address."""
    state: dict[str, Resource] = {}
    for handler in handlers:
        for resource in handler.desired(topology, context):
            if resource.address in state:
                raise ValueError(f"two resources share the address {resource.address}")
            state[resource.address] = resource
    return state


def live_state(aws: Aws, topology: Topology, context: Context, handlers: Sequence[Handler],
               desired: dict[str, Resource], workers: int) -> dict[str, Resource]:
    """Live resources of every kind, discovered in parallel."""

    def discover(handler: Handler) -> list[Resource]:
        wanted = [resource for resource in desired.values() if resource.kind == handler.kind]
        try:
            return handler.discover(aws, topology, context, wanted)
        except Exception as error:
            if is_botocore_error(error):
                raise describe_aws_error(error, f"reading {handler.kind}") from error
            raise

    state: dict[str, Resource] = {}
    for resources in parallel_map(discover, handlers, workers):
        for resource in resources:
            state[resource.address] = resource
    return state


def context_for(aws: Aws, topology: Topology) -> Context:
    """The account/region/partition the topology is realised in (one STS call)."""
    try:
        account = aws.account_id
    except Exception as error:  # noqa: BLE001 - every failure here means "cannot reach AWS"
        raise describe_aws_error(error, "finding the AWS account (sts:GetCallerIdentity)") from error
    return Context(account_id=account, region=aws.region, partition=aws.partition)


def offline_context(topology: Topology) -> Context:
    """A context for offline reasoning (policy check): a placeholder account."""
    from cabructl.resources.base import OFFLINE_ACCOUNT

    return Context(account_id=OFFLINE_ACCOUNT, region=topology.region)
