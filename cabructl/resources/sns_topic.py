"""sns.topic: topics rules publish to, with the policy that lets EventBridge publish.

The topic policy is derived from the rules: every rule that targets the topic is
named in ``aws:SourceArn`` (AWS-FACTS: "SNS target"). Without it EventBridge
cannot deliver.

Choice: cabructl owns the *whole* policy document, and that document keeps the
account owner's statement exactly as SNS writes it on a new topic (same Version,
Id and Sid). SNS has no "no policy" state: a topic always has one, the default
until set. Keeping the owner statement means a topic no rule targets equals a
fresh topic (no write, no perpetual diff), removing the last rule restores the
default instead of leaving an EventBridge-only policy, and the account keeps the
access it had. Anything else added to the policy outside cabructl shows as drift.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.constants import SNS_DEFAULT_POLICY_ID, SNS_DEFAULT_POLICY_VERSION, SNS_DEFAULT_STATEMENT_ID, SNS_OWNER_ACTIONS
from cabructl.resources.arns import deliveries_to, rule_arn, tag_list, tag_map, topic_arn
from cabructl.resources.base import Context, Handler, Resource, address, compact_json, in_view, is_owned_by, update_tags
from cabructl.resources.importing import DERIVED_POLICY, TAGS, Field, KindImporter
from cabructl.resources.targets.topic import TOPIC
from cabructl.resources.tags import tag_index, recorded_address, tags_of
from cabructl.resources.documents import normalize_policy, service_statement
from cabructl.topology.model import Topic, Topology

KIND = "sns.topic"

# Canonical attribute → SNS attribute name (SetTopicAttributes takes one per call).
_SNS_NAMES = {"display_name": "DisplayName", "kms_key": "KmsMasterKeyId", "policy": "Policy"}


class TopicHandler(Handler):
    kind = KIND
    # Every attribute the topology sets changes in place; the name is the identity.
    importer = KindImporter(
        lambda topology, logical: topology.topics.get(logical),
        {"display_name": Field(("display_name",)), "kms_key": Field(("kms_key",)), **TAGS},
        {"policy": DERIVED_POLICY},
    )

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        return [self._desired_topic(topology, context, topic) for topic in topology.topics.values()]

    def _desired_topic(self, topology: Topology, context: Context, topic: Topic) -> Resource:
        arn = topic_arn(topology, context, topic.logical)
        attributes = {
            "display_name": topic.display_name,
            "kms_key": topic.kms_key,
            "policy": topic_policy(topology, context, topic.logical, arn),
            "tags": topology.resource_tags(topic.tags, address=address(KIND, topic.logical)),
        }
        return Resource(address(KIND, topic.logical), KIND, topic.name, attributes, (), {"arn": arn})

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """ListTopics has no name filter: list all (paginated), keep names the topology could own
        and topics the tag index says it owns."""
        wanted = {resource.name for resource in desired}
        owned = tag_index(aws, topology)
        arns = [topic["TopicArn"] for topic in aws.paginate("sns", "list_topics", "Topics")]
        candidates = [arn for arn in arns if _name(arn).startswith(topology.prefix) or _name(arn) in wanted or arn in owned]
        found = parallel_map(lambda arn: self._read(aws, topology, arn, desired), sorted(candidates), aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, arn: str, desired: list[Resource]) -> Resource | None:
        client = aws.client("sns")
        attributes = aws.find(lambda: client.get_topic_attributes(TopicArn=arn)["Attributes"])
        if attributes is None:
            return None  # deleted between the list and the read
        tags = tags_of(aws, topology, arn, lambda: tag_map(aws.find(lambda: client.list_tags_for_resource(ResourceArn=arn)["Tags"]) or []))
        tags = tags or {}
        name = _name(arn)
        owned = is_owned_by(tags, topology)
        if not in_view(owned, name, topology, desired):
            return None  # not ours and not in our way: invisible to cabructl
        return Resource(recorded_address(KIND, topology, name, tags, desired), KIND, name, live_attributes(attributes, tags), (),
                        {"arn": arn}, owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        request: dict[str, Any] = {"Name": resource.name, "Attributes": sns_attributes(resource.attributes, tuple(_SNS_NAMES))}
        if resource.attributes["tags"]:
            request["Tags"] = tag_list(resource.attributes["tags"])
        aws.settle(lambda: aws.client("sns").create_topic(**request))

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        client = aws.client("sns")
        arn = live.identity["arn"]
        for name, value in sns_attributes(desired.attributes, changed, for_update=True).items():
            aws.settle(lambda name=name, value=value: client.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value))
        if "tags" in changed:
            update_tags(desired.attributes["tags"], live.attributes.get("tags", {}),
                        lambda tags: client.tag_resource(ResourceArn=arn, Tags=tag_list(tags)),
                        lambda keys: client.untag_resource(ResourceArn=arn, TagKeys=keys))

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("sns").delete_topic(TopicArn=live.identity["arn"]))


def topic_policy(topology: Topology, context: Context, logical: str, arn: str) -> dict[str, Any] | None:
    """The whole topic policy: the owner's default statement, plus EventBridge for the rules
    that target the topic (scoped by ``aws:SourceArn``)."""
    statements = [owner_statement(context, arn)]
    rule_arns = [rule_arn(topology, context, rule) for rule in deliveries_to(topology, TOPIC.key, logical)]
    if rule_arns:
        statements.append(service_statement("AllowEventBridgeRules", "events.amazonaws.com", ["sns:Publish"], arn, rule_arns))
    return normalize_policy({"Version": SNS_DEFAULT_POLICY_VERSION, "Id": SNS_DEFAULT_POLICY_ID, "Statement": statements})


def owner_statement(context: Context, arn: str) -> dict[str, Any]:
    """SNS's default statement: the topic's own account may manage and publish."""
    return {
        "Sid": SNS_DEFAULT_STATEMENT_ID,
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": list(SNS_OWNER_ACTIONS),
        "Resource": arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": context.account_id}},
    }


def sns_attributes(attributes: Mapping[str, Any], keys: tuple[str, ...], *, for_update: bool = False) -> dict[str, str]:
    """Canonical attributes → SNS's string attributes, for ``keys`` only.

    On create, unset values are left out (SNS's defaults); on update they are sent
    as "" because that is how SNS clears a display name or turns encryption off.
    """
    result: dict[str, str] = {}
    for key in keys:
        if key not in _SNS_NAMES:
            continue
        value = attributes[key]
        if key == "policy" and value is not None:
            result[_SNS_NAMES[key]] = compact_json(value)
        elif value:
            result[_SNS_NAMES[key]] = value
        elif for_update:
            result[_SNS_NAMES[key]] = ""
    return result


def live_attributes(attributes: Mapping[str, str], tags: Mapping[str, str]) -> dict[str, Any]:
    """SNS's attribute map → the canonical form (absent display name is "", no key is None)."""
    return {
        "display_name": attributes.get("DisplayName", ""),
        "kms_key": attributes.get("KmsMasterKeyId") or None,
        "policy": normalize_policy(attributes.get("Policy")),
        "tags": dict(tags),
    }


def _name(arn: str) -> str:
    return arn.rsplit(":", 1)[1]


HANDLER = TopicHandler()
