"""sns.topic: topics rules publish to, with the policy that lets EventBridge publish.

The topic policy is derived from the rules: every rule that targets the topic is
named in ``aws:SourceArn`` (AWS-FACTS: "SNS target"). Without it EventBridge
cannot deliver.

Choice: cabructl owns the *whole* policy document. SNS has no "no policy" state:
a topic always has one, the default until set, so the document always keeps an
owner statement: the account may read, subscribe to, publish to and delete the
topic, as SNS's default allows (changing the policy itself is left to the account's
identity policies, which suffice within the account: constants.SNS_OWNER_ACTIONS).
SNS writes its default as Version 2008-10-17 with ``Principal: {"AWS": "*"}``
narrowed by ``AWS:SourceOwner``; cabructl writes Version 2012-10-17 and names the
account (``arn:aws:iam::ACCOUNT:root``) instead, because a wildcard principal is
what ``policy check`` (PRIN001) refuses, and the condition-less account principal
is the same grant said plainly. What AWS services did through ``SourceOwner`` is
granted explicitly: CloudWatch for the cost alarm that notifies the topic (scoped
by ``aws:SourceAccount``), and EventBridge for its rules (by ``aws:SourceArn``). A topic created by
cabructl gets this policy in CreateTopic; one created with SNS's default is
updated once. Removing the last rule restores the owner statement alone, and
anything added to the policy outside cabructl shows as drift.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.constants import EVENTS_SERVICE_PRINCIPAL, SNS_ALARM_STATEMENT_ID, SNS_OWNER_ACTIONS, SNS_OWNER_STATEMENT_ID
from cabructl.resources.arns import deliveries_to, rule_arn, tag_list, tag_map, topic_arn
from cabructl.resources.base import Context, Handler, Resource, address, compact_json, in_view, is_owned_by, update_tags
from cabructl.resources.importing import DERIVED_POLICY, TAGS, Field, KindImporter
from cabructl.resources.kms_key import key_dependency, key_reference
from cabructl.resources.targets.topic import TOPIC
from cabructl.resources.tags import tag_index, recorded_address, tags_of
from cabructl.resources.documents import POLICY_VERSION, normalize_policy, service_statement
from cabructl.topology.model import Topic, Topology

KIND = "sns.topic"

# Canonical attribute → SNS attribute name (SetTopicAttributes takes one per call).
_SNS_NAMES = {"display_name": "DisplayName", "kms_key": "KmsMasterKeyId", "policy": "Policy"}


class TopicHandler(Handler):
    kind = KIND
    section = "topics"
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
            "kms_key": key_reference(topology, context, topic.key) or topic.kms_key,
            "policy": topic_policy(topology, context, topic.logical, arn),
            "tags": topology.resource_tags(topic.tags, address=address(KIND, topic.logical)),
        }
        return Resource(address(KIND, topic.logical), KIND, topic.name, attributes, key_dependency(topic.key), {"arn": arn})

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
    """The whole topic policy: the owner statement, CloudWatch for the cost alarm that notifies
    the topic, and EventBridge for the rules that target it (scoped by ``aws:SourceArn``)."""
    statements = [owner_statement(context, arn)]
    alarm = topology.cost_alarm
    if alarm is not None and logical in alarm.actions:
        statements.append(alarm_statement(context, arn))
    rule_arns = [rule_arn(topology, context, rule) for rule in deliveries_to(topology, TOPIC.key, logical)]
    if rule_arns:
        statements.append(service_statement("AllowEventBridgeRules", EVENTS_SERVICE_PRINCIPAL, ["sns:Publish"], arn, rule_arns))
    return normalize_policy({"Version": POLICY_VERSION, "Statement": statements})


def owner_statement(context: Context, arn: str) -> dict[str, Any]:
    """The topic's own account may use the topic (SNS's default statement without its permissions
    management), named as the account rather than as ``"*"`` under an ``AWS:SourceOwner`` condition."""
    return {
        "Sid": SNS_OWNER_STATEMENT_ID,
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{context.partition}:iam::{context.account_id}:root"},
        "Action": list(SNS_OWNER_ACTIONS),
        "Resource": arn,
    }


def alarm_statement(context: Context, arn: str) -> dict[str, Any]:
    """CloudWatch may publish the cost alarm's notifications, for alarms of this account only.

    Scoped by ``aws:SourceAccount`` rather than by the alarm's ARN: the alarm already holds the
    topic's ARN in its actions, and a topic policy holding the alarm's ARN would make each depend
    on the other in the live graph (engine/graph.py), leaving no order to delete them in."""
    return {
        "Sid": SNS_ALARM_STATEMENT_ID,
        "Effect": "Allow",
        "Principal": {"Service": ["cloudwatch.amazonaws.com"]},
        "Action": ["sns:Publish"],
        "Resource": [arn],
        "Condition": {"StringEquals": {"aws:SourceAccount": [context.account_id]}},
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
