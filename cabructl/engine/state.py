"""Desired state from the topology, live state from AWS: both keyed by address.

Discovery asks each kind's handler in parallel (a bounded pool; every thread has
its own boto3 session through :class:`cabructl.aws.Aws`). Nothing is read twice
for one command: the engine keeps the live state it discovered.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from cabructl.aws import Aws, describe_aws_error, is_botocore_error, parallel_map
from cabructl.constants import ADDRESS_CLAIM_SEPARATOR
from cabructl.engine.graph import live_dependencies
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

    found = [resource for resources in parallel_map(discover, handlers, workers) for resource in resources]
    state = settle_claims(found, desired, {handler.kind: handler for handler in handlers})
    dependencies = live_dependencies(state)  # what deletes wait for: the graph, reversed
    return {address: replace(resource, depends_on=dependencies[address]) for address, resource in state.items()}


def settle_claims(found: Sequence[Resource], desired: dict[str, Resource], by_kind: dict[str, Handler]) -> dict[str, Resource]:
    """Live resources by address, when two may claim one address.

    A rename applied halfway, or a resource copied by hand with its tags, leaves two
    live resources that recorded the same address. The one the declaration names
    (same name, same location) keeps the address; every other is shown at
    ``<address>~<AWS name>``, where no declaration claims it, so the plan deletes it
    (or reports it unmanaged) instead of silently hiding one of the two.
    """
    claims: dict[str, list[Resource]] = {}
    for resource in found:
        claims.setdefault(resource.address, []).append(resource)
    state: dict[str, Resource] = {}
    for claimed, claimants in claims.items():
        want = desired.get(claimed)
        ranked = sorted(claimants, key=lambda live: (not _is_declared(want, live, by_kind), not live.owned, live.name))
        state[claimed] = ranked[0]
        for other in ranked[1:]:
            moved = f"{claimed}{ADDRESS_CLAIM_SEPARATOR}{other.name}"
            while moved in state or moved in claims:
                moved += ADDRESS_CLAIM_SEPARATOR
            state[moved] = replace(other, address=moved)
    return state


def _is_declared(want: Resource | None, live: Resource, by_kind: dict[str, Handler]) -> bool:
    if want is None or want.name != live.name:
        return False
    located_by = by_kind[live.kind].located_by if live.kind in by_kind else ()
    return all(want.identity.get(field) == live.identity.get(field) for field in located_by)


def context_for(aws: Aws, topology: Topology) -> Context:
    """The account/region/partition the topology is realised in (one STS call)."""
    try:
        account = aws.account_id
    except Exception as error:  # noqa: BLE001 - every failure here means "cannot reach AWS"
        raise describe_aws_error(error, "finding the AWS account (sts:GetCallerIdentity)") from error
    return Context(account_id=account, region=aws.region, partition=aws.partition)
