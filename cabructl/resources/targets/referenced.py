"""Targets that live outside the topology, named by ARN: how the ARN is read.

A function, state machine, stream or another bus is referenced, never created: the
topology names it by ARN, with ``{region}``, ``{account}`` and ``{partition}`` filled from
where the topology is being realised (the account from STS at plan time, the offline
account in ``policy check``), or by a bare name in the topology's own account and region.
"""

from __future__ import annotations

from cabructl.resources.base import Context
from cabructl.resources.targets.base import ArnOf
from cabructl.topology.model import Topology


def substitute(reference: str, context: Context) -> str:
    """``arn:aws:lambda:{region}:{account}:function:f`` → the ARN in the context's region and account."""
    return (reference.replace("{region}", context.region).replace("{account}", context.account_id)
            .replace("{partition}", context.partition))


def referenced_arn(service: str, resource_prefix: str) -> ArnOf:
    """The ARN builder of a referenced kind: an ARN as written (placeholders filled), or a bare
    name as ``arn:…:<service>:<region>:<account>:<resource_prefix><name>``."""

    def arn(topology: Topology, context: Context, reference: str) -> str:
        if reference.startswith("arn:"):
            return substitute(reference, context)
        return context.arn(service, f"{resource_prefix}{reference}")

    return arn
