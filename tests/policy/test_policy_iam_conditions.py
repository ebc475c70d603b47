"""The condition operators the offline evaluator reads, and the ones it refuses to guess."""

from __future__ import annotations

from typing import Any

import pytest

from cabructl.policy.iam import Request, allows, conditions_hold

RULE = "arn:aws:events:sa-east-1:000000000000:rule/bus/r"
CONTEXT = {"aws:sourcearn": RULE, "aws:sourceaccount": "000000000000", "aws:tagkeys": ["team", "cost"], "aws:securetransport": "true"}


@pytest.mark.parametrize("conditions, holds", [
    pytest.param({"StringEquals": {"aws:SourceAccount": "000000000000"}}, True, id="string-equals"),
    pytest.param({"StringEquals": {"AWS:SOURCEACCOUNT": "000000000000"}}, True, id="keys-any-case"),
    pytest.param({"stringequals": {"aws:SourceAccount": "000000000000"}}, True, id="operators-any-case"),
    pytest.param({"StringEquals": {"aws:SourceAccount": "111122223333"}}, False, id="string-equals-other"),
    pytest.param({"StringEqualsIgnoreCase": {"aws:SourceArn": RULE.upper()}}, True, id="ignore-case"),
    pytest.param({"StringLike": {"aws:SourceAccount": "0000*"}}, True, id="string-like"),
    pytest.param({"StringLike": {"aws:SourceAccount": "00000000000?"}}, True, id="string-like-one-char"),
    pytest.param({"StringLike": {"aws:SourceAccount": "[0]*"}}, False, id="brackets-are-literal"),
    pytest.param({"ArnEquals": {"aws:SourceArn": RULE}}, True, id="arn-equals"),
    pytest.param({"ArnLike": {"aws:SourceArn": "arn:aws:events:*:000000000000:rule/bus/*"}}, True, id="arn-like"),
    pytest.param({"ArnLike": {"aws:SourceArn": "arn:aws:events:*:111122223333:rule/*"}}, False, id="arn-like-other"),
    pytest.param({"Bool": {"aws:SecureTransport": "True"}}, True, id="bool"),
    pytest.param({"Null": {"aws:PrincipalOrgID": "true"}}, True, id="null-absent"),
    pytest.param({"Null": {"aws:SourceArn": "true"}}, False, id="null-present"),
    pytest.param({"ArnEqualsIfExists": {"aws:PrincipalArn": "arn:aws:iam::1:role/r"}}, True, id="if-exists-absent"),
    pytest.param({"ArnEqualsIfExists": {"aws:SourceArn": "arn:aws:events:x"}}, False, id="if-exists-present-and-wrong"),
    pytest.param({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/r"}}, False, id="absent-key"),
    pytest.param({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost", "owner"]}}, True, id="for-all-values"),
    pytest.param({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, False, id="for-all-values-one-missing"),
    pytest.param({"ForAllValues:StringEquals": {"aws:RequestTag/x": "y"}}, True, id="for-all-values-absent-holds"),
    pytest.param({"ForAnyValue:StringEquals": {"aws:TagKeys": ["cost"]}}, True, id="for-any-value"),
    pytest.param({"ForAnyValue:StringLike": {"aws:TagKeys": ["o*"]}}, False, id="for-any-value-none"),
    pytest.param({"ForAnyValue:StringEquals": {"aws:RequestTag/x": "y"}}, False, id="for-any-value-absent-fails"),
    pytest.param({"StringEquals": {"aws:SourceAccount": "000000000000"}, "ArnLike": {"aws:SourceArn": "arn:*"}}, True, id="all-operators"),
    pytest.param({"NumericLessThan": {"aws:SourceAccount": "1"}}, False, id="unknown-operator"),
    pytest.param({"StringEquals": "not-a-mapping"}, False, id="malformed"),
])
def test_conditions_hold(conditions: dict[str, Any], holds: bool) -> None:
    assert conditions_hold(conditions, CONTEXT) is holds


def test_the_lambda_permission_condition_allows_its_rule() -> None:
    """Lambda writes its keys as AWS:SourceAccount and AWS:SourceArn under ArnLike: the evaluator reads them."""
    statement = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "lambda:InvokeFunction",
                 "Resource": "arn:aws:lambda:sa-east-1:000000000000:function:f",
                 "Condition": {"StringEquals": {"AWS:SourceAccount": "000000000000"}, "ArnLike": {"AWS:SourceArn": RULE}}}
    request = Request("events.amazonaws.com", "lambda:InvokeFunction", "arn:aws:lambda:sa-east-1:000000000000:function:f",
                      {"aws:sourcearn": RULE, "aws:sourceaccount": "000000000000"})
    assert allows({"Statement": [statement]}, request)
