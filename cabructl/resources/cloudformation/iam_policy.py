"""iam.policy as AWS::IAM::ManagedPolicy (which has no Tags property: the tags are left out)."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, present
from cabructl.resources.documents import normalize_policy


class ManagedPolicyMapping(CfnMapping):
    kind = "iam.policy"
    prefix = "Policy"
    left_out = {"tags": "AWS::IAM::ManagedPolicy takes no tags, so the ownership tags cabructl writes are not there"}

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        return [Piece(MAIN, "AWS::IAM::ManagedPolicy", present(
            ManagedPolicyName=resource.name, Description=attributes["description"] or None,
            PolicyDocument=attributes["document"]))]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        policy = pieces[MAIN]
        attributes = {"description": policy.get("Description", ""), "document": normalize_policy(policy["PolicyDocument"])}
        return Read(address, self.kind, policy["ManagedPolicyName"], attributes)

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute in (None, "PolicyArn"):
            return context.arn("iam", f"policy/{properties['ManagedPolicyName']}", regional=False)
        return super().resolve(suffix, properties, attribute, context)


MAPPING = ManagedPolicyMapping()
