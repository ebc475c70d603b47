"""logs.resource_policy against moto: the shared delivery policy, derived from the rules, owned by name."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action
from cabructl.resources.base import Context
from cabructl.resources.documents import normalize_policy
from cabructl.resources.logs_resource_policy import HANDLER, LogResourcePolicyTooLarge, delivery_document
from cabructl.topology import Topology

KINDS = [HANDLER]
ADDRESS = "logs.resource_policy.eventbridge-logs"
NAME = "cabruca-segmentation-prod-eventbridge-logs"
CONTEXT = Context("123456789012", "sa-east-1")
GROUP_STREAMS = "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/events/cabruca-segmentation-prod/agents:*"
RULE = "arn:aws:events:sa-east-1:123456789012:rule/cabruca-agents-bus/cabruca-segmentation-prod-{}"


def _live_policies(aws: Aws) -> dict[str, Any]:
    policies = aws.client("logs").describe_resource_policies()["resourcePolicies"]
    return {found["policyName"]: json.loads(found["policyDocument"]) for found in policies}


def _without_rules(topology: Topology, *logicals: str) -> Topology:
    return replace(topology, rules={name: rule for name, rule in topology.rules.items() if name not in logicals})


def test_create_grants_both_services_on_the_targeted_groups_for_their_rules(aws: Aws, topology: Topology,
                                                                           converge: Callable) -> None:
    plan = converge(topology, KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.CREATE)]
    [statement] = _live_policies(aws)[NAME]["Statement"]
    assert statement["Principal"] == {"Service": ["delivery.logs.amazonaws.com", "events.amazonaws.com"]}
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == [GROUP_STREAMS]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": [RULE.format("issue-detection-routing"),
                                                                      RULE.format("test-results-routing")]}}


def test_a_rule_that_stops_writing_to_the_group_leaves_the_document(aws: Aws, topology: Topology, converge: Callable,
                                                                   plan_for: Callable) -> None:
    converge(topology, KINDS)
    changed = _without_rules(topology, "test-results-routing")

    [change] = plan_for(changed, KINDS).changes
    assert (change.action, change.changed_attributes) == (Action.UPDATE, ("document",))
    aws.calls.reset()
    converge(changed, KINDS)

    assert aws.calls.write_calls() == ["logs:PutResourcePolicy"]
    [statement] = _live_policies(aws)[NAME]["Statement"]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == [RULE.format("issue-detection-routing")]


def test_no_rule_targets_a_log_group_so_the_policy_is_deleted(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(topology, KINDS)

    plan = converge(_without_rules(topology, "issue-detection-routing", "test-results-routing"), KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.DELETE)]
    assert NAME not in _live_policies(aws)


def test_other_resource_policies_are_left_alone(aws: Aws, topology: Topology, converge: Callable) -> None:
    aws.client("logs").put_resource_policy(policyName="someone-elses", policyDocument='{"Statement": []}')

    converge(topology, KINDS)
    converge(_without_rules(topology, "issue-detection-routing", "test-results-routing"), KINDS)

    assert list(_live_policies(aws)) == ["someone-elses"]


def test_a_policy_with_the_topology_name_is_the_topology_s(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    """Resource policies cannot be tagged: the name is the ownership, so it is updated, not a conflict."""
    aws.client("logs").put_resource_policy(policyName=NAME, policyDocument='{"Version": "2012-10-17", "Statement": []}')

    plan = plan_for(topology, KINDS)

    assert plan.conflicts == ()
    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.UPDATE)]


def test_a_document_over_the_aws_limit_fails_when_planning(topology: Topology) -> None:
    rule = topology.rules["issue-detection-routing"]
    many = {f"r{index}": replace(rule, logical=f"r{index}", name=f"{rule.name}-{index:03d}") for index in range(60)}

    with pytest.raises(LogResourcePolicyTooLarge, match="5120"):
        HANDLER.desired(replace(topology, rules=many), CONTEXT)


def test_each_log_group_gets_its_own_statement_naming_only_its_rules(topology: Topology) -> None:
    agents = topology.log_groups["agents"]
    audit = replace(agents, logical="audit", name="/aws/events/audit")
    test_results = topology.rules["test-results-routing"]
    retargeted = replace(test_results, targets=(replace(test_results.targets[0], ref="audit"),))
    changed = replace(topology, log_groups={"agents": agents, "audit": audit}, rules={**topology.rules, "test-results-routing": retargeted})

    statements = {statement["Sid"]: statement for statement in delivery_document(changed, CONTEXT)["Statement"]}

    assert statements["EventBridgeToAudit"]["Condition"]["ArnEquals"]["aws:SourceArn"] == [RULE.format("test-results-routing")]
    assert statements["EventBridgeToAgents"]["Condition"]["ArnEquals"]["aws:SourceArn"] == [RULE.format("issue-detection-routing")]


def _loosened(statement: dict[str, Any]) -> dict[str, Any]:
    """How AWS may hand a statement back: a one-element Resource as a string, principals reordered."""
    services = list(reversed(statement["Principal"]["Service"]))
    return {**statement, "Resource": statement["Resource"][0], "Principal": {"Service": services}}


@pytest.mark.parametrize("live_text", [
    pytest.param(lambda doc: json.dumps(doc, indent=2), id="whitespace"),
    pytest.param(lambda doc: json.dumps({**doc, "Statement": doc["Statement"][0]}), id="single-statement-as-object"),
    pytest.param(lambda doc: json.dumps({**doc, "Statement": [_loosened(doc["Statement"][0])]}), id="string-resource-and-principal-order"),
])
def test_live_document_normalises_to_the_desired_one(topology: Topology, live_text: Callable[[dict[str, Any]], str]) -> None:
    desired = delivery_document(topology, CONTEXT)
    assert normalize_policy(live_text(desired)) == desired
