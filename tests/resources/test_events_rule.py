"""events.rule against moto: one ListRules + tags per rule, patterns compared parsed, in-place updates."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from ruamel.yaml import YAML

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.resources import events_bus, events_rule
from cabructl.resources.arns import tag_list
from cabructl.resources.base import Resource
from cabructl.topology import Topology

KINDS = [events_bus.HANDLER, events_rule.HANDLER]
RULE = "critical-issues"
ADDRESS = f"events.rule.{RULE}"


def with_rule(topology: Topology, logical: str = RULE, **changes: Any) -> Topology:
    return replace(topology, rules={**topology.rules, logical: replace(topology.rules[logical], **changes)})


def rule_changes(plan: Any) -> list[tuple[str, Action, tuple[str, ...]]]:
    """Rule changes as (address, action, changed attributes); creates and deletes change everything."""
    whole = (Action.CREATE, Action.DELETE)
    return [(change.address, change.action, () if change.action in whole else change.changed_attributes)
            for change in plan.changes if change.kind == events_rule.KIND]


def test_create_reads_back_as_declared_and_the_next_plan_is_empty(aws: Aws, topology: Topology, converge: Any) -> None:
    plan = converge(topology, KINDS)
    assert rule_changes(plan) == [(f"events.rule.{logical}", Action.CREATE, ()) for logical in sorted(topology.rules)]
    live = Engine(topology, aws, kinds=KINDS).live()
    for change in plan.changes:
        assert live[change.address].attributes == change.after.attributes
    assert live[ADDRESS].identity["arn"].endswith(f":rule/{topology.bus.name}/{topology.rules[RULE].name}")


def test_discovery_is_one_list_rules_per_bus_and_tags_from_the_index(aws: Aws, topology: Topology, converge: Any) -> None:
    """The buses whose rules are read, one ListRules on the one bus, and no tag read per rule:
    the tagging API's index (one GetResources) has every owned rule's tags."""
    converge(topology, KINDS)
    aws.calls.reset()
    Engine(topology, aws, kinds=[events_rule.HANDLER]).plan()
    assert dict(aws.calls.counts) == {("events", "ListEventBuses"): 1, ("events", "DescribeEventBus"): 1,
                                      ("resourcegroupstaggingapi", "GetResources"): 1, ("events", "ListRules"): 1}


def test_without_the_index_each_rule_costs_one_tag_read(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    aws.calls.reset()
    Engine(topology, aws, kinds=[events_rule.HANDLER]).live(refresh=True, bypass_index=True)
    assert aws.calls.counts[("events", "ListTagsForResource")] == len(topology.rules) + 1  # the rules and the bus
    assert ("resourcegroupstaggingapi", "GetResources") not in aws.calls.counts


def test_a_missing_bus_means_no_rules_not_an_error(aws: Aws, topology: Topology, plan_for: Any) -> None:
    plan = plan_for(topology, [events_rule.HANDLER])
    assert {change.action for change in plan.changes} == {Action.CREATE}


@pytest.mark.parametrize(
    ("changes", "attribute"),
    [
        pytest.param({"pattern": {"source": ["cabruca.agents.monitor"], "detail": {"severity": ["CRITICAL"]}}}, "pattern", id="pattern"),
        pytest.param({"state": "DISABLED"}, "state", id="state"),
        pytest.param({"description": "Page on CRITICAL only"}, "description", id="description"),
        pytest.param({"pattern": {"source": ["cabruca.agents.monitor"], "detail": {"score": [{"numeric": [">=", 4.0, "<", 300]}]}}},
                     "pattern", id="pattern-with-numbers"),
    ],
)
def test_attributes_change_in_place_with_put_rule(aws: Aws, topology: Topology, converge: Any,
                                                  changes: dict[str, Any], attribute: str) -> None:
    converge(topology, KINDS)
    aws.calls.reset()
    plan = converge(with_rule(topology, **changes), KINDS)
    assert rule_changes(plan) == [(ADDRESS, Action.UPDATE, (attribute,))]
    assert aws.calls.write_calls() == ["events:PutRule"]


def test_numbers_reach_aws_as_written(aws: Aws, topology: Topology, converge: Any) -> None:
    pattern = {"detail": {"score": [{"numeric": [">=", 4.0, "<", 300]}], "code": ["4"]}}
    converge(with_rule(topology, pattern=pattern), KINDS)
    sent = aws.client("events").describe_rule(Name=topology.rules[RULE].name, EventBusName=topology.bus.name)["EventPattern"]
    assert sent == '{"detail":{"code":["4"],"score":[{"numeric":[">=",4.0,"<",300]}]}}'


def test_a_tag_change_touches_only_tags(aws: Aws, topology: Topology, converge: Any, plan_for: Any) -> None:
    converge(topology, KINDS)
    changed = with_rule(topology, tags={"Severity": "high"})
    assert rule_changes(plan_for(changed, KINDS)) == [(ADDRESS, Action.UPDATE, ("tags",))]
    aws.calls.reset()
    converge(changed, KINDS)
    assert aws.calls.write_calls() == ["events:TagResource"]


def test_a_rule_no_longer_declared_is_deleted(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    rules = {logical: rule for logical, rule in topology.rules.items() if logical != RULE}
    plan = converge(replace(topology, rules=rules), KINDS)
    assert rule_changes(plan) == [(ADDRESS, Action.DELETE, ())]


def test_the_same_pattern_written_differently_by_another_tool_is_no_change(aws: Aws, topology: Topology, converge: Any,
                                                                            plan_for: Any) -> None:
    converge(topology, KINDS)
    rule = topology.rules[RULE]
    reordered = json.dumps(dict(reversed(list(rule.pattern.items()))), indent=4)
    aws.client("events").put_rule(Name=rule.name, EventBusName=topology.bus.name, EventPattern=reordered,
                                  State=rule.state, Description=rule.description)
    assert rule_changes(plan_for(topology, KINDS)) == []


@pytest.mark.parametrize(
    ("name", "owner", "expected"),
    [
        pytest.param("{declared}", "none", ("conflicts", [ADDRESS]), id="declared-name-untagged-conflicts"),
        pytest.param("{declared}", "other-environment", ("conflicts", [ADDRESS]), id="declared-name-other-topology-conflicts"),
        pytest.param("{prefix}old-rule", "ours", ("changes", [("events.rule.old-rule", Action.DELETE)]), id="ours-undeclared-deleted"),
        pytest.param("{prefix}their-rule", "none", ("changes", []), id="untagged-under-prefix-ignored"),
        pytest.param("elsewhere", "ours", ("changes", [("events.rule.elsewhere", Action.DELETE)]), id="ours-outside-prefix-deleted"),
    ],
)
def test_ownership_by_tags(aws: Aws, topology: Topology, converge: Any, plan_for: Any,
                           name: str, owner: str, expected: tuple[str, list[Any]]) -> None:
    only_this_rule = replace(topology, rules={RULE: topology.rules[RULE]})
    converge(replace(topology, rules={}), KINDS)
    rule = topology.rules[RULE]
    rule_name = name.format(declared=rule.name, prefix=topology.prefix)
    aws.client("events").put_rule(Name=rule_name, EventBusName=topology.bus.name, EventPattern=json.dumps(rule.pattern),
                                  Tags=tag_list(owner_tags(topology, owner)))
    plan = plan_for(only_this_rule if name == "{declared}" else replace(topology, rules={}), KINDS)
    found = {"conflicts": [conflict.address for conflict in plan.conflicts], "changes": rule_changes(plan)}
    what, expected_items = expected
    if what == "changes":
        expected_items = [(address, action, ()) for address, action in expected_items]
    assert found[what] == expected_items


def owner_tags(topology: Topology, owner: str) -> dict[str, str]:
    """Tags naming this topology ("ours"), another environment of it, or nobody ("none")."""
    if owner == "none":
        return {}
    tags = topology.ownership_tags()
    return tags if owner == "ours" else {**tags, "cabructl:topology": f"{topology.project}/dev"}


# -- normalisation: one pure function per quirk ------------------------------------------

YAML_PATTERN = YAML().load("source: [cabruca.agents.tester]\ndetail:\n  status: [FAILED, ERROR]\n  score: [{numeric: ['>', 4.0]}]\n")
PARSED = {"source": ["cabruca.agents.tester"], "detail": {"status": ["FAILED", "ERROR"], "score": [{"numeric": [">", 4.0]}]}}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(PARSED, PARSED, id="dict-unchanged"),
        pytest.param(YAML_PATTERN, PARSED, id="yaml-mapping-becomes-plain"),
        pytest.param('{"detail":{"score":[{"numeric":[">",4.0]}],"status":["FAILED","ERROR"]},"source":["cabruca.agents.tester"]}',
                     PARSED, id="text-in-another-key-order"),
        pytest.param(json.dumps(PARSED, indent=2), PARSED, id="text-with-whitespace"),
        pytest.param(None, None, id="missing"),
        pytest.param("", None, id="empty-text"),
        pytest.param("{}", None, id="empty-object-text"),
        pytest.param({}, None, id="empty-mapping"),
    ],
)
def test_canonical_pattern(given: Any, expected: Any) -> None:
    result = events_rule.canonical_pattern(given)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        pytest.param('{"n":[4.0]}', 4.0, float, id="float-stays-float"),
        pytest.param('{"n":[4]}', 4, int, id="int-stays-int"),
        pytest.param('{"n":["4"]}', "4", str, id="string-stays-string"),
    ],
)
def test_canonical_pattern_keeps_numbers_in_their_form(text: str, value: Any, kind: type) -> None:
    [number] = events_rule.canonical_pattern(text)["n"]
    assert (number, type(number)) == (value, kind)
    assert events_rule.compact_json(events_rule.canonical_pattern(text)) == text


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        pytest.param({"source": ["a"], "detail-type": ["b"]}, '{"detail-type":["b"],"source":["a"]}', id="compact-sorted"),
        pytest.param(None, None, id="no-pattern-not-sent"),
    ],
)
def test_put_rule_request(pattern: Any, expected: str | None) -> None:
    attributes = {"pattern": pattern, "state": "ENABLED", "description": "", "tags": {}}
    request = events_rule.put_rule_request(Resource("events.rule.r", "events.rule", "r", attributes, identity={"bus": "b"}))
    assert request.get("EventPattern") == expected
    assert (request["Name"], request["EventBusName"], request["State"], request["Description"]) == ("r", "b", "ENABLED", "")
