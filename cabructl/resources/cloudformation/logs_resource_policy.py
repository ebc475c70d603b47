"""logs.resource_policy as AWS::Logs::ResourcePolicy: the one document that lets EventBridge write to log groups."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read
from cabructl.resources.documents import normalize_policy


class LogResourcePolicyMapping(CfnMapping):
    kind = "logs.resource_policy"
    prefix = "LogResourcePolicy"

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        return [Piece(MAIN, "AWS::Logs::ResourcePolicy",
                      {"PolicyName": resource.name, "PolicyDocument": resource.attributes["document"]})]

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        policy = pieces[MAIN]
        return Read(address, self.kind, policy["PolicyName"], {"document": normalize_policy(policy["PolicyDocument"])})

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute is None:
            return properties["PolicyName"]
        return super().resolve(suffix, properties, attribute, context)


MAPPING = LogResourcePolicyMapping()
