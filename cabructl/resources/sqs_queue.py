"""sqs.queue: rule targets and dead-letter queues, with the policy that lets EventBridge send.

The queue policy is derived from the rules: every rule that targets the queue, or
uses it as a dead-letter queue, is named in ``aws:SourceArn`` (AWS-FACTS:
"SQS target and SQS DLQ"). Without it EventBridge cannot deliver.

A queue that other queues redrive to carries a RedriveAllowPolicy naming exactly them
(``redrive_allow``, :func:`redrive_allow`), so no other queue of the account can make it
its dead-letter queue. SQS accepts source ARNs of queues that do not exist yet, so the
dead-letter queue is written first (the sources depend on it).
"""

from __future__ import annotations

import json
from typing import Any

from cabructl.constants import EVENTS_SERVICE_PRINCIPAL
from cabructl.aws import parallel_map
from cabructl.resources.arns import deliveries_to, queue_arn, rule_arn
from cabructl.resources.base import Context, Handler, Resource, address, canonical_json, compact_json, in_view, is_owned_by, update_tags
from cabructl.resources.base import EPHEMERAL, ephemeral_from_tags
from cabructl.resources.importing import DERIVED_POLICY, TAGS, Field, Form, KindImporter
from cabructl.resources.kms_key import key_dependency, key_reference
from cabructl.resources.targets.queue import QUEUE
from cabructl.resources.tags import indexed_arns, recorded_address, tags_of
from cabructl.resources.documents import normalize_policy, policy, service_statement
from cabructl.topology.key_checks import AWS_MANAGED_KEYS
from cabructl.topology.model import Queue, Topology

KIND = "sqs.queue"
REDRIVE_ALLOW_ALL = "allowAll"  # SQS's default RedriveAllowPolicy: any queue of the account may redrive here
REDRIVE_BY_QUEUE = "byQueue"  # only the queues it names
REDRIVE_ALLOW_MAX_SOURCES = 10  # SQS's limit on sourceQueueArns

# Attribute name in the canonical form → SQS attribute name (integers in seconds).
_SECONDS = {
    "retention": "MessageRetentionPeriod",
    "visibility_timeout": "VisibilityTimeout",
    "receive_wait": "ReceiveMessageWaitTimeSeconds",
    "delay": "DelaySeconds",
}


class QueueHandler(Handler):
    kind = KIND
    section = "queues"
    replace_on = ("fifo",)  # a queue cannot change between standard and FIFO
    holds_data = True
    importer = KindImporter(
        lambda topology, logical: topology.queues.get(logical),
        {
            "retention": Field(("retention",), Form.SECONDS),
            "visibility_timeout": Field(("visibility_timeout",), Form.SECONDS),
            "receive_wait": Field(("receive_wait",), Form.SECONDS),
            "delay": Field(("delay",), Form.SECONDS),
            "encryption": Field(("encryption",)),
            "kms_key": Field(("kms_key",)),
            "redrive.max_receives": Field(("redrive", "max_receives")),
            **TAGS,
        },
        {"policy": DERIVED_POLICY, "fifo": "a queue's type is part of its identity (and its name)",
         "redrive": "the dead-letter queue is a reference; edit `redrive.dead_letter` by hand",
         "redrive_allow": "derived from the queues that redrive to it; `cabructl apply` restores it"},
    )

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        return [self._desired_queue(topology, context, queue) for queue in topology.queues.values()]

    def _desired_queue(self, topology: Topology, context: Context, queue: Queue) -> Resource:
        arn = queue_arn(topology, context, queue.logical)
        depends_on: tuple[str, ...] = ()
        redrive = None
        if queue.redrive_dead_letter:
            redrive = {"dead_letter_arn": queue_arn(topology, context, queue.redrive_dead_letter), "max_receives": queue.redrive_max_receives}
            depends_on = (address(KIND, queue.redrive_dead_letter),)
        depends_on += key_dependency(queue.key)
        attributes = {
            "fifo": queue.fifo,
            "retention": queue.retention,
            "visibility_timeout": queue.visibility_timeout,
            "receive_wait": queue.receive_wait,
            "delay": queue.delay,
            "encryption": queue.encryption,
            "kms_key": key_reference(topology, context, queue.key) or (queue.kms_key if queue.encryption == "kms" else None),
            "redrive": redrive,
            "redrive_allow": redrive_allow(topology, queue.logical),
            "policy": delivery_policy(topology, context, queue.logical, arn),
            "tags": topology.resource_tags(queue.tags, address=address(KIND, queue.logical)),
        }
        return Resource(address(KIND, queue.logical), KIND, queue.name, attributes, depends_on, {"arn": arn})

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """ListQueues for the prefix; by name, each declared queue outside it and each owned queue
        the tag index knows that the listing missed (renamed out of the prefix)."""
        urls = set(aws.paginate("sqs", "list_queues", "QueueUrls", QueueNamePrefix=topology.prefix))
        listed = {url.rsplit("/", 1)[1] for url in urls}
        indexed = [arn.rsplit(":", 1)[1] for arn in indexed_arns(aws, topology, context.arn("sqs", ""))]
        outside = {resource.name for resource in desired if not resource.name.startswith(topology.prefix)}
        for name in sorted((outside | set(indexed)) - listed):
            response = aws.find(lambda name=name: aws.client("sqs").get_queue_url(QueueName=name))
            if response:
                urls.add(response["QueueUrl"])
        found = parallel_map(lambda url: self._read(aws, topology, url, desired), sorted(urls), aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, url: str, wanted_resources: list[Resource]) -> Resource | None:
        client = aws.client("sqs")
        attributes = aws.find(lambda: client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])
        if attributes is None:
            return None
        tags = tags_of(aws, topology, attributes.get("QueueArn", ""),
                       lambda: aws.find(lambda: client.list_queue_tags(QueueUrl=url).get("Tags", {})) or {}) or {}
        name = url.rsplit("/", 1)[1]
        owned = is_owned_by(tags, topology)
        if not in_view(owned, name, topology, wanted_resources):
            return None  # not ours and not in our way: invisible to cabructl
        canonical = live_attributes(attributes, tags)
        identity = {"arn": attributes.get("QueueArn"), "url": url, "messages": _message_count(attributes)}
        if owned and ephemeral_from_tags(tags):  # a running (or dead) command's temporary queue: engine.ephemeral
            identity[EPHEMERAL] = ephemeral_from_tags(tags)
        return Resource(recorded_address(KIND, topology, name, tags, wanted_resources), KIND, name, canonical, (), identity, owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        attributes = resource.attributes
        request = {"QueueName": resource.name, "Attributes": sqs_attributes(attributes, include_fifo=True, arn=resource.identity.get("arn"))}
        if attributes["tags"]:
            request["tags"] = dict(attributes["tags"])
        aws.settle(lambda: aws.client("sqs").create_queue(**request), attempts=8)  # QueueDeletedRecently lasts 60 s

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        client = aws.client("sqs")
        url = live.identity["url"]
        changed_attributes = {key: desired.attributes[key] for key in changed if key != "tags"}
        if changed_attributes:
            sqs_changes = sqs_attributes({**desired.attributes, **changed_attributes}, include_fifo=False, only=tuple(changed_attributes),
                                         arn=live.identity.get("arn"))
            if "policy" in changed_attributes and desired.attributes["policy"] is None:
                sqs_changes["Policy"] = ""
            elif desired.attributes["policy"] is not None:
                # moto (the local endpoint) forgets a queue's policy on any SetQueueAttributes
                # that omits it; AWS keeps it. Resending the unchanged policy is harmless on AWS.
                sqs_changes["Policy"] = compact_json(desired.attributes["policy"])
            if sqs_changes:
                aws.settle(lambda: client.set_queue_attributes(QueueUrl=url, Attributes=sqs_changes))
        if "tags" in changed:
            update_tags(desired.attributes["tags"], live.attributes.get("tags", {}), lambda tags: client.tag_queue(QueueUrl=url, Tags=tags),
                        lambda keys: client.untag_queue(QueueUrl=url, TagKeys=keys))

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("sqs").delete_queue(QueueUrl=live.identity["url"]))

    def data_held(self, live: Resource) -> str | None:
        count = live.identity.get("messages", 0)
        return f"{count} message{'s' if count != 1 else ''}" if count else None


def delivery_policy(topology: Topology, context: Context, logical: str, arn: str) -> dict[str, Any] | None:
    """The queue policy that lets the rules targeting this queue (or using it as DLQ) send."""
    rule_arns = [rule_arn(topology, context, rule) for rule in deliveries_to(topology, QUEUE.key, logical)]
    if not rule_arns:
        return None
    return policy([service_statement("AllowEventBridgeRules", EVENTS_SERVICE_PRINCIPAL, ["sqs:SendMessage"], arn, rule_arns)])


def redrive_allow(topology: Topology, logical: str) -> dict[str, Any] | None:
    """The RedriveAllowPolicy of a dead-letter queue: only the declared queues that redrive to it may
    name it in their RedrivePolicy (None when none does: SQS's default, any queue of the account).

    Canonical form ``{"permission": "byQueue", "sources": [queue names]}``: names, not ARNs, because
    the engine reads every ARN an attribute holds as a dependency, and the sources depend on the
    dead-letter queue (they are written after it, deleted before it), not the other way round.
    SQS takes at most 10 source ARNs; beyond that the queue keeps the default rather than refuse the apply.
    """
    sources = sorted(queue.name for queue in topology.queues.values() if queue.redrive_dead_letter == logical and queue.logical != logical)
    if not sources or len(sources) > REDRIVE_ALLOW_MAX_SOURCES:
        return None
    return {"permission": REDRIVE_BY_QUEUE, "sources": sources}


def normalize_redrive_allow(raw: str | None, own_arn: str | None = None) -> dict[str, Any] | None:
    """A live RedriveAllowPolicy in the canonical form: sources of the queue's own account and region by
    name (others by ARN), sorted; SQS's default (``allowAll``, or none) is None."""
    value = canonical_json(raw) if raw else None
    if not isinstance(value, dict) or value.get("redrivePermission", REDRIVE_ALLOW_ALL) == REDRIVE_ALLOW_ALL:
        return None
    canonical: dict[str, Any] = {"permission": value["redrivePermission"]}
    if "sourceQueueArns" in value:
        local = own_arn.rsplit(":", 1)[0] + ":" if own_arn else None
        canonical["sources"] = sorted(arn.removeprefix(local) if local and arn.startswith(local) else arn
                                      for arn in value["sourceQueueArns"])
    return canonical


def _redrive_allow_policy(value: dict[str, Any] | None, own_arn: str | None) -> str:
    """The RedriveAllowPolicy SQS takes: source names back to ARNs beside the queue's own; clearing writes
    SQS's default (allowAll), which every endpoint accepts, rather than an empty value."""
    if not value:
        return compact_json({"redrivePermission": REDRIVE_ALLOW_ALL})
    local = own_arn.rsplit(":", 1)[0] + ":" if own_arn else ""
    document: dict[str, Any] = {"redrivePermission": value["permission"]}
    if "sources" in value:
        document["sourceQueueArns"] = [source if source.startswith("arn:") else local + source for source in value["sources"]]
    return compact_json(document)


def sqs_attributes(attributes: dict[str, Any] | Any, *, include_fifo: bool, only: tuple[str, ...] | None = None,
                   arn: str | None = None) -> dict[str, str]:
    """Canonical attributes → the string map SQS takes (``arn``, the queue's own, places its redrive sources)."""
    keys = set(only) if only is not None else set(attributes)
    result: dict[str, str] = {}
    for key, sqs_name in _SECONDS.items():
        if key in keys:
            result[sqs_name] = str(attributes[key])
    if include_fifo and attributes.get("fifo"):
        result["FifoQueue"] = "true"
    if keys & {"encryption", "kms_key"}:
        result.update(_encryption_attributes(attributes["encryption"], attributes.get("kms_key")))
        if only is not None and attributes["encryption"] != "kms":
            result["KmsMasterKeyId"] = ""  # leaving SSE-KMS (a key no longer declared): the key must be cleared too
    if "redrive" in keys and attributes.get("redrive"):
        redrive = attributes["redrive"]
        result["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": redrive["dead_letter_arn"], "maxReceiveCount": redrive["max_receives"]})
    elif "redrive" in keys and only is not None:
        result["RedrivePolicy"] = ""
    if "redrive_allow" in keys and (attributes.get("redrive_allow") or only is not None):
        result["RedriveAllowPolicy"] = _redrive_allow_policy(attributes.get("redrive_allow"), arn)
    if "policy" in keys and attributes.get("policy"):
        result["Policy"] = compact_json(attributes["policy"])
    return result


def _encryption_attributes(encryption: str, kms_key: str | None) -> dict[str, str]:
    if encryption == "kms":
        return {"KmsMasterKeyId": kms_key or AWS_MANAGED_KEYS["queues"], "SqsManagedSseEnabled": "false"}
    if encryption == "sqs":
        return {"SqsManagedSseEnabled": "true"}
    return {"SqsManagedSseEnabled": "false"}


def live_attributes(attributes: dict[str, str], tags: dict[str, str]) -> dict[str, Any]:
    """SQS's string map → the canonical form, defaults filled as AWS reports them."""
    redrive = None
    if attributes.get("RedrivePolicy"):
        raw = json.loads(attributes["RedrivePolicy"])
        redrive = {"dead_letter_arn": raw["deadLetterTargetArn"], "max_receives": int(raw["maxReceiveCount"])}
    if attributes.get("KmsMasterKeyId"):
        encryption, kms_key = "kms", attributes["KmsMasterKeyId"]
    elif attributes.get("SqsManagedSseEnabled", "false").lower() == "true":
        encryption, kms_key = "sqs", None
    else:
        encryption, kms_key = "none", None
    from cabructl.constants import SQS_RETENTION_DEFAULT, SQS_VISIBILITY_DEFAULT

    defaults = {"retention": SQS_RETENTION_DEFAULT, "visibility_timeout": SQS_VISIBILITY_DEFAULT, "receive_wait": 0, "delay": 0}
    canonical: dict[str, Any] = {"fifo": attributes.get("FifoQueue", "false").lower() == "true"}
    for key, sqs_name in _SECONDS.items():
        canonical[key] = int(attributes.get(sqs_name, defaults[key]))
    canonical.update({
        "encryption": encryption,
        "kms_key": kms_key,
        "redrive": redrive,
        "redrive_allow": normalize_redrive_allow(attributes.get("RedriveAllowPolicy"), attributes.get("QueueArn")),
        "policy": normalize_policy(attributes.get("Policy")),
        "tags": dict(tags),
    })
    return canonical


def _message_count(attributes: dict[str, str]) -> int:
    """Messages a delete would lose: visible, in flight and delayed."""
    names = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")
    return sum(int(attributes.get(name, 0)) for name in names)

HANDLER = QueueHandler()
