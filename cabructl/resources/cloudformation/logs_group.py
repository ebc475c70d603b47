"""logs.group as AWS::Logs::LogGroup (no retention: never expire)."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, present, tags, tags_back
from cabructl.resources.logs_group import live_attributes


class LogGroupMapping(CfnMapping):
    kind = "logs.group"
    prefix = "LogGroup"

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        return [Piece(MAIN, "AWS::Logs::LogGroup", present(
            LogGroupName=resource.name, RetentionInDays=attributes["retention_days"], KmsKeyId=attributes.get("kms_key"),
            Tags=tags(attributes)))]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        """The ARN EventBridge targets take has no ``:*``, which ``Fn::GetAtt Arn`` ends in: it is built from the name."""
        name = f"${{{ids[MAIN]}}}"
        arn = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}"
        return {"arn": arn, "name": name}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        group = pieces[MAIN]
        described = {"retentionInDays": group.get("RetentionInDays"), "kmsKeyId": group.get("KmsKeyId")}
        return Read(address, self.kind, group["LogGroupName"], live_attributes(described, tags_back(group)))

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute is None:
            return properties["LogGroupName"]
        if attribute == "Arn":
            return context.arn("logs", f"log-group:{properties['LogGroupName']}:*")
        return super().resolve(suffix, properties, attribute, context)


MAPPING = LogGroupMapping()
