"""dynamodb.table as AWS::DynamoDB::Table: the SDK's idempotency table (on demand, key ``id``, TTL)."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, present, tags, tags_back
from cabructl.resources.dynamodb_table import live_attributes, table_arn


class TableMapping(CfnMapping):
    kind = "dynamodb.table"
    prefix = "Table"

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        key = attributes["key"]
        definitions = [{"AttributeName": key["name"], "AttributeType": key["type"]}]
        schema = [{"AttributeName": key["name"], "KeyType": "HASH"}]
        ttl = {"AttributeName": attributes["ttl"], "Enabled": True} if attributes.get("ttl") else None
        return [Piece(MAIN, "AWS::DynamoDB::Table", present(
            TableName=resource.name, BillingMode=attributes["billing"], AttributeDefinitions=definitions, KeySchema=schema,
            TimeToLiveSpecification=ttl, Tags=tags(attributes)))]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}.Arn}}", "name": f"${{{ids[MAIN]}}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        table = pieces[MAIN]
        described = {"BillingModeSummary": {"BillingMode": table.get("BillingMode", "PROVISIONED")},
                     "AttributeDefinitions": table.get("AttributeDefinitions", []), "KeySchema": table.get("KeySchema", [])}
        ttl = table.get("TimeToLiveSpecification") or {}
        status = {"TimeToLiveStatus": "ENABLED" if ttl.get("Enabled") else "DISABLED", "AttributeName": ttl.get("AttributeName")}
        return Read(address, self.kind, table["TableName"], live_attributes(described, status, tags_back(table)))

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute is None:
            return properties["TableName"]
        if attribute == "Arn":
            return table_arn(context, properties["TableName"])
        return super().resolve(suffix, properties, attribute, context)


MAPPING = TableMapping()
