"""events.target as one entry of its rule's ``Targets``: the PutTargets entry cabructl sends, as it is.

Retry policy (always in full, so no age of 0), dead-letter queue, role, input settings and the
kind's parameters (SqsParameters, KinesisParameters, HttpParameters) are the handler's own
:func:`target_entry`, and read back through the handler's :func:`live_attributes`.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Resource
from cabructl.resources.cloudformation.base import CfnMapping, Read
from cabructl.resources.events_rule import KIND as RULE_KIND
from cabructl.resources.events_target import KIND, live_attributes, target_address, target_entry


class TargetMapping(CfnMapping):
    kind = KIND
    prefix = "Target"
    folds_into = RULE_KIND

    def fold(self, resource: Resource, parent: dict[str, Any]) -> None:
        parent.setdefault("Targets", []).append(target_entry(resource))

    def unfold(self, parent_address: str, parent: Mapping[str, Any]) -> list[Read]:
        rule_logical = parent_address[len(RULE_KIND) + 1:]
        return [Read(target_address(rule_logical, entry["Id"]), self.kind, entry["Id"], live_attributes(entry))
                for entry in parent.get("Targets", [])]


MAPPING = TargetMapping()
