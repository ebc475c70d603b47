"""cloudwatch.alarm against moto: every field, full-field updates, tags apart, delete, conflicts, quirks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action
from cabructl.resources.arns import tag_list
from cabructl.resources.cloudwatch_alarm import HANDLER, live_attributes
from cabructl.topology import Topology

KINDS = [HANDLER]
ADDRESS = "cloudwatch.alarm.cost_alarm"
NAME = "cabruca-segmentation-prod-eventbridge-cost-alarm"
TOPIC_ARN = "arn:aws:sns:sa-east-1:123456789012:cabruca-segmentation-prod-critical-alerts"


def _alarm(aws: Aws) -> dict[str, Any]:
    [alarm] = aws.client("cloudwatch").describe_alarms(AlarmNames=[NAME])["MetricAlarms"]
    return alarm


def _tags(aws: Aws) -> dict[str, str]:
    tags = aws.client("cloudwatch").list_tags_for_resource(ResourceARN=_alarm(aws)["AlarmArn"])["Tags"]
    return {tag["Key"]: tag["Value"] for tag in tags}


def _with_alarm(topology: Topology, **changes: Any) -> Topology:
    assert topology.cost_alarm is not None
    return replace(topology, cost_alarm=replace(topology.cost_alarm, **changes))


def test_create_sets_every_field_and_a_second_plan_is_empty(aws: Aws, topology: Topology, converge: Callable) -> None:
    plan = converge(topology, KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.CREATE)]
    alarm = _alarm(aws)
    assert {key: alarm[key] for key in ("Namespace", "MetricName", "Dimensions", "Statistic", "Period", "EvaluationPeriods",
                                        "Threshold", "ComparisonOperator", "TreatMissingData", "AlarmActions")} == {
        "Namespace": "AWS/Events",
        "MetricName": "MatchedEvents",
        "Dimensions": [{"Name": "EventBusName", "Value": "cabruca-agents-bus"}],
        "Statistic": "Sum",
        "Period": 3600,
        "EvaluationPeriods": 1,
        "Threshold": 7500.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [TOPIC_ARN],
    }
    assert _tags(aws)["managed-by"] == "cabructl"
    assert plan.changes[0].after.depends_on == ("sns.topic.critical-alerts",)


UPDATES = [
    pytest.param({"threshold": 9000.0}, "threshold", "Threshold", 9000.0, id="threshold"),
    pytest.param({"period": 300}, "period", "Period", 300, id="period"),
    pytest.param({"evaluation_periods": 3}, "evaluation_periods", "EvaluationPeriods", 3, id="evaluation-periods"),
    pytest.param({"statistic": "Maximum"}, "statistic", "Statistic", "Maximum", id="statistic"),
    pytest.param({"metric": "Invocations"}, "metric", "MetricName", "Invocations", id="metric"),
    pytest.param({"description": "new words"}, "description", "AlarmDescription", "new words", id="description"),
    pytest.param({"actions": ()}, "actions", "AlarmActions", [], id="actions-removed"),
]


@pytest.mark.parametrize("changes, attribute, field, expected", UPDATES)
def test_each_field_updates_in_place_with_one_full_put(aws: Aws, topology: Topology, converge: Callable, plan_for: Callable,
                                                      changes: dict[str, Any], attribute: str, field: str, expected: Any) -> None:
    converge(topology, KINDS)
    changed = _with_alarm(topology, **changes)

    [planned] = plan_for(changed, KINDS).changes
    assert (planned.action, planned.changed_attributes) == (Action.UPDATE, (attribute,))
    aws.calls.reset()
    converge(changed, KINDS)

    assert aws.calls.write_calls() == ["cloudwatch:PutMetricAlarm"]
    assert _alarm(aws).get(field, []) == expected
    assert _tags(aws)["managed-by"] == "cabructl"  # a full put must not lose the tags


def test_bus_rename_moves_the_dimension(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(topology, KINDS)

    converge(replace(topology, bus=replace(topology.bus, name="other-bus")), KINDS)

    assert _alarm(aws)["Dimensions"] == [{"Name": "EventBusName", "Value": "other-bus"}]


def test_tag_change_touches_only_tags(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(_with_alarm(topology, tags={"Team": "ops", "Pager": "yes"}), KINDS)
    aws.calls.reset()

    converge(_with_alarm(topology, tags={"Team": "platform"}), KINDS)

    assert sorted(aws.calls.write_calls()) == ["cloudwatch:TagResource", "cloudwatch:UntagResource"]
    assert _tags(aws)["Team"] == "platform" and "Pager" not in _tags(aws)


def test_alarm_removed_from_the_topology_is_deleted(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(topology, KINDS)

    plan = converge(replace(topology, cost_alarm=None), KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.DELETE)]
    assert aws.client("cloudwatch").describe_alarms()["MetricAlarms"] == []


def _put_foreign_alarm(aws: Aws, name: str, tags: dict[str, str] | None = None) -> None:
    aws.client("cloudwatch").put_metric_alarm(
        AlarmName=name, Namespace="AWS/Events", MetricName="MatchedEvents", Statistic="Sum", Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanThreshold", Tags=tag_list(tags or {}))


def test_unowned_alarm_with_the_desired_name_is_a_conflict(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    _put_foreign_alarm(aws, NAME, {"managed-by": "someone-else"})

    plan = plan_for(topology, KINDS)

    assert [conflict.address for conflict in plan.conflicts] == [ADDRESS]
    assert plan.changes == ()


def test_alarms_of_others_are_invisible_even_under_the_prefix(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    _put_foreign_alarm(aws, "cabruca-segmentation-prod-hand-made")
    _put_foreign_alarm(aws, "unrelated")

    plan = plan_for(topology, KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.CREATE)]


def test_an_explicit_name_outside_the_prefix_is_found(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(_with_alarm(topology, name="budget-alarm"), KINDS)  # converge asserts the second plan is empty

    assert aws.client("cloudwatch").describe_alarms(AlarmNames=["budget-alarm"])["MetricAlarms"]


# -- normalisation: one case per quirk of DescribeAlarms -----------------------------------------
@pytest.mark.parametrize("alarm, expected", [
    pytest.param({"Threshold": 7600}, {"threshold": 7600.0}, id="threshold-int-is-float"),
    pytest.param({}, {"treat_missing_data": "missing", "description": "", "actions_enabled": True, "actions": []},
                 id="absent-fields-are-cloudwatch-defaults"),
    pytest.param({"AlarmActions": ["arn:b", "arn:a"]}, {"actions": ["arn:a", "arn:b"]}, id="action-order"),
    pytest.param({"Dimensions": [{"Name": "B", "Value": "2"}, {"Name": "A", "Value": "1"}]}, {"dimensions": {"A": "1", "B": "2"}},
                 id="dimension-list-is-a-map"),
])
def test_live_attributes_normalise(alarm: dict[str, Any], expected: dict[str, Any]) -> None:
    live = live_attributes(alarm, {})
    assert {key: live[key] for key in expected} == expected
