"""kms.key against moto: alias, rotation, the derived key policy, resources under the key, delete schedules deletion."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action
from cabructl.resources import events_bus, kms_key, sns_topic, sqs_queue
from cabructl.topology import Topology, load_topology
from support import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "topologies" / "good" / "encrypted-with-keys" / "topology.yaml"
KINDS = [kms_key.HANDLER, events_bus.HANDLER, sqs_queue.HANDLER, sns_topic.HANDLER]
ACCOUNT = "123456789012"  # moto's
PREFIX = "fixture-keys-test-"
MESSAGES = "kms.key.messages"


@pytest.fixture
def keyed() -> Topology:
    return load_topology(str(FIXTURE))


def key_of(aws: Aws, alias: str) -> dict[str, Any]:
    client = aws.client("kms")
    [found] = [a for a in client.list_aliases()["Aliases"] if a["AliasName"] == f"alias/{alias}"]
    return client.describe_key(KeyId=found["TargetKeyId"])["KeyMetadata"]


def alias_arn(alias: str) -> str:
    return f"arn:aws:kms:sa-east-1:{ACCOUNT}:alias/{alias}"


def test_keys_and_what_they_encrypt_are_created_and_the_next_plan_is_empty(aws: Aws, keyed: Topology, converge: Any) -> None:
    plan = converge(keyed, KINDS)
    created = [change.address for change in plan.changes if change.action is Action.CREATE]
    assert created.index(MESSAGES) < created.index("sqs.queue.inbox") and created.index("kms.key.events") < created.index("events.bus.bus")
    client = aws.client("kms")
    metadata = key_of(aws, f"{PREFIX}agent-messages")
    assert metadata["Description"] == "queued and published messages"
    assert client.get_key_rotation_status(KeyId=metadata["KeyId"])["KeyRotationEnabled"] is True
    tags = {tag["TagKey"]: tag["TagValue"] for tag in client.list_resource_tags(KeyId=metadata["KeyId"])["Tags"]}
    assert tags["data"] == "messages" and tags["cabructl:address"] == MESSAGES
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{PREFIX}inbox")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"]["KmsMasterKeyId"] == alias_arn(f"{PREFIX}agent-messages")
    topic = f"arn:aws:sns:sa-east-1:{ACCOUNT}:{PREFIX}alerts"
    assert aws.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"] == alias_arn(f"{PREFIX}agent-messages")
    assert aws.client("events").describe_event_bus(Name=keyed.bus.name)["KmsKeyIdentifier"] == alias_arn(f"{PREFIX}events")


def test_the_key_policy_lets_eventbridge_in_for_exactly_the_rules_under_the_key(aws: Aws, keyed: Topology, converge: Any) -> None:
    import json

    converge(keyed, KINDS)
    metadata = key_of(aws, f"{PREFIX}agent-messages")
    document = json.loads(aws.client("kms").get_key_policy(KeyId=metadata["KeyId"], PolicyName="default")["Policy"])
    statements = {statement["Sid"]: statement for statement in document["Statement"]}
    assert statements["AccountRootAdministers"]["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]}
    eventbridge = statements["AllowEventBridgeRules"]
    assert eventbridge["Principal"] == {"Service": ["events.amazonaws.com"]}
    assert eventbridge["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    rule = f"arn:aws:events:sa-east-1:{ACCOUNT}:rule/{keyed.bus.name}/{PREFIX}pings"
    assert eventbridge["Condition"] == {"ArnEquals": {"aws:SourceArn": [rule]}}  # not `quiet`, which delivers to a log group
    assert statements["AllowConsumersDecrypt"] == {"Sid": "AllowConsumersDecrypt", "Effect": "Allow", "Action": ["kms:Decrypt"],
                                                   "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:role/inbox-reader"]}, "Resource": ["*"]}
    events = key_of(aws, f"{PREFIX}events")
    bus_key = json.loads(aws.client("kms").get_key_policy(KeyId=events["KeyId"], PolicyName="default")["Policy"])
    [sources] = [s["Condition"]["ArnEquals"]["aws:SourceArn"] for s in bus_key["Statement"] if s["Sid"] == "AllowEventBridgeRules"]
    assert sources == [f"arn:aws:events:sa-east-1:{ACCOUNT}:archive/{PREFIX}archive", f"arn:aws:events:sa-east-1:{ACCOUNT}:event-bus/{keyed.bus.name}"]


def test_rotation_description_and_policy_change_in_place(aws: Aws, keyed: Topology, converge: Any) -> None:
    converge(keyed, KINDS)
    messages = keyed.keys["messages"]
    edited = replace(keyed, keys={**keyed.keys, "messages": replace(messages, rotation=False, description="edited", consumers=())})
    aws.calls.reset()
    plan = converge(edited, KINDS)
    [change] = [change for change in plan.changes if change.address == MESSAGES]
    assert change.action is Action.UPDATE and change.changed_attributes == ("description", "policy", "rotation")
    assert sorted(aws.calls.write_calls()) == ["kms:DisableKeyRotation", "kms:PutKeyPolicy", "kms:UpdateKeyDescription"]


def test_a_key_no_longer_declared_is_scheduled_for_deletion_under_the_data_loss_guard(aws: Aws, keyed: Topology, converge: Any,
                                                                                      plan_for: Any) -> None:
    converge(keyed, KINDS)
    key_id = key_of(aws, f"{PREFIX}agent-messages")["KeyId"]
    plain = {logical: replace(queue, key=None, encryption="sqs") for logical, queue in keyed.queues.items()}
    without = replace(keyed, keys={"events": keyed.keys["events"]}, queues=plain,
                      topics={logical: replace(topic, key=None) for logical, topic in keyed.topics.items()})
    [delete] = [change for change in plan_for(without, KINDS).changes if change.address == MESSAGES]
    assert delete.action is Action.DELETE and "unreadable" in str(delete.data_loss) and "7 days" in str(delete.data_loss)
    converge(without, KINDS)
    client = aws.client("kms")
    assert client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert f"alias/{PREFIX}agent-messages" not in [alias["AliasName"] for alias in client.list_aliases()["Aliases"]]


def test_an_unowned_key_under_a_declared_alias_is_a_conflict(aws: Aws, keyed: Topology, plan_for: Any) -> None:
    client = aws.client("kms")
    key_id = client.create_key(Description="someone else's")["KeyMetadata"]["KeyId"]
    client.create_alias(AliasName=f"alias/{PREFIX}events", TargetKeyId=key_id)
    plan = plan_for(keyed, KINDS)
    assert "kms.key.events" in [conflict.address for conflict in plan.conflicts]
    assert "kms.key.events" not in [change.address for change in plan.changes]


def test_offline_the_key_is_named_by_its_alias_arn_and_resources_depend_on_it(keyed: Topology) -> None:
    from cabructl.resources.base import offline_context

    context = offline_context(keyed)
    [queue] = [r for r in sqs_queue.HANDLER.desired(keyed, context) if r.name == f"{PREFIX}inbox"]
    [key] = [r for r in kms_key.HANDLER.desired(keyed, context) if r.address == MESSAGES]
    assert queue.attributes["kms_key"] == key.identity["arn"] == alias_arn(f"{PREFIX}agent-messages")
    assert MESSAGES in queue.depends_on
    [plain] = [r for r in sqs_queue.HANDLER.desired(keyed, context) if r.name == f"{PREFIX}plain"]
    assert plain.attributes["encryption"] == "sqs" and plain.attributes["kms_key"] is None


def test_a_new_alias_replaces_the_key_under_the_data_loss_guard(aws: Aws, keyed: Topology, converge: Any) -> None:
    """A key's alias is its name: a new one is a new key (the old key's data is unreadable in 7 days), and what
    it encrypted moves to the new one. (The bus is left out: moto has no UpdateEventBus.)"""
    kinds = [kms_key.HANDLER, sqs_queue.HANDLER, sns_topic.HANDLER]
    converge(keyed, kinds)
    old = key_of(aws, f"{PREFIX}agent-messages")["KeyId"]
    renamed = replace(keyed, keys={**keyed.keys, "messages": replace(keyed.keys["messages"], alias=f"{PREFIX}messages-v2")})
    plan = converge(renamed, kinds)
    [change] = [change for change in plan.changes if change.address == MESSAGES]
    assert change.action is Action.REPLACE and change.data_loss
    assert aws.client("kms").describe_key(KeyId=old)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    url = aws.client("sqs").get_queue_url(QueueName=f"{PREFIX}inbox")["QueueUrl"]
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == alias_arn(f"{PREFIX}messages-v2")
