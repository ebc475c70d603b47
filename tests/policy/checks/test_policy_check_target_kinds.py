"""DLV002 for every target kind (and DLV003 for a key): each seeded undeliverable target is one finding, at its line, in its words.

The seeds are small topologies in ``tests/fixtures/topologies/undeliverable``: each has one
rule with one target that EventBridge could not deliver to, for a reason that kind has.
Kinds delivered through the targets role cannot be seeded from a topology (the role is
derived from the targets themselves), so those are seeded by breaking the derivation.
A queue or topic under an AWS-managed key is no seed here: ``validate`` refuses it
(tests/fixtures/topologies/bad/target-under-aws-managed-key), and a declared key's policy is DLV003's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support import ROOT, line_of

SEEDS = ROOT / "tests" / "fixtures" / "topologies" / "undeliverable"
NAMES = sorted(path.name for path in SEEDS.iterdir() if path.is_dir())
EXPECTED = {
    "function-in-another-account": "its owner must allow lambda:InvokeFunction for the rule, and the target needs `role_arn`",
    "state-machine-in-another-account": "EventBridge delivers to a Step Functions state machine only in the rule's account",
    "queue-under-a-key-by-its-alias": "the key policy of key messages does not let rule pings kms:Decrypt and kms:GenerateDataKey: "
                                      "EventBridge cannot deliver to target target — write `encryption: messages` instead of `kms_key`",
}
CHECK_OF = {"queue-under-a-key-by-its-alias": "DLV003"}  # the others are DLV002's


def test_every_seed_says_what_it_should() -> None:
    assert sorted(EXPECTED) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_a_seeded_undeliverable_target_is_one_finding_at_its_destination(evaluate, pick, name: str) -> None:
    topology = SEEDS / name / "topology.yaml"
    report = evaluate(topology)
    [finding] = pick(report, CHECK_OF.get(name, "DLV002"))
    assert name not in CHECK_OF or pick(report, "DLV002") == []  # the queue policy itself is fine
    kind_key = finding.path[-1]
    assert finding.path[:4] == ("rules", "pings", "targets", 0)
    assert finding.line == line_of(topology, f"{kind_key}:")
    assert EXPECTED[name] in f"{finding.message} — {finding.hint}"


def test_a_foreign_function_with_its_own_role_is_left_to_its_owner(evaluate, pick, tmp_path: Path) -> None:
    """With `role_arn`, delivery rests on that role and the other account's policy: nothing offline can read either."""
    text = (SEEDS / "function-in-another-account" / "topology.yaml").read_text(encoding="utf-8")
    seeded = tmp_path / "topology.yaml"
    seeded.write_text(text.replace("function:triage\"\n", "function:triage\"\n        role_arn: arn:aws:iam::123456789012:role/invoker\n"),
                      encoding="utf-8")
    assert pick(evaluate(seeded), "DLV002") == []


def test_the_example_of_every_kind_delivers(evaluate, pick) -> None:
    assert pick(evaluate(ROOT / "examples" / "all-targets.yaml"), "DLV002") == []


ROLE_KINDS = {"incident": "states:StartExecution", "telemetry": "kinesis:PutRecord", "hook": "events:InvokeApiDestination",
              "peer": "events:PutEvents"}


@pytest.mark.parametrize("target_id", sorted(ROLE_KINDS))
def test_a_targets_role_without_the_action_fails_that_target_only(evaluate, pick, monkeypatch: pytest.MonkeyPatch,
                                                                 target_id: str) -> None:
    """Were the engine to derive the role without one kind's statement, only that kind's target could not receive."""
    from cabructl.resources import delivery_grants

    derived = delivery_grants.targets_role_policy
    action = ROLE_KINDS[target_id]

    def without_action(topology: object, context: object) -> dict:
        document = derived(topology, context)  # type: ignore[arg-type]
        return {**document, "Statement": [s for s in document["Statement"] if s["Action"] != [action]]}

    monkeypatch.setattr("cabructl.resources.iam_role.targets_role_policy", without_action)
    example = ROOT / "examples" / "all-targets.yaml"
    [finding] = pick(evaluate(example), "DLV002")
    assert f"the targets role does not allow {action} on " in finding.message
    assert finding.message.endswith(f"EventBridge cannot deliver to target {target_id}")


def test_a_targets_role_that_does_not_trust_the_rule_fails_its_role_targets(evaluate, pick, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cabructl.resources.iam_role.targets_role_trust", lambda topology, context: {"Statement": []})
    findings = pick(evaluate(ROOT / "examples" / "all-targets.yaml"), "DLV002")
    assert sorted(finding.message.rsplit(" ", 1)[-1] for finding in findings) == sorted(ROLE_KINDS)
    assert all("the targets role does not let EventBridge assume it for rule" in finding.message for finding in findings)
