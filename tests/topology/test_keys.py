"""`keys` and `encryption: <key>` in the model: defaults, and the old `sqs`/`kms`/`none` forms unchanged."""

from __future__ import annotations

from cabructl.topology import load_topology
from cabructl.topology.key_checks import key_behind, kms_key, rules_under_key
from support import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "topologies" / "good" / "encrypted-with-keys" / "topology.yaml"
PREFIX = "fixture-keys-test-"


def test_a_key_defaults_to_an_alias_under_the_prefix_and_rotation_on() -> None:
    topology = load_topology(str(FIXTURE))
    events, messages = topology.keys["events"], topology.keys["messages"]
    assert (events.alias, events.alias_name, events.rotation, events.consumers) == (f"{PREFIX}events", f"alias/{PREFIX}events", True, ())
    assert messages.alias == f"{PREFIX}agent-messages"  # `{prefix}` replaced
    assert messages.consumers == ("arn:aws:iam::{account}:role/inbox-reader",)  # filled where the topology is applied


def test_encryption_naming_a_key_is_sse_kms_with_that_key() -> None:
    topology = load_topology(str(FIXTURE))
    inbox, plain = topology.queues["inbox"], topology.queues["plain"]
    assert (inbox.encryption, inbox.kms_key, inbox.key) == ("kms", None, "messages")
    assert (plain.encryption, plain.key) == ("sqs", None)
    assert topology.topics["alerts"].key == "messages" and topology.bus.key == "events" and topology.bus.archive.key == "events"
    assert kms_key(topology, "queues", "inbox") == f"alias/{PREFIX}agent-messages"
    assert [rule.logical for rule in rules_under_key(topology, "messages")] == ["pings"]  # not `quiet`: its DLQ is unencrypted
    assert rules_under_key(topology, "events") == []  # the bus and archive, not rules


def test_a_kms_key_written_as_a_declared_alias_is_that_key() -> None:
    seed = ROOT / "tests" / "fixtures" / "topologies" / "undeliverable" / "queue-under-a-key-by-its-alias" / "topology.yaml"
    topology = load_topology(str(seed))
    assert topology.queues["sealed"].key is None and key_behind(topology, "queues", "sealed") == "messages"
    assert key_behind(topology, "queues", "failed") is None
