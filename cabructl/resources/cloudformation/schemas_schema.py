"""schemas.schema as AWS::EventSchemas::Schema (the content as the compact JSON cabructl sends)."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource, compact_json
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, present, tags, tags_back
from cabructl.resources.schemas_schema import live_attributes, schema_arn


class SchemaMapping(CfnMapping):
    kind = "schemas.schema"
    prefix = "Schema"

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        return [Piece(MAIN, "AWS::EventSchemas::Schema", present(
            RegistryName=resource.identity["registry"], SchemaName=resource.name, Type=attributes["type"],
            Content=compact_json(attributes["content"]), Description=attributes["description"] or None,
            Tags=tags(attributes)))]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}.SchemaArn}}", "name": f"${{{ids[MAIN]}.SchemaName}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        schema = pieces[MAIN]
        described = {"Content": schema["Content"], "Type": schema["Type"], "Description": schema.get("Description", ""),
                     "Tags": tags_back(schema)}
        return Read(address, self.kind, schema["SchemaName"], live_attributes(described))

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute in (None, "SchemaArn"):
            return schema_arn(context, properties["RegistryName"], properties["SchemaName"])
        if attribute == "SchemaName":
            return properties["SchemaName"]
        return super().resolve(suffix, properties, attribute, context)


MAPPING = SchemaMapping()
