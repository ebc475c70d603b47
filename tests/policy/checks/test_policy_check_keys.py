"""DLV003: the derived key policy of every key in `keys` lets EventBridge use it for the rules that deliver under it.

A topology cannot seed a wrong key policy (it is derived from the same rules), except by naming a
declared key's alias in `kms_key` (tests/fixtures/topologies/undeliverable); the rest is seeded by
breaking the derivation, as the targets role's cases are.
"""

from __future__ import annotations

from typing import Any

import pytest

from support import ROOT, line_of

FIXTURE = ROOT / "tests" / "fixtures" / "topologies" / "good" / "encrypted-with-keys" / "topology.yaml"


def test_the_derived_key_policies_let_eventbridge_use_every_key(evaluate, pick) -> None:
    assert pick(evaluate(FIXTURE), "DLV003") == []


def test_a_key_policy_without_eventbridge_fails_every_delivery_under_it_and_the_bus(evaluate, pick, monkeypatch: pytest.MonkeyPatch) -> None:
    from cabructl.resources import kms_key

    derived = kms_key.key_policy

    def without_eventbridge(topology: Any, context: Any, key: Any) -> dict:
        document = derived(topology, context, key)
        return {**document, "Statement": [s for s in document["Statement"] if s["Sid"] != "AllowEventBridgeRules"]}

    monkeypatch.setattr("cabructl.policy.checks.targets_key_usable.key_policy", without_eventbridge)
    findings = pick(evaluate(FIXTURE), "DLV003")
    assert sorted((finding.path[-1], finding.line) for finding in findings) == sorted([
        ("queue", line_of(FIXTURE, "queue: inbox")), ("topic", line_of(FIXTURE, "topic: alerts")),
        ("dead_letter", line_of(FIXTURE, "dead_letter: failed")), ("dead_letter", line_of(FIXTURE, "dead_letter: failed", occurrence=2)),
        ("encryption", line_of(FIXTURE, "encryption: events")),
    ])
    messages = {finding.message for finding in findings}
    assert ("the key policy of key messages does not let rule pings kms:Decrypt and kms:GenerateDataKey: "
            "EventBridge cannot deliver to target to-queue") in messages
    assert ("the key policy of key messages does not let rule pings kms:Decrypt and kms:GenerateDataKey: "
            "failed deliveries of target to-topic are lost") in messages
    assert ("the key policy of key events does not let the bus kms:Decrypt and kms:GenerateDataKey: "
            "EventBridge cannot accept events") in messages


def test_one_missing_action_is_named_alone(evaluate, pick, monkeypatch: pytest.MonkeyPatch) -> None:
    from cabructl.resources import kms_key

    derived = kms_key.key_policy

    def decrypt_only(topology: Any, context: Any, key: Any) -> dict:
        document = derived(topology, context, key)
        return {**document, "Statement": [{**s, "Action": ["kms:Decrypt"]} if s["Sid"] == "AllowEventBridgeRules" else s
                                          for s in document["Statement"]]}

    monkeypatch.setattr("cabructl.policy.checks.targets_key_usable.key_policy", decrypt_only)
    findings = pick(evaluate(FIXTURE), "DLV003")
    assert findings and all(" kms:GenerateDataKey: " in finding.message and "kms:Decrypt" not in finding.message for finding in findings)
