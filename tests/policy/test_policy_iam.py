"""The offline IAM reading behind DLV002: allowed only when provably allowed."""

from __future__ import annotations

import pytest

from cabructl.policy.iam import Request, allows

RULE = "arn:aws:events:sa-east-1:000000000000:rule/bus/r"
QUEUE = "arn:aws:sqs:sa-east-1:000000000000:q"
REQUEST = Request("events.amazonaws.com", "sqs:SendMessage", QUEUE, {"aws:sourcearn": RULE})


def statement(**overrides: object) -> dict:
    base = {"Effect": "Allow", "Principal": {"Service": ["events.amazonaws.com"]}, "Action": ["sqs:SendMessage"],
            "Resource": [QUEUE], "Condition": {"ArnEquals": {"aws:SourceArn": [RULE]}}}
    return {**base, **overrides}


@pytest.mark.parametrize("statements, allowed", [
    pytest.param([statement()], True, id="exact"),
    pytest.param([statement(Action="SQS:*", Resource="arn:aws:sqs:*:*:*")], True, id="wildcards-any-case"),
    pytest.param([statement(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:events:*:*:rule/bus/*"}})], True, id="arn-like"),
    pytest.param([statement(Condition={"ArnEquals": {"aws:SourceArn": "arn:aws:events:sa-east-1:000000000000:rule/bus/other"}})], False, id="other-rule"),
    pytest.param([statement(Principal={"Service": "sns.amazonaws.com"})], False, id="other-service"),
    pytest.param([statement(Action="sqs:ReceiveMessage")], False, id="other-action"),
    pytest.param([statement(Condition={"StringEquals": {"AWS:SourceOwner": "000000000000"}})], False, id="unknown-key"),
    pytest.param([statement(Condition={"NumericLessThan": {"aws:SourceArn": "1"}})], False, id="unknown-operator"),
    pytest.param([statement(), statement(Effect="Deny", Condition={})], False, id="deny-wins"),
    pytest.param([], False, id="empty"),
])
def test_allows(statements: list, allowed: bool) -> None:
    assert allows({"Version": "2012-10-17", "Statement": statements}, REQUEST) is allowed


def test_no_document_allows_nothing() -> None:
    assert allows(None, REQUEST) is False


def test_a_role_trusts_eventbridge_only_as_its_trust_policy_says() -> None:
    from cabructl.policy.iam import trusts

    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceAccount": "000000000000"}}}]}
    assert trusts(trust, "events.amazonaws.com", {"aws:sourceaccount": "000000000000"})
    assert not trusts(trust, "events.amazonaws.com", {"aws:sourceaccount": "111122223333"})
    assert not trusts(trust, "lambda.amazonaws.com", {"aws:sourceaccount": "000000000000"})
    denied = {"Statement": trust["Statement"] + [{"Effect": "Deny", "Principal": "*", "Action": "sts:*"}]}
    assert not trusts(denied, "events.amazonaws.com", {"aws:sourceaccount": "000000000000"})


def test_a_roles_own_policies_allow_without_a_principal_and_a_deny_in_any_wins() -> None:
    from cabructl.policy.iam import identity_allows

    allow = {"Statement": [{"Effect": "Allow", "Action": "sqs:Send*", "Resource": QUEUE}]}
    deny = {"Statement": {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}}
    assert identity_allows([allow], REQUEST)
    assert not identity_allows([allow, deny], REQUEST)
    assert not identity_allows([{"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE + "-other"}]}], REQUEST)
