"""logs.group: CloudWatch Logs groups that rules write events to.

The permission to write is not here: one shared resource policy covers every
log group a rule targets (``logs.resource_policy``), because AWS allows only ten
per account and region.

Names often live outside the name prefix (``/aws/events/<project>-<env>/agents``),
so discovery searches the prefix *and* the folder of each desired name: a group
the topology stopped naming is still found (and deleted) when it sat beside one
it names. A group elsewhere that the topology no longer names is found through
the tag index (its folder is searched too); without the index it cannot be found
without a state file, which is the price of statelessness.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from cabructl.aws import parallel_map
from cabructl.resources.arns import log_group_arn, plain_arn
from cabructl.resources.base import Context, Handler, Resource, address, in_view, is_owned_by, update_tags
from cabructl.resources.importing import TAGS, Field, Form, KindImporter
from cabructl.resources.tags import indexed_arns, recorded_address, tags_of
from cabructl.topology.model import LogGroup, Topology

KIND = "logs.group"


class LogGroupHandler(Handler):
    kind = KIND
    section = "log_groups"
    # Retention, KMS key and tags all change in place; the name is the identity.
    holds_data = True
    importer = KindImporter(
        lambda topology, logical: topology.log_groups.get(logical),
        {"retention_days": Field(("retention",), Form.DAYS), **TAGS},
        {"kms_key": "the topology language has no KMS key for log groups"},
    )

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        return [self._desired_group(topology, context, group) for group in topology.log_groups.values()]

    def _desired_group(self, topology: Topology, context: Context, group: LogGroup) -> Resource:
        attributes = {
            "retention_days": group.retention_days,  # None: never expire
            "kms_key": None,  # the topology language has no KMS key for log groups (yet): none is wanted
            "tags": topology.resource_tags(group.tags, address=address(KIND, group.logical)),
        }
        arn = log_group_arn(topology, context, group.logical)
        return Resource(address(KIND, group.logical), KIND, group.name, attributes, (), {"arn": arn})

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        groups: dict[str, dict[str, Any]] = {}
        owned = [arn.split(":log-group:", 1)[1] for arn in indexed_arns(aws, topology, context.arn("logs", "log-group:"))]
        for prefix in search_prefixes(topology.prefix, [resource.name for resource in desired] + owned):
            for group in aws.paginate("logs", "describe_log_groups", "logGroups", logGroupNamePrefix=prefix):
                groups[group["logGroupName"]] = group
        found = parallel_map(lambda group: self._read(aws, topology, group, desired), [groups[name] for name in sorted(groups)],
                             aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, group: Mapping[str, Any], desired: list[Resource]) -> Resource | None:
        """DescribeLogGroups already gave every attribute; only the tags cost a call."""
        name = group["logGroupName"]
        arn = group_arn(group)
        tags = tags_of(aws, topology, arn, lambda: aws.find(lambda: aws.client("logs").list_tags_for_resource(resourceArn=arn)["tags"]) or {}) or {}
        owned = is_owned_by(tags, topology)
        if not in_view(owned, name, topology, desired):
            return None  # not ours and not in our way: invisible to cabructl
        identity = {"arn": arn, "stored_bytes": int(group.get("storedBytes", 0))}
        return Resource(recorded_address(KIND, topology, name, tags, desired), KIND, name, live_attributes(group, tags), (), identity, owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        client = aws.client("logs")
        request: dict[str, Any] = {"logGroupName": resource.name}
        if resource.attributes["tags"]:
            request["tags"] = dict(resource.attributes["tags"])
        if resource.attributes["kms_key"]:
            request["kmsKeyId"] = resource.attributes["kms_key"]
        aws.settle(lambda: client.create_log_group(**request))
        if resource.attributes["retention_days"] is not None:
            self._set_retention(aws, resource.name, resource.attributes["retention_days"], just_created=True)

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        client = aws.client("logs")
        name = desired.name
        if "retention_days" in changed:
            self._set_retention(aws, name, desired.attributes["retention_days"])
        if "kms_key" in changed:
            kms_key = desired.attributes["kms_key"]
            if kms_key:
                aws.settle(lambda: client.associate_kms_key(logGroupName=name, kmsKeyId=kms_key))
            else:
                aws.settle(lambda: client.disassociate_kms_key(logGroupName=name))
        if "tags" in changed:
            arn = live.identity["arn"]
            update_tags(desired.attributes["tags"], live.attributes.get("tags", {}), lambda tags: client.tag_resource(resourceArn=arn, tags=tags),
                        lambda keys: client.untag_resource(resourceArn=arn, tagKeys=keys))

    def _set_retention(self, aws: Any, name: str, days: int | None, *, just_created: bool = False) -> None:
        """Never expiring is not a retention value but the absence of a retention policy."""
        client = aws.client("logs")
        if days is None:
            aws.delete(lambda: client.delete_retention_policy(logGroupName=name))
        else:
            aws.settle(lambda: client.put_retention_policy(logGroupName=name, retentionInDays=days), propagating=just_created)

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("logs").delete_log_group(logGroupName=live.name))

    def data_held(self, live: Resource) -> str | None:
        stored = live.identity.get("stored_bytes", 0)
        return f"{stored} bytes of log events" if stored else None


def search_prefixes(name_prefix: str, names: Iterable[str]) -> list[str]:
    """The fewest ``logGroupNamePrefix`` searches covering the name prefix and the folder
    of every desired name outside it (``/a/b/c`` → ``/a/b/``; a name with no folder
    stands for itself)."""
    wanted = {name_prefix}
    for name in names:
        if not name.startswith(name_prefix):
            folder = name[: name.rfind("/") + 1]
            wanted.add(folder if folder.strip("/") else name)
    kept: list[str] = []
    for prefix in sorted(wanted):  # a prefix sorts right after any prefix of itself
        if not kept or not prefix.startswith(kept[-1]):
            kept.append(prefix)
    return kept


def group_arn(group: Mapping[str, Any]) -> str:
    """The ARN tagging calls take: ``logGroupArn``, or ``arn`` without the trailing ``:*``
    (older responses and some emulators only return the latter)."""
    return group.get("logGroupArn") or plain_arn(str(group["arn"]))


def live_attributes(group: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """A DescribeLogGroups entry → the canonical form (no ``retentionInDays`` means never expire)."""
    return {
        "retention_days": group.get("retentionInDays"),
        "kms_key": group.get("kmsKeyId"),
        "tags": dict(tags),
    }


HANDLER = LogGroupHandler()
