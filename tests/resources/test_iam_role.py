"""iam.role against moto: the targets role's trust and inline policy as derived, in place, gone when unused."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Callable

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.errors import AwsError
from cabructl.resources.arns import tag_list
from cabructl.resources.base import Context
from cabructl.resources.delivery_grants import targets_role_policy, targets_role_trust
from cabructl.resources.documents import normalize_policy
from cabructl.resources.iam_role import HANDLER, INLINE_POLICY
from cabructl.topology import Topology, load_topology
from support import ROOT

GRANTS = ROOT / "tests" / "fixtures" / "grants" / "topology.yaml"
KINDS = [HANDLER]
CONTEXT = Context("123456789012", "sa-east-1")
NAME = "grants-test-eventbridge-targets"
ADDRESS = "iam.role.eventbridge-targets"


def grants() -> Topology:
    return load_topology(str(GRANTS))


def with_targets(topology: Topology, *kinds: str) -> Topology:
    """The fixture's rule keeping only the targets of ``kinds``."""
    rule = topology.rules["r"]
    return replace(topology, rules={"r": replace(rule, targets=tuple(t for t in rule.targets if t.kind in kinds))})


def with_second_rule(topology: Topology) -> Topology:
    rule = topology.rules["r"]
    return replace(topology, rules={**topology.rules, "r2": replace(rule, logical="r2", name=topology.prefix + "r2")})


def test_create_derives_trust_and_policy_and_a_second_plan_is_empty(aws: Aws, converge: Callable) -> None:
    topology = grants()

    plan = converge(topology, KINDS)

    assert [(change.address, change.action) for change in plan.changes] == [(ADDRESS, Action.CREATE)]
    iam = aws.client("iam")
    role = iam.get_role(RoleName=NAME)["Role"]
    assert role["Arn"] == f"arn:aws:iam::123456789012:role/{NAME}"
    assert normalize_policy(role["AssumeRolePolicyDocument"]) == normalize_policy(targets_role_trust(topology, CONTEXT))
    assert iam.list_role_policies(RoleName=NAME)["PolicyNames"] == [INLINE_POLICY]
    document = iam.get_role_policy(RoleName=NAME, PolicyName=INLINE_POLICY)["PolicyDocument"]
    assert normalize_policy(document) == normalize_policy(targets_role_policy(topology, CONTEXT))
    assert document["Statement"][0]["Resource"] in (["arn:aws:states:sa-east-1:123456789012:stateMachine:SM"],
                                                    "arn:aws:states:sa-east-1:123456789012:stateMachine:SM")


def test_no_target_needs_it_no_role(aws: Aws, converge: Callable) -> None:
    assert HANDLER.desired(with_targets(grants(), "function"), CONTEXT) == []  # a function is granted by its own policy

    converge(grants(), KINDS)
    plan = converge(with_targets(grants(), "function"), KINDS)

    assert [(change.address, change.action) for change in plan.changes] == [(ADDRESS, Action.DELETE)]
    assert aws.find(lambda: aws.client("iam").get_role(RoleName=NAME)) is None


def test_a_new_rule_changes_trust_and_policy_in_place(aws: Aws, converge: Callable, plan_for: Callable) -> None:
    converge(grants(), KINDS)
    changed = with_second_rule(grants())

    [change] = plan_for(changed, KINDS).changes
    assert (change.action, change.changed_attributes) == (Action.UPDATE, ("trust",))  # the same state machine: same policy
    aws.calls.reset()
    converge(changed, KINDS)

    assert aws.calls.write_calls() == ["iam:UpdateAssumeRolePolicy"]
    trust = aws.client("iam").get_role(RoleName=NAME)["Role"]["AssumeRolePolicyDocument"]
    assert len(normalize_policy(trust)["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"]) == 2


def test_a_tag_change_touches_only_tags(aws: Aws, converge: Callable) -> None:
    converge(replace(grants(), tags={"Team": "ops", "Pager": "yes"}), KINDS)
    aws.calls.reset()

    converge(replace(grants(), tags={"Team": "platform"}), KINDS)

    assert sorted(aws.calls.write_calls()) == ["iam:TagRole", "iam:UntagRole"]


def test_a_policy_edited_by_hand_is_restored(aws: Aws, converge: Callable, plan_for: Callable) -> None:
    converge(grants(), KINDS)
    aws.client("iam").put_role_policy(RoleName=NAME, PolicyName=INLINE_POLICY, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "states:*", "Resource": "*"}]}))

    [change] = plan_for(grants(), KINDS).changes
    assert (change.action, change.changed_attributes) == (Action.UPDATE, ("policy",))
    converge(grants(), KINDS)


def test_an_unowned_role_with_the_name_is_a_conflict(aws: Aws, plan_for: Callable) -> None:
    aws.client("iam").create_role(RoleName=NAME, AssumeRolePolicyDocument="{}", Tags=tag_list({"Owner": "someone-else"}))

    plan = plan_for(grants(), KINDS)

    assert [conflict.address for conflict in plan.conflicts] == [ADDRESS]
    assert plan.changes == ()


def test_a_policy_someone_attached_makes_the_delete_refused_and_reported(aws: Aws, converge: Callable) -> None:
    converge(grants(), KINDS)
    iam = aws.client("iam")
    theirs = iam.create_policy(PolicyName="theirs", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=NAME, PolicyArn=theirs)
    [live] = HANDLER.discover(aws, grants(), CONTEXT, [])

    with pytest.raises(AwsError, match="DeleteConflict.*managed policy arn:aws:iam::123456789012:policy/theirs"):
        HANDLER.delete(aws, live)

    assert iam.list_attached_role_policies(RoleName=NAME)["AttachedPolicies"][0]["PolicyArn"] == theirs
    assert Engine(grants(), aws, kinds=KINDS).live()[ADDRESS].attributes["policy"] is None  # only cabructl's policy went
