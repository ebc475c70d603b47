"""PRIN001 and ARN001: least privilege over every policy document the engine derives.

A topology cannot seed these defects: every principal, action and resource of a derived
document comes from cabructl's code, and the schema refuses an ARN of the wrong type for a
target kind. So each defect is seeded by breaking one derivation (as the targets-role tests
of DLV002 do), and the checks must find it at the line of the declaration that causes it.
"""

from __future__ import annotations

from typing import Any

import pytest

from cabructl.policy.checks.principals_guarded import guarded
from cabructl.resources.base import Resource
from support import ROOT, line_of

REAL = ROOT / "topology.yaml"
EXAMPLE = ROOT / "examples" / "all-targets.yaml"
SNS_DEFAULT_STATEMENT = {"Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["SNS:Publish"],
                         "Condition": {"StringEquals": {"AWS:SourceOwner": "123456789012"}}}


GOOD = sorted((ROOT / "tests" / "fixtures" / "topologies" / "good").glob("*/topology.yaml"))


@pytest.mark.parametrize("topology", [REAL, EXAMPLE, *GOOD], ids=lambda path: str(path.relative_to(ROOT)))
@pytest.mark.parametrize("check_id", ["PRIN001", "ARN001"])
def test_the_real_topology_the_example_and_the_good_fixtures_pass(evaluate, pick, topology, check_id: str) -> None:
    assert pick(evaluate(topology), check_id) == []


# -- PRIN001 -----------------------------------------------------------------------------------
def test_snss_own_default_statement_is_a_wildcard_principal(evaluate, pick, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the topic policy held before: SNS's default, "*" narrowed only by a condition."""
    monkeypatch.setattr("cabructl.resources.sns_topic.owner_statement", lambda context, arn: {**SNS_DEFAULT_STATEMENT, "Resource": arn})
    [finding] = pick(evaluate(REAL), "PRIN001")
    assert finding.path == ("topics", "critical-alerts")
    assert finding.line == line_of(REAL, "  critical-alerts:")
    assert "statement '__default_statement_ID' of the policy of sns.topic.critical-alerts allows any principal" in finding.message


def test_a_trust_without_the_confused_deputy_guard_is_found_at_the_rules(evaluate, pick, monkeypatch: pytest.MonkeyPatch) -> None:
    unguarded = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                                         "Action": "sts:AssumeRole"}]}
    monkeypatch.setattr("cabructl.resources.iam_role.targets_role_trust", lambda topology, context: unguarded)
    [finding] = pick(evaluate(EXAMPLE), "PRIN001")
    assert finding.path == ("rules", "eventbridge-targets")
    assert finding.line == line_of(EXAMPLE, "rules:")
    assert "the trust of iam.role.eventbridge-targets allows events.amazonaws.com without aws:SourceArn" in finding.message


def test_a_queue_policy_whose_guard_holds_when_absent_is_not_guarded(evaluate, pick, monkeypatch: pytest.MonkeyPatch) -> None:
    from cabructl.resources import documents

    def if_exists(*args: Any) -> dict:
        statement = documents.service_statement(*args)
        return {**statement, "Condition": {"ArnEqualsIfExists": statement["Condition"]["ArnEquals"]}}

    monkeypatch.setattr("cabructl.resources.sqs_queue.service_statement", if_exists)
    findings = pick(evaluate(REAL), "PRIN001")
    assert {finding.path for finding in findings} == {("queues", logical) for logical in
                                                       ("eventbridge-dlq", "critical-events-dlq", "product-requests",
                                                        "cicd-changes", "test-investigation")}


@pytest.mark.parametrize("condition, holds", [
    pytest.param({"ArnEquals": {"aws:SourceArn": "arn:aws:events:sa-east-1:1:rule/b/r"}}, True, id="arn-equals"),
    pytest.param({"StringEquals": {"AWS:SourceAccount": "123456789012"}}, True, id="account-any-case"),
    pytest.param({"ArnLike": {"aws:sourcearn": "arn:aws:events:*:123456789012:rule/*"}}, True, id="arn-like"),
    pytest.param({"ForAnyValue:StringEquals": {"aws:SourceAccount": ["1", "2"]}}, True, id="for-any-value"),
    pytest.param({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:events:*:*:rule/*"}}, False, id="if-exists"),
    pytest.param({"ForAllValues:StringEquals": {"aws:SourceAccount": "1"}}, False, id="for-all-values-holds-when-absent"),
    pytest.param({"Null": {"aws:SourceArn": "false"}}, False, id="null-tests-presence-only"),
    pytest.param({"ArnLike": {"aws:SourceArn": "*"}}, False, id="wildcard-value"),
    pytest.param({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, False, id="another-key"),
    pytest.param(None, False, id="none"),
])
def test_what_counts_as_the_confused_deputy_guard(condition: Any, holds: bool) -> None:
    assert guarded(condition) is holds


def test_a_kind_that_lands_later_is_covered_by_the_walk(evaluate, pick, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk reads every handler's desired attributes: a key policy opening the key to anyone is
    found at its declaration under `keys`, though no check names the kind."""
    from cabructl.policy import derived

    class KeyHandler:
        kind = "kms.key"
        section = "keys"

        def desired(self, topology: Any, context: Any) -> list[Resource]:
            policy = {"Version": "2012-10-17", "Statement": [{"Sid": "Open", "Effect": "Allow", "Principal": "*",
                                                              "Action": "kms:Decrypt", "Resource": "*"}]}
            return [Resource("kms.key.alerts", "kms.key", "alerts", {"policy": policy}, identity={"arn": "arn:aws:kms:x"})]

    real = derived.handlers
    monkeypatch.setattr(derived, "handlers", lambda: (*real(), KeyHandler()))
    [finding] = pick(evaluate(REAL), "PRIN001")
    assert finding.path == ("keys", "alerts")
    assert "statement 'Open' of the policy of kms.key.alerts allows any principal" in finding.message


# -- ARN001 ------------------------------------------------------------------------------------
def test_get_discovered_schema_on_the_registry_is_found(evaluate, pick, monkeypatch: pytest.MonkeyPatch) -> None:
    """The defect class this check exists for, as cabructl derived it before: one statement
    granting GetDiscoveredSchema with the registry's read actions on the registry's ARNs."""
    from cabructl.resources.arns import registry_arn

    def as_before(topology: Any, context: Any) -> list[dict]:
        registry = registry_arn(topology, context)
        return [{"Sid": "ReadSchemas", "Effect": "Allow", "Resource": [registry, registry.replace(":registry/", ":schema/") + "/*"],
                 "Action": ["schemas:DescribeRegistry", "schemas:DescribeSchema", "schemas:GetDiscoveredSchema"]}]

    monkeypatch.setattr("cabructl.resources.iam_policy.schema_read_statements", as_before)
    findings = pick(evaluate(REAL), "ARN001")
    assert findings, "the seeded grant went unnoticed"
    assert all("grants schemas:GetDiscoveredSchema on arn:aws:schemas:sa-east-1:123456789012:registry/" in finding.message
               and "schemas:GetDiscoveredSchema supports no resource type" in finding.message for finding in findings)
    assert all(finding.hint == 'grant schemas:GetDiscoveredSchema in a statement of its own with Resource "*"' for finding in findings)
    publisher = [finding for finding in findings if finding.path == ("iam", "publisher_policy")]
    assert [finding.line for finding in publisher] == [line_of(REAL, "  publisher_policy:")]


@pytest.mark.parametrize("action, resource, says", [
    pytest.param("kinesis:PutRecord", "arn:aws:firehose:sa-east-1:123456789012:deliverystream/telemetry",
                 "kinesis:PutRecord applies only to arn:*:kinesis:*:*:stream/*", id="wrong-resource-type"),
    pytest.param("kinesis:PutRecordz", "arn:aws:kinesis:sa-east-1:123456789012:stream/agent-telemetry",
                 "grants kinesis:PutRecordz, which is no action of the IAM reference", id="unknown-action"),
])
def test_a_role_grant_that_never_applies_is_found(evaluate, pick, monkeypatch: pytest.MonkeyPatch, action: str, resource: str,
                                                  says: str) -> None:
    from cabructl.resources import delivery_grants

    derived = delivery_grants.targets_role_policy

    def seeded(topology: Any, context: Any) -> dict:
        document = derived(topology, context)
        extra = {"Sid": "Seeded", "Effect": "Allow", "Action": [action], "Resource": [resource]}
        return {**document, "Statement": [*document["Statement"], extra]}

    monkeypatch.setattr("cabructl.resources.iam_role.targets_role_policy", seeded)
    [finding] = pick(evaluate(EXAMPLE), "ARN001")
    assert finding.path == ("rules", "eventbridge-targets")
    assert says in finding.message and "statement 'Seeded' of the policy of iam.role.eventbridge-targets" in finding.message


def test_a_wildcard_action_passes_when_one_of_its_actions_fits(evaluate, pick, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cabructl.resources.sns_topic.owner_statement",
                        lambda context, arn: {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                              "Action": "sns:*", "Resource": arn})
    assert pick(evaluate(REAL), "ARN001") == []
