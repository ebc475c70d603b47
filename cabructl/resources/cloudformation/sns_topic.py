"""sns.topic as AWS::SNS::Topic, and its whole policy as an AWS::SNS::TopicPolicy beside it."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource, compact_json
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, present, tags, tags_back
from cabructl.resources.sns_topic import live_attributes

POLICY = "Policy"


class TopicMapping(CfnMapping):
    kind = "sns.topic"
    prefix = "Topic"
    suffixes = (MAIN, POLICY)

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        pieces = [Piece(MAIN, "AWS::SNS::Topic", present(
            TopicName=resource.name, DisplayName=attributes["display_name"] or None,
            KmsMasterKeyId=attributes.get("kms_key") or None, Tags=tags(attributes)))]
        if attributes.get("policy"):
            pieces.append(Piece(POLICY, "AWS::SNS::TopicPolicy",
                                {"Topics": [{"Ref": ids[MAIN]}], "PolicyDocument": attributes["policy"]}))
        return pieces

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}}}", "name": f"${{{ids[MAIN]}.TopicName}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        topic = pieces[MAIN]
        described = {key: topic[key] for key in ("DisplayName", "KmsMasterKeyId") if key in topic}
        if POLICY in pieces:
            described["Policy"] = compact_json(pieces[POLICY]["PolicyDocument"])
        return Read(address, self.kind, topic["TopicName"], live_attributes(described, tags_back(topic)))

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if suffix == MAIN and attribute in (None, "TopicArn"):
            return context.arn("sns", properties["TopicName"])
        if suffix == MAIN and attribute == "TopicName":
            return properties["TopicName"]
        return super().resolve(suffix, properties, attribute, context)


MAPPING = TopicMapping()
