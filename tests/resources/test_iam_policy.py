"""iam.policy against moto: the shared publisher document, versions under AWS's limit, replace on description.

Most tests here drive the seed's shared policy alone (the module's ``topology`` has no agents and
``publish: any_agent``); the per-agent policies are in ``test_iam_policy_agents.py``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable

import pytest

from cabructl.aws import Aws
from cabructl.constants import IAM_MAX_POLICY_VERSIONS
from cabructl.engine import Action, Engine
from cabructl.resources.arns import tag_list
from cabructl.resources.base import Context
from cabructl.resources.documents import normalize_policy
from cabructl.resources.iam_policy import HANDLER, publisher_document
from cabructl.topology import Topology

KINDS = [HANDLER]
ADDRESS = "iam.policy.publisher_policy"
NAME = "cabruca-segmentation-prod-agent-event-publisher"
ARN = f"arn:aws:iam::123456789012:policy/{NAME}"
CONTEXT = Context("123456789012", "sa-east-1")
REGISTRY = "cabruca-segmentation-prod-agent-schemas"


@pytest.fixture(scope="module")
def topology(topology: Topology) -> Topology:
    """The real topology's shared policy as the seed had it, without the agents' own policies."""
    assert topology.publisher_policy is not None
    return replace(topology, agents={}, publisher_policy=replace(topology.publisher_policy, publish="any_agent"))


def _versions(aws: Aws) -> list[dict[str, Any]]:
    return aws.client("iam").list_policy_versions(PolicyArn=ARN)["Versions"]


def _default_document(aws: Aws) -> dict[str, Any]:
    iam = aws.client("iam")
    version = iam.get_policy(PolicyArn=ARN)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=ARN, VersionId=version)["PolicyVersion"]["Document"]


def _with_policy(topology: Topology, **changes: Any) -> Topology:
    assert topology.publisher_policy is not None
    return replace(topology, publisher_policy=replace(topology.publisher_policy, **changes))


def _with_bus(topology: Topology, name: str) -> Topology:
    return replace(topology, bus=replace(topology.bus, name=name))


def test_create_grants_publishing_and_reading_the_registry(aws: Aws, topology: Topology, converge: Callable) -> None:
    plan = converge(topology, KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.CREATE)]
    statements = {statement["Sid"]: statement for statement in _default_document(aws)["Statement"]}
    assert statements["PublishToBus"]["Action"] == ["events:PutEvents"]
    assert statements["PublishToBus"]["Resource"] == ["arn:aws:events:sa-east-1:123456789012:event-bus/cabruca-agents-bus"]
    assert statements["ReadSchemas"]["Action"] == ["schemas:DescribeRegistry", "schemas:DescribeSchema"]
    assert statements["ReadSchemas"]["Resource"] == [f"arn:aws:schemas:sa-east-1:123456789012:registry/{REGISTRY}",
                                                     f"arn:aws:schemas:sa-east-1:123456789012:schema/{REGISTRY}/*"]
    # GetDiscoveredSchema has no resource type: on the registry ARN it would grant nothing (parliament flags it).
    assert statements["ReadDiscoveredSchemas"]["Action"] == ["schemas:GetDiscoveredSchema"]
    assert statements["ReadDiscoveredSchemas"]["Resource"] == ["*"]
    assert aws.client("iam").get_policy(PolicyArn=ARN)["Policy"]["Description"] == topology.publisher_policy.description


def test_without_a_registry_only_publishing_is_granted(topology: Topology) -> None:
    document = publisher_document(replace(topology, registry=None), CONTEXT)

    assert [statement["Sid"] for statement in document["Statement"]] == ["PublishToBus"]


def test_document_change_creates_a_new_default_version(aws: Aws, topology: Topology, converge: Callable, plan_for: Callable) -> None:
    converge(topology, KINDS)
    changed = _with_bus(topology, "renamed-bus")

    [planned] = plan_for(changed, KINDS).changes
    assert (planned.action, planned.changed_attributes) == (Action.UPDATE, ("document",))
    aws.calls.reset()
    converge(changed, KINDS)

    assert aws.calls.write_calls() == ["iam:CreatePolicyVersion"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in sorted(_versions(aws), key=lambda v: v["VersionId"])] == [
        ("v1", False), ("v2", True)]


def test_six_updates_in_a_row_never_exceed_five_versions(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(topology, KINDS)
    seen: list[int] = []

    for index in range(6):
        changed = _with_bus(topology, f"bus-{index}")
        converge(changed, KINDS)  # fails on IAM's LimitExceeded if the oldest version was not made room for
        seen.append(len(_versions(aws)))
        assert _default_document(aws) == publisher_document(changed, CONTEXT)

    assert max(seen) == IAM_MAX_POLICY_VERSIONS
    assert seen == [2, 3, 4, 5, 5, 5]
    assert sorted(v["VersionId"] for v in _versions(aws)) == ["v3", "v4", "v5", "v6", "v7"]  # the oldest went first


def test_description_change_replaces_the_policy(aws: Aws, topology: Topology, converge: Callable, plan_for: Callable) -> None:
    converge(topology, KINDS)
    converge(_with_bus(topology, "second-version"), KINDS)  # a non-default version that must go before the delete
    changed = _with_policy(topology, description="A better description")

    [planned] = plan_for(changed, KINDS).changes
    assert (planned.action, planned.replace_fields) == (Action.REPLACE, ("description",))
    converge(changed, KINDS)

    assert aws.client("iam").get_policy(PolicyArn=ARN)["Policy"]["Description"] == "A better description"
    assert [v["VersionId"] for v in _versions(aws)] == ["v1"]


def test_tag_change_touches_only_tags(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(_with_policy(topology, tags={"Team": "ops", "Pager": "yes"}), KINDS)
    aws.calls.reset()

    converge(_with_policy(topology, tags={"Team": "platform"}), KINDS)

    assert sorted(aws.calls.write_calls()) == ["iam:TagPolicy", "iam:UntagPolicy"]
    tags = {tag["Key"]: tag["Value"] for tag in aws.client("iam").list_policy_tags(PolicyArn=ARN)["Tags"]}
    assert tags["Team"] == "platform" and "Pager" not in tags


def test_destroy_deletes_every_version_then_the_policy(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(topology, KINDS)
    converge(_with_bus(topology, "second-version"), KINDS)
    engine = Engine(topology, aws, kinds=KINDS)

    plan = engine.plan(destroy=True)
    result = engine.apply(plan)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.DELETE)]
    assert result.ok
    assert aws.client("iam").list_policies(Scope="Local")["Policies"] == []


def test_deleting_a_policy_already_gone_succeeds(aws: Aws, topology: Topology) -> None:
    [desired] = HANDLER.desired(topology, CONTEXT)

    HANDLER.delete(aws, desired)  # NotFound on delete means done: no error

    assert ("iam", "DeletePolicy") in aws.calls.counts  # it did ask, and took NotFound for done
    assert aws.client("iam").list_policies(Scope="Local")["Policies"] == []


def test_unowned_policy_with_the_desired_name_is_a_conflict(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    aws.client("iam").create_policy(PolicyName=NAME, PolicyDocument=json.dumps(publisher_document(topology, CONTEXT)),
                                    Tags=tag_list({"Owner": "someone-else"}))

    plan = plan_for(topology, KINDS)

    assert [conflict.address for conflict in plan.conflicts] == [ADDRESS]
    assert plan.changes == ()


def test_adopting_a_policy_whose_document_matches_writes_tags_and_no_version(aws: Aws, topology: Topology) -> None:
    """The handler contract: adopt updates what differs on the canonical attributes, here the tags only."""
    aws.client("iam").create_policy(PolicyName=NAME, PolicyDocument=json.dumps(publisher_document(topology, CONTEXT), indent=4),
                                    Description=topology.publisher_policy.description, Tags=tag_list({"Owner": "someone-else"}))
    engine = Engine(topology, aws, kinds=KINDS)
    plan = engine.plan(adopt=[ADDRESS])
    aws.calls.reset()

    assert engine.apply(plan).ok

    assert "iam:CreatePolicyVersion" not in aws.calls.write_calls()
    assert [version["VersionId"] for version in _versions(aws)] == ["v1"]
    assert Engine(topology, aws, kinds=KINDS).plan().empty


# -- normalisation: what IAM hands back vs what cabructl sent ----------------------------------
@pytest.mark.parametrize("live", [
    pytest.param(lambda doc: json.dumps(doc, indent=4), id="whitespace"),
    pytest.param(lambda doc: {**doc, "Statement": list(reversed(doc["Statement"]))}, id="statement-order"),
    pytest.param(lambda doc: {**doc, "Statement": [{**s, "Action": s["Action"][0], "Resource": s["Resource"][0]}
                                                    if s["Sid"] == "PublishToBus" else s for s in doc["Statement"]]},
                 id="one-element-lists-as-strings"),
    pytest.param(lambda doc: {**doc, "Statement": [{**s, "Action": list(reversed(s["Action"])), "Resource": list(reversed(s["Resource"]))}
                                                    for s in doc["Statement"]]}, id="action-and-resource-order"),
])
def test_live_document_normalises_to_the_desired_one(topology: Topology, live: Callable[[dict[str, Any]], Any]) -> None:
    desired = publisher_document(topology, CONTEXT)
    assert normalize_policy(live(desired)) == desired
