"""SIZE001 (events fit in 256 KB), QUOTA001 (EventBridge quotas) and user constraints (USR001)."""

from __future__ import annotations

from pathlib import Path

from support import edit_topology, line_of


def test_size001_event_over_256_kb(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "      file: schemas/CodeChangeEvent.yaml\n",
                  "      file: schemas/CodeChangeEvent.yaml\n      typical_size_bytes: 300000\n")
    [finding] = pick(evaluate(topology_copy), "SIZE001")
    assert finding.severity == "error" and finding.line == line_of(topology_copy, "typical_size_bytes: 300000")
    assert finding.message == "CodeChangeEvent events are 300,000 bytes (declared); PutEvents takes at most 262,144"


def test_size001_estimated_from_the_schema(evaluate, pick, topology_copy: Path) -> None:
    schema = topology_copy.parent / "schemas" / "FeatureRequestEvent.yaml"
    edit_topology(schema, "        description: {type: string}\n", "        description: {type: string, maxLength: 300000}\n")
    [finding] = pick(evaluate(topology_copy), "SIZE001")
    assert finding.line == line_of(topology_copy, "  FeatureRequestEvent:")
    assert "(estimated)" in finding.message


def test_quota001_rules_per_bus_in_the_region(evaluate, pick, topology_copy: Path, policies_copy: Path) -> None:
    edit_topology(policies_copy / "policy.yaml", "{af-south-1: 100, eu-south-1: 100}", "{sa-east-1: 5}")
    [finding] = pick(evaluate(topology_copy), "QUOTA001")
    assert finding.line == line_of(topology_copy, "rules:")
    assert finding.message == "6 rules on one bus; sa-east-1 allows 5"


def test_quota001_targets_per_rule(evaluate, pick, topology_copy: Path, policies_copy: Path) -> None:
    edit_topology(policies_copy / "policy.yaml", "    rules_per_bus_by_region:", "    targets_per_rule: 0\n    rules_per_bus_by_region:")
    findings = pick(evaluate(topology_copy), "QUOTA001")
    assert len(findings) == 6
    assert "rule critical-issues has 1 target; a rule takes at most 0" in {finding.message for finding in findings}


def test_usr001_unencrypted_queue(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "  cicd-changes:\n    retention: 4d\n    visibility_timeout: 5m\n    receive_wait: 20s\n    encryption: sqs\n",
                  "  cicd-changes:\n    retention: 4d\n    visibility_timeout: 5m\n    receive_wait: 20s\n    encryption: none\n")
    [finding] = pick(evaluate(topology_copy), "USR001")
    assert finding.severity == "error" and finding.line == line_of(topology_copy, "encryption: none")
    assert finding.message.startswith("queues must be encrypted at rest (encryption sqs or kms)")
    assert finding.path == ("queues", "cicd-changes", "encryption")


def test_user_constraint_written_by_the_project(evaluate, pick, topology_copy: Path, policies_copy: Path) -> None:
    """A team adds its own rule in YAML: every rule has a description."""
    policy = policies_copy / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8") + """\
  - id: TEAM-DESCRIBED
    severity: warning
    message: every rule says what it is for
    schema:
      properties:
        rules:
          additionalProperties: {required: [description]}
""", encoding="utf-8")
    edit_topology(topology_copy, "    description: Failed and errored test runs go to investigation\n", "")
    [finding] = pick(evaluate(topology_copy), "TEAM-DESCRIBED")
    assert finding.severity == "warning" and finding.line == line_of(topology_copy, "  failed-tests:")
    assert "every rule says what it is for ('description' is a required property)" == finding.message
