"""kms.key as AWS::KMS::Key with its AWS::KMS::Alias: resources name the key by its alias ARN, as cabructl does.

A key holds data in effect (what it encrypted), so the stack retains it like every resource
cabructl guards against data loss; should it be deleted after all, its deletion waits the
shortest window KMS allows (7 days), as cabructl's own delete schedules it.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, tags, tags_back
from cabructl.resources.documents import normalize_policy
from cabructl.resources.kms_key import ALIAS_PREFIX, DELETION_WINDOW_DAYS
from cabructl.resources.targets.api_destination import OFFLINE_ID

ALIAS = "Alias"


class KeyMapping(CfnMapping):
    kind = "kms.key"
    prefix = "Key"
    suffixes = (MAIN, ALIAS)

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        key = {"Description": attributes["description"], "EnableKeyRotation": bool(attributes["rotation"]),
               "KeyPolicy": attributes["policy"], "PendingWindowInDays": DELETION_WINDOW_DAYS, "Tags": tags(attributes)}
        alias = {"AliasName": ALIAS_PREFIX + resource.name, "TargetKeyId": {"Ref": ids[MAIN]}}
        return [Piece(MAIN, "AWS::KMS::Key", key), Piece(ALIAS, "AWS::KMS::Alias", alias)]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        arn = f"arn:${{AWS::Partition}}:kms:${{AWS::Region}}:${{AWS::AccountId}}:${{{ids[ALIAS]}}}"
        return {"arn": arn}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        key = pieces[MAIN]
        attributes = {"description": key.get("Description", ""), "rotation": bool(key.get("EnableKeyRotation", False)),
                      "policy": normalize_policy(key.get("KeyPolicy")), "tags": tags_back(key)}
        return Read(address, self.kind, str(pieces[ALIAS]["AliasName"]).removeprefix(ALIAS_PREFIX), attributes)

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if suffix == ALIAS and attribute is None:
            return properties["AliasName"]
        if suffix == MAIN and attribute is None:
            return OFFLINE_ID
        if suffix == MAIN and attribute == "Arn":
            return context.arn("kms", f"key/{OFFLINE_ID}")
        return super().resolve(suffix, properties, attribute, context)


MAPPING = KeyMapping()
