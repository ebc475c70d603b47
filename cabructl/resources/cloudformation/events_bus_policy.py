"""events.bus_policy as the bus's own ``Policy`` property: one document, as cabructl writes one.

CloudFormation sets the bus's whole policy, where cabructl merges its statements with anyone
else's (by Sid): in a stack, the stack owns the whole policy.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Resource
from cabructl.resources.cloudformation.base import CfnMapping, Read
from cabructl.resources.documents import normalize_policy
from cabructl.resources.events_bus_policy import ADDRESS, KIND


class BusPolicyMapping(CfnMapping):
    kind = KIND
    prefix = "BusPolicy"
    folds_into = "events.bus"

    def fold(self, resource: Resource, parent: dict[str, Any]) -> None:
        parent["Policy"] = resource.attributes["policy"]

    def unfold(self, parent_address: str, parent: Mapping[str, Any]) -> list[Read]:
        document = parent.get("Policy")
        if not document:
            return []
        return [Read(ADDRESS, self.kind, parent["Name"], {"policy": normalize_policy(document)})]


MAPPING = BusPolicyMapping()
