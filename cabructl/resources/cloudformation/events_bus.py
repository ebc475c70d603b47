"""events.bus as AWS::Events::EventBus (its resource policy, events.bus_policy, folds into ``Policy``)."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, present, tags, tags_back


class BusMapping(CfnMapping):
    kind = "events.bus"
    prefix = "Bus"

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        return [Piece(MAIN, "AWS::Events::EventBus", present(
            Name=resource.name, Description=attributes["description"] or None,
            KmsKeyIdentifier=attributes.get("kms_key"), Tags=tags(attributes)))]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}.Arn}}", "name": f"${{{ids[MAIN]}.Name}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        bus = pieces[MAIN]
        attributes = {"description": bus.get("Description", ""), "kms_key": bus.get("KmsKeyIdentifier"), "tags": tags_back(bus)}
        return Read(address, self.kind, bus["Name"], attributes)

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute is None or attribute == "Name":
            return properties["Name"]
        if attribute == "Arn":
            return context.arn("events", f"event-bus/{properties['Name']}")
        return super().resolve(suffix, properties, attribute, context)


MAPPING = BusMapping()
