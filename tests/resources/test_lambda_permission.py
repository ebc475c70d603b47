"""lambda.permission against moto: exactly the derived statement, in a policy shared with others.

The function is someone else's (referenced by ARN): cabructl adds, changes and removes only
the statements whose Sid is this topology's, finds one whose rule stopped targeting the
function, and reports one that someone removed or changed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.engine.drift import detect_drift
from cabructl.resources import events_bus, events_rule, events_target, iam_role
from cabructl.resources.base import Context
from cabructl.resources.delivery_grants import function_grants, permission_statement
from cabructl.resources.documents import normalize_policy
from cabructl.resources.lambda_permission import HANDLER
from cabructl.topology import Topology, load_topology
from support import ROOT, create_function

GRANTS = ROOT / "tests" / "fixtures" / "grants" / "topology.yaml"
KINDS = [events_bus.HANDLER, events_rule.HANDLER, iam_role.HANDLER, HANDLER, events_target.HANDLER]
CONTEXT = Context("123456789012", "sa-east-1")
FUNCTION = "arn:aws:lambda:sa-east-1:123456789012:function:handler"
ADDRESS = "lambda.permission.r/handler"
SID = "cabructl-grants-test-r"


def grants() -> Topology:
    return load_topology(str(GRANTS))


def make_function(aws: Aws) -> str:
    """The function the fixture targets, in this test's moto."""
    return create_function(aws.client("iam"), aws.client("lambda"), "handler")


def statements(aws: Aws) -> dict[str, dict[str, Any]]:
    """The function's resource policy, statement by Sid ({} when it has none)."""
    found = aws.find(lambda: aws.client("lambda").get_policy(FunctionName=FUNCTION))
    return {statement["Sid"]: statement for statement in json.loads(found["Policy"])["Statement"]} if found else {}


def someone_grants(aws: Aws, sid: str = "someone-elses", source_arn: str = "arn:aws:s3:::a-bucket") -> None:
    aws.client("lambda").add_permission(FunctionName=FUNCTION, StatementId=sid, Action="lambda:InvokeFunction",
                                        Principal="s3.amazonaws.com", SourceArn=source_arn)


def without_function_target(topology: Topology) -> Topology:
    rule = topology.rules["r"]
    return replace(topology, rules={"r": replace(rule, targets=tuple(t for t in rule.targets if t.kind != "function"))})


def test_apply_writes_exactly_the_derived_statement(aws: Aws, converge: Callable) -> None:
    make_function(aws)
    topology = grants()

    plan = converge(topology, KINDS)

    assert (ADDRESS, Action.CREATE) in [(change.address, change.action) for change in plan.changes]
    [grant] = function_grants(topology, CONTEXT)
    assert list(statements(aws)) == [SID]
    assert normalize_policy({"Statement": [statements(aws)[SID]]}) == normalize_policy({"Statement": [permission_statement(grant)]})
    assert statements(aws)[SID]["Condition"]["ArnLike"]["AWS:SourceArn"] == \
        "arn:aws:events:sa-east-1:123456789012:rule/grants-test-bus/grants-test-r"


def test_a_plan_reads_the_targets_once_and_the_policy_once(aws: Aws, converge: Callable) -> None:
    make_function(aws)
    topology = grants()
    converge(topology, KINDS)
    aws.calls.reset()

    assert Engine(topology, aws, kinds=KINDS).plan().empty

    assert aws.calls.counts[("events", "ListTargetsByRule")] == 1  # the target handler's discovery, shared
    assert aws.calls.counts[("lambda", "GetPolicy")] == 1


def test_a_statement_someone_else_added_is_kept_and_never_reported(aws: Aws, converge: Callable, plan_for: Callable) -> None:
    make_function(aws)
    topology = grants()
    converge(topology, KINDS)
    someone_grants(aws)

    assert plan_for(topology, KINDS).empty
    assert not detect_drift(Engine(topology, aws, kinds=KINDS)).has_drift
    engine = Engine(topology, aws, kinds=KINDS)
    destroy = engine.plan(destroy=True)
    assert (ADDRESS, Action.DELETE) in [(change.address, change.action) for change in destroy.changes]
    assert engine.apply(destroy).ok

    assert list(statements(aws)) == ["someone-elses"]


def test_a_rule_that_stops_targeting_the_function_loses_only_its_statement(aws: Aws, converge: Callable) -> None:
    make_function(aws)
    topology = grants()
    converge(topology, KINDS)
    someone_grants(aws)

    plan = converge(without_function_target(topology), KINDS)  # no grant is desired: the live target names the function

    assert {(change.address, change.action) for change in plan.changes} == {
        (ADDRESS, Action.DELETE), ("events.target.r/t", Action.DELETE)}
    assert list(statements(aws)) == ["someone-elses"]


def test_a_statement_someone_removed_is_reported_and_restored(aws: Aws, converge: Callable, plan_for: Callable) -> None:
    make_function(aws)
    topology = grants()
    converge(topology, KINDS)
    aws.client("lambda").remove_permission(FunctionName=FUNCTION, StatementId=SID)

    assert [(change.address, change.action) for change in plan_for(topology, KINDS).changes] == [(ADDRESS, Action.CREATE)]
    assert [item.address for item in detect_drift(Engine(topology, aws, kinds=KINDS)).missing] == [ADDRESS]
    converge(topology, KINDS)
    assert list(statements(aws)) == [SID]


def test_a_statement_someone_changed_is_reported_and_rewritten(aws: Aws, converge: Callable, plan_for: Callable) -> None:
    make_function(aws)
    topology = grants()
    converge(topology, KINDS)
    aws.client("lambda").remove_permission(FunctionName=FUNCTION, StatementId=SID)
    someone_grants(aws, SID, "arn:aws:events:sa-east-1:123456789012:rule/grants-test-bus/*")  # widened by hand

    [change] = plan_for(topology, KINDS).changes
    assert (change.address, change.action, change.changed_attributes) == (ADDRESS, Action.UPDATE, ("statement",))
    assert [item.address for item in detect_drift(Engine(topology, aws, kinds=KINDS)).changed] == [ADDRESS]
    aws.calls.reset()
    converge(topology, KINDS)

    assert aws.calls.write_calls() == ["lambda:AddPermission", "lambda:RemovePermission"]  # Lambda has no update
    assert statements(aws)[SID]["Principal"] == {"Service": "events.amazonaws.com"}


def test_a_missing_function_holds_nothing_and_deleting_from_it_succeeds(aws: Aws) -> None:
    topology = grants()
    desired = HANDLER.desired(topology, CONTEXT)

    assert HANDLER.discover(aws, topology, CONTEXT, desired) == []
    HANDLER.delete(aws, desired[0])  # ResourceNotFoundException on delete means done

    assert ("lambda", "RemovePermission") in aws.calls.counts


def test_a_topology_without_function_targets_asks_lambda_nothing(aws: Aws, topology: Topology) -> None:
    assert HANDLER.desired(topology, CONTEXT) == []
    assert HANDLER.discover(aws, topology, CONTEXT, []) == []
    assert not any(service == "lambda" for service, _ in aws.calls.counts)
