"""sns.topic against moto: create, update each attribute in place, tags, delete, conflicts, quirks."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action
from cabructl.resources.arns import tag_list
from cabructl.resources.sns_topic import HANDLER, live_attributes, topic_policy
from cabructl.topology import Topology

KINDS = [HANDLER]
ADDRESS = "sns.topic.critical-alerts"
NAME = "cabruca-segmentation-prod-critical-alerts"


def _topic_attributes(aws: Aws) -> dict[str, str]:
    client = aws.client("sns")
    arn = client.create_topic(Name=NAME)["TopicArn"]  # idempotent: returns the existing topic
    return client.get_topic_attributes(TopicArn=arn)["Attributes"]


def _with_topic(topology: Topology, **changes: Any) -> Topology:
    topic = topology.topics["critical-alerts"]
    return replace(topology, topics={"critical-alerts": replace(topic, **changes)})


def _without_rule(topology: Topology, logical: str) -> Topology:
    return replace(topology, rules={name: rule for name, rule in topology.rules.items() if name != logical})


def test_create_sets_every_attribute_and_a_second_plan_is_empty(aws: Aws, topology: Topology, converge: Callable) -> None:
    plan = converge(topology, KINDS)

    assert [(change.address, change.action) for change in plan.changes] == [(ADDRESS, Action.CREATE)]
    attributes = _topic_attributes(aws)
    assert attributes["DisplayName"] == "Cabruca critical alerts"
    policy = json.loads(attributes["Policy"])
    eventbridge = next(s for s in policy["Statement"] if s["Sid"] == "AllowEventBridgeRules")
    assert eventbridge["Principal"] == {"Service": ["events.amazonaws.com"]}
    assert eventbridge["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        "arn:aws:events:sa-east-1:123456789012:rule/cabruca-agents-bus/cabruca-segmentation-prod-critical-issues"
    ]


UPDATES = [
    pytest.param(lambda t: _with_topic(t, display_name="Pager"), "display_name", "Pager", id="display-name"),
    pytest.param(lambda t: _with_topic(t, display_name=""), "display_name", "", id="display-name-cleared"),
    pytest.param(lambda t: _with_topic(t, kms_key="alias/cabruca-alerts"), "kms_key", "alias/cabruca-alerts", id="kms-key"),
    pytest.param(lambda t: _without_rule(t, "critical-issues"), "policy", None, id="policy-last-rule-removed"),
]


@pytest.mark.parametrize("change, attribute, expected", UPDATES)
def test_each_attribute_updates_in_place(aws: Aws, topology: Topology, converge: Callable, plan_for: Callable,
                                         change: Callable[[Topology], Topology], attribute: str, expected: Any) -> None:
    converge(topology, KINDS)
    changed = change(topology)

    plan = plan_for(changed, KINDS)
    assert [(c.address, c.action, c.changed_attributes) for c in plan.changes] == [(ADDRESS, Action.UPDATE, (attribute,))]
    aws.calls.reset()
    converge(changed, KINDS)

    assert set(aws.calls.write_calls()) == {"sns:SetTopicAttributes"}
    if attribute == "policy":  # back to the account's own statement and the cost alarm's
        assert sorted(s["Sid"] for s in json.loads(_topic_attributes(aws)["Policy"])["Statement"]) == ["AllowCostAlarm", "TopicOwner"]
    else:
        assert live_attributes(_topic_attributes(aws), {})[attribute] == expected


def test_a_new_rule_adds_its_arn_to_the_policy(aws: Aws, load_copy: Callable, converge: Callable, plan_for: Callable) -> None:
    converge(load_copy(), KINDS)
    product_target = "      - id: product-queue\n        queue: product-requests"
    changed = load_copy((product_target, product_target + "\n      - id: product-page\n        topic: critical-alerts"))

    plan = plan_for(changed, KINDS)
    [change] = plan.changes
    assert change.changed_attributes == ("policy",)
    converge(changed, KINDS)
    statements = json.loads(_topic_attributes(aws)["Policy"])["Statement"]
    assert any("feature-request-routing" in json.dumps(statement) for statement in statements)


def test_tag_change_touches_only_tags(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(_with_topic(topology, tags={"Team": "ops", "Pager": "yes"}), KINDS)
    aws.calls.reset()

    converge(_with_topic(topology, tags={"Team": "platform"}), KINDS)

    assert sorted(aws.calls.write_calls()) == ["sns:TagResource", "sns:UntagResource"]
    arn = aws.client("sns").create_topic(Name=NAME)["TopicArn"]
    tags = {t["Key"]: t["Value"] for t in aws.client("sns").list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags["Team"] == "platform" and "Pager" not in tags


def test_topic_removed_from_the_topology_is_deleted(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(topology, KINDS)

    plan = converge(replace(topology, topics={}), KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.DELETE)]
    assert aws.client("sns").list_topics()["Topics"] == []


def test_unowned_topic_with_a_desired_name_is_a_conflict(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    aws.client("sns").create_topic(Name=NAME, Tags=tag_list({"managed-by": "someone-else"}))

    plan = plan_for(topology, KINDS)

    assert [conflict.address for conflict in plan.conflicts] == [ADDRESS]
    assert plan.changes == ()


def test_topics_of_others_are_invisible(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    aws.client("sns").create_topic(Name="cabruca-segmentation-prod-someone-elses")
    aws.client("sns").create_topic(Name="unrelated")

    plan = plan_for(topology, KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.CREATE)]
    assert plan.conflicts == ()


def test_a_topic_under_snss_default_policy_is_rewritten_once(aws: Aws, topology: Topology, converge: Callable,
                                                              plan_for: Callable) -> None:
    """SNS's default policy opens the topic to "*" under AWS:SourceOwner (2008-10-17); cabructl's names the
    account and the services it lets publish (2012-10-17), so a topic SNS created gets one policy write."""
    untargeted = _without_rule(topology, "critical-issues")
    aws.client("sns").create_topic(Name=NAME, Attributes={"DisplayName": "Cabruca critical alerts"},
                                   Tags=tag_list(untargeted.resource_tags(address=ADDRESS)))

    plan = plan_for(untargeted, KINDS)
    assert [(c.address, c.action, c.changed_attributes) for c in plan.changes] == [(ADDRESS, Action.UPDATE, ("policy",))]
    converge(untargeted, KINDS)
    policy = json.loads(_topic_attributes(aws)["Policy"])
    assert policy["Version"] == "2012-10-17"
    assert all(s["Principal"] != {"AWS": "*"} and s["Principal"] != {"AWS": ["*"]} for s in policy["Statement"])
    assert plan_for(untargeted, KINDS).empty


# -- normalisation: one case per quirk of what SNS hands back ----------------------------------
ARN = f"arn:aws:sns:sa-east-1:123456789012:{NAME}"
STATEMENT = {"Sid": "S", "Effect": "Allow", "Principal": {"Service": ["events.amazonaws.com"]}, "Action": ["sns:Publish"],
             "Resource": [ARN]}


@pytest.mark.parametrize("attributes, expected", [
    pytest.param({}, {"display_name": "", "kms_key": None, "policy": None}, id="absent-attributes-are-defaults"),
    pytest.param({"KmsMasterKeyId": ""}, {"kms_key": None}, id="empty-kms-key-is-none"),
    pytest.param({"Policy": json.dumps({"Version": "2012-10-17", "Statement": {**STATEMENT, "Action": "sns:Publish", "Resource": ARN}})},
                 {"policy": {"Version": "2012-10-17", "Statement": [STATEMENT]}}, id="strings-and-single-statement-become-lists"),
    pytest.param({"Policy": json.dumps({"Statement": [{**STATEMENT, "Sid": "B"}, {**STATEMENT, "Sid": "A"}], "Version": "2012-10-17"},
                                       indent=4)},
                 {"policy": {"Version": "2012-10-17", "Statement": [{**STATEMENT, "Sid": "A"}, {**STATEMENT, "Sid": "B"}]}},
                 id="statement-order-and-whitespace"),
])
def test_live_attributes_normalise(attributes: dict[str, str], expected: dict[str, Any]) -> None:
    live = live_attributes(attributes, {})
    assert {key: live[key] for key in expected} == expected


def test_desired_policy_survives_a_round_trip_through_json(topology: Topology) -> None:
    from cabructl.resources.base import Context

    context = Context("123456789012", "sa-east-1")
    desired = topic_policy(topology, context, "critical-alerts", ARN)
    assert live_attributes({"Policy": json.dumps(desired)}, {})["policy"] == desired
