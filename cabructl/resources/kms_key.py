"""kms.key: the customer-managed keys that encrypt queues, topics, the bus and its archive.

A key exists for EventBridge to be able to use it: an AWS-managed key's policy cannot be
changed, so a target under one never receives. The key policy is derived whole
(:func:`key_policy`): the account root administers the key (without it nobody could ever
change the policy again), EventBridge may ``kms:GenerateDataKey`` and ``kms:Decrypt`` only for
the rules that deliver to a resource under the key (and for the bus and archive it encrypts),
by ``aws:SourceArn``, and the declared consumers may ``kms:Decrypt``.

KMS specifics this handler encodes:

- A key has no name: its alias (``alias/<prefix><logical>``) is. Discovery is ``ListAliases``,
  keeping aliases under the prefix or declared, then per key ``DescribeKey`` (a key pending
  deletion is gone), tags (``ListResourceTags``, ``TagKey``/``TagValue``) for ownership, the
  rotation status and the ``default`` key policy.
- Resources name the key by its alias ARN (``arn:…:kms:<region>:<account>:alias/<alias>``),
  known before the key exists; it is the key's ``arn`` here, so the delete order sees that a
  queue under a key goes before the key.
- Delete removes the alias (so the name is free at once) and schedules the key's deletion with
  the shortest window AWS allows, 7 days. A key holds data in effect: whatever it encrypted
  (messages in queues, archived events) is unreadable once the deletion completes, so the
  plan's data-loss guard applies to every key; ``CancelKeyDeletion`` within the 7 days undoes it.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.constants import EVENTS_SERVICE_PRINCIPAL
from cabructl.aws import parallel_map
from cabructl.resources.arns import bus_arn, rule_arn
from cabructl.resources.base import Context, Handler, Resource, address, compact_json, in_view, is_owned_by, update_tags
from cabructl.resources.documents import normalize_policy, policy, service_statement
from cabructl.resources.importing import TAGS, Field, KindImporter
from cabructl.resources.tags import recorded_address, tags_of
from cabructl.topology.key_checks import rules_under_key
from cabructl.topology.model import Key, Topology

KIND = "kms.key"
DELETION_WINDOW_DAYS = 7  # the least ScheduleKeyDeletion accepts
EVENTBRIDGE = EVENTS_SERVICE_PRINCIPAL
EVENTBRIDGE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
ALIAS_PREFIX = "alias/"


class KeyHandler(Handler):
    kind = KIND
    section = "keys"
    holds_data = True  # what it encrypted is unreadable once it is deleted
    importer = KindImporter(
        lambda topology, logical: topology.keys.get(logical),
        {"description": Field(("description",)), "rotation": Field(("rotation",)), **TAGS},
        {"policy": "derived from the rules that deliver under the key and its `consumers`; `cabructl apply` restores it"},
    )

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        return [self._desired_key(topology, context, key) for key in topology.keys.values()]

    def _desired_key(self, topology: Topology, context: Context, key: Key) -> Resource:
        here = address(KIND, key.logical)
        attributes = {
            "description": key.description,
            "rotation": key.rotation,
            "policy": key_policy(topology, context, key),
            "tags": topology.resource_tags(key.tags, address=here),
        }
        return Resource(here, KIND, key.alias, attributes, (), {"arn": alias_arn(context, key.alias)})

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """One ListAliases; for each alias under the prefix or declared, the key behind it, in parallel."""
        wanted = {resource.name for resource in desired}
        aliases = [alias for alias in aws.paginate("kms", "list_aliases", "Aliases") if alias.get("TargetKeyId")
                   and (_alias(alias["AliasName"]).startswith(topology.prefix) or _alias(alias["AliasName"]) in wanted)]
        found = parallel_map(lambda alias: self._read(aws, topology, alias, desired), aliases, aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, alias: Mapping[str, Any], desired: list[Resource]) -> Resource | None:
        client = aws.client("kms")
        key_id = alias["TargetKeyId"]
        metadata = (aws.find(lambda: client.describe_key(KeyId=key_id)) or {}).get("KeyMetadata")
        if metadata is None or metadata.get("KeyState") in ("PendingDeletion", "PendingReplicaDeletion"):
            return None  # deleted already, as far as the topology is concerned
        tags = tags_of(aws, topology, metadata["Arn"], lambda: _read_tags(aws, key_id))
        if tags is None:
            return None
        name = _alias(alias["AliasName"])
        owned = is_owned_by(tags, topology)
        if not in_view(owned, name, topology, desired):
            return None
        rotation = aws.find(lambda: client.get_key_rotation_status(KeyId=key_id)) or {}
        document = aws.find(lambda: client.get_key_policy(KeyId=key_id, PolicyName="default")) or {}
        attributes = {
            "description": metadata.get("Description", ""),
            "rotation": bool(rotation.get("KeyRotationEnabled", False)),
            "policy": normalize_policy(document.get("Policy")),
            "tags": tags,
        }
        identity = {"arn": alias["AliasArn"], "key_id": metadata["KeyId"], "key_arn": metadata["Arn"]}
        return Resource(recorded_address(KIND, topology, name, tags, desired), KIND, name, attributes, (), identity, owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        client = aws.client("kms")
        attributes = resource.attributes
        request: dict[str, Any] = {"Description": attributes["description"],
                                   "Tags": [{"TagKey": key, "TagValue": value} for key, value in sorted(attributes["tags"].items())]}
        if attributes["policy"]:
            request["Policy"] = compact_json(attributes["policy"])
        key_id = aws.settle(lambda: client.create_key(**request), propagating=True)["KeyMetadata"]["KeyId"]
        aws.settle(lambda: client.create_alias(AliasName=ALIAS_PREFIX + resource.name, TargetKeyId=key_id))
        if attributes["rotation"]:
            aws.settle(lambda: client.enable_key_rotation(KeyId=key_id))

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        client = aws.client("kms")
        key_id = live.identity["key_id"]
        if "description" in changed:
            client.update_key_description(KeyId=key_id, Description=desired.attributes["description"])
        if "rotation" in changed:
            toggle = client.enable_key_rotation if desired.attributes["rotation"] else client.disable_key_rotation
            aws.settle(lambda: toggle(KeyId=key_id))
        if "policy" in changed and desired.attributes["policy"]:
            aws.settle(lambda: client.put_key_policy(KeyId=key_id, PolicyName="default", Policy=compact_json(desired.attributes["policy"])),
                       propagating=True)  # a consumer role made a moment ago may not be visible to KMS yet
        if "tags" in changed:
            update_tags(desired.attributes["tags"], live.attributes.get("tags", {}),
                        lambda tags: client.tag_resource(KeyId=key_id, Tags=[{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())]),
                        lambda keys: client.untag_resource(KeyId=key_id, TagKeys=keys))

    def delete(self, aws: Any, live: Resource) -> None:
        client = aws.client("kms")
        aws.delete(lambda: client.delete_alias(AliasName=ALIAS_PREFIX + live.name))
        aws.delete(lambda: client.schedule_key_deletion(KeyId=live.identity["key_id"], PendingWindowInDays=DELETION_WINDOW_DAYS))

    def data_held(self, live: Resource) -> str | None:
        return (f"the key to whatever it encrypted (queued messages, topic deliveries, archived events): unreadable once its "
                f"deletion completes in {DELETION_WINDOW_DAYS} days (CancelKeyDeletion undoes it until then)")


def alias_arn(context: Context, alias: str) -> str:
    """How queues, topics, the bus and the archive name a key: its alias ARN, known before the key exists."""
    return context.arn("kms", ALIAS_PREFIX + alias)


def key_reference(topology: Topology, context: Context, key: str | None) -> str | None:
    """The alias ARN of the declared key ``key`` (None: no key, or one the topology does not declare)."""
    declared = topology.keys.get(key or "")
    return None if declared is None else alias_arn(context, declared.alias)


def key_dependency(key: str | None) -> tuple[str, ...]:
    """The address a resource encrypted with ``key`` is written after."""
    return (address(KIND, key),) if key else ()


def key_policy(topology: Topology, context: Context, key: Key) -> dict[str, Any] | None:
    """The derived key policy: root administers; EventBridge uses the key for exactly the rules that
    deliver under it (and the bus and archive it encrypts); consumers decrypt."""
    root = f"arn:{context.partition}:iam::{context.account_id}:root"
    statements: list[dict[str, Any]] = [
        {"Sid": "AccountRootAdministers", "Effect": "Allow", "Principal": {"AWS": [root]}, "Action": ["kms:*"], "Resource": ["*"]},
    ]
    sources = _eventbridge_sources(topology, context, key.logical)
    if sources:
        statements.append(service_statement("AllowEventBridgeRules", EVENTBRIDGE, EVENTBRIDGE_ACTIONS, "*", sources))
    if key.consumers:
        consumers = sorted(_substitute(arn, context) for arn in key.consumers)
        statements.append({"Sid": "AllowConsumersDecrypt", "Effect": "Allow", "Principal": {"AWS": consumers},
                           "Action": ["kms:Decrypt"], "Resource": ["*"]})
    return policy(statements)


def _eventbridge_sources(topology: Topology, context: Context, key: str) -> list[str]:
    """The ARNs EventBridge uses the key for: rules delivering under it, and the bus or archive it encrypts."""
    from cabructl.resources.events_archive import archive_arn

    sources = [rule_arn(topology, context, rule) for rule in rules_under_key(topology, key)]
    if topology.bus.key == key:
        sources.append(bus_arn(topology, context))
    archive = topology.bus.archive
    if archive is not None and archive.key == key:
        sources.append(archive_arn(context, archive.name))
    return sources


def _substitute(arn: str, context: Context) -> str:
    from cabructl.resources.targets.referenced import substitute

    return substitute(arn, context)


def _alias(alias_name: str) -> str:
    return alias_name.removeprefix(ALIAS_PREFIX)


def _read_tags(aws: Any, key_id: str) -> dict[str, str] | None:
    """A key's tags as a map (KMS spells them ``TagKey``/``TagValue``, at most 50: one page); None when it is gone."""
    response = aws.find(lambda: aws.client("kms").list_resource_tags(KeyId=key_id, Limit=50))
    return None if response is None else {tag["TagKey"]: tag["TagValue"] for tag in response.get("Tags", [])}


HANDLER = KeyHandler()
