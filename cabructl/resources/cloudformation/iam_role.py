"""iam.role as AWS::IAM::Role: the targets role, its trust, and cabructl's one inline policy."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, tags, tags_back
from cabructl.resources.documents import normalize_policy
from cabructl.resources.iam_role import INLINE_POLICY


class RoleMapping(CfnMapping):
    kind = "iam.role"
    prefix = "Role"

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        properties = {"RoleName": resource.name, "Description": attributes["description"],
                      "AssumeRolePolicyDocument": attributes["trust"],
                      "Policies": [{"PolicyName": INLINE_POLICY, "PolicyDocument": attributes["policy"]}],
                      "Tags": tags(attributes)}
        return [Piece(MAIN, "AWS::IAM::Role", properties)]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}.Arn}}", "name": f"${{{ids[MAIN]}}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        role = pieces[MAIN]
        inline = next((item["PolicyDocument"] for item in role.get("Policies", []) if item["PolicyName"] == INLINE_POLICY), None)
        attributes = {"description": role.get("Description", ""), "trust": normalize_policy(role["AssumeRolePolicyDocument"]),
                      "policy": normalize_policy(inline), "tags": tags_back(role)}
        return Read(address, self.kind, role["RoleName"], attributes)

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute is None:
            return properties["RoleName"]
        if attribute == "Arn":
            return context.arn("iam", f"role/{properties['RoleName']}", regional=False)
        return super().resolve(suffix, properties, attribute, context)


MAPPING = RoleMapping()
