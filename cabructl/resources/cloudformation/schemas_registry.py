"""schemas.registry as AWS::EventSchemas::Registry."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, present, tags, tags_back


class RegistryMapping(CfnMapping):
    kind = "schemas.registry"
    prefix = "Registry"

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        return [Piece(MAIN, "AWS::EventSchemas::Registry", present(
            RegistryName=resource.name, Description=attributes["description"] or None, Tags=tags(attributes)))]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}.RegistryArn}}", "name": f"${{{ids[MAIN]}.RegistryName}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        registry = pieces[MAIN]
        attributes = {"description": registry.get("Description", ""), "tags": tags_back(registry)}
        return Read(address, self.kind, registry["RegistryName"], attributes)

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute in (None, "RegistryArn"):
            return context.arn("schemas", f"registry/{properties['RegistryName']}")
        if attribute == "RegistryName":
            return properties["RegistryName"]
        return super().resolve(suffix, properties, attribute, context)


MAPPING = RegistryMapping()
