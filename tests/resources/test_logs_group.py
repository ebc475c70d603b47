"""logs.group against moto: retention, KMS key, tags, delete (and the data it holds), conflicts, quirks."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any, Callable

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.engine.apply import DataLossRefused
from cabructl.resources.logs_group import HANDLER, group_arn, live_attributes, search_prefixes
from cabructl.topology import Topology

KINDS = [HANDLER]
ADDRESS = "logs.group.agents"
NAME = "/aws/events/cabruca-segmentation-prod/agents"
PREFIX = "cabruca-segmentation-prod-"


def _with_group(topology: Topology, **changes: Any) -> Topology:
    group = topology.log_groups["agents"]
    return replace(topology, log_groups={"agents": replace(group, **changes)})


def _described(aws: Aws, name: str = NAME) -> dict[str, Any]:
    [group] = [g for g in aws.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    return group


def _tags(aws: Aws, name: str = NAME) -> dict[str, str]:
    return aws.client("logs").list_tags_for_resource(resourceArn=group_arn(_described(aws, name)))["tags"]


def test_create_sets_retention_and_tags_and_a_second_plan_is_empty(aws: Aws, topology: Topology, converge: Callable) -> None:
    plan = converge(topology, KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.CREATE)]
    assert _described(aws)["retentionInDays"] == 7
    assert _tags(aws)["cabructl:topology"] == "cabruca-segmentation/prod"


@pytest.mark.parametrize("retention_seconds, expected_days, write", [
    pytest.param(30 * 86_400, 30, "logs:PutRetentionPolicy", id="longer"),
    pytest.param(None, None, "logs:DeleteRetentionPolicy", id="never-expire"),
])
def test_retention_updates_in_place(aws: Aws, topology: Topology, converge: Callable, plan_for: Callable,
                                    retention_seconds: int | None, expected_days: int | None, write: str) -> None:
    converge(topology, KINDS)
    changed = _with_group(topology, retention_seconds=retention_seconds)

    [change] = plan_for(changed, KINDS).changes
    assert (change.action, change.changed_attributes) == (Action.UPDATE, ("retention_days",))
    aws.calls.reset()
    converge(changed, KINDS)

    assert aws.calls.write_calls() == [write]
    assert _described(aws).get("retentionInDays") == expected_days


def test_never_expiring_group_is_created_without_a_retention_policy(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(_with_group(topology, retention_seconds=None), KINDS)

    assert "retentionInDays" not in _described(aws)
    assert aws.calls.write_calls() == ["logs:CreateLogGroup"]


def test_a_kms_key_added_outside_cabructl_is_drift_and_is_disassociated(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    """moto has no (Dis)AssociateKmsKey: the call is answered by a botocore hook and recorded."""
    aws.client("logs").create_log_group(logGroupName=NAME, kmsKeyId="arn:aws:kms:sa-east-1:123456789012:key/k",
                                        tags=topology.resource_tags(address=ADDRESS))
    aws.client("logs").put_retention_policy(logGroupName=NAME, retentionInDays=7)
    plan = plan_for(topology, KINDS)
    [change] = plan.changes
    assert (change.action, change.changed_attributes) == (Action.UPDATE, ("kms_key",))

    answered: list[dict[str, Any]] = []
    aws.add_hook("before-call.cloudwatch-logs.DisassociateKmsKey", _answer(answered))
    result = Engine(topology, aws, kinds=KINDS).apply(plan)

    assert result.ok
    assert answered == [{"logGroupName": NAME}]


def _answer(record: list[dict[str, Any]]) -> Callable[..., Any]:
    class _Ok:
        status_code = 200

    def hook(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        record.append(json.loads(params["body"]))
        return _Ok(), {}

    return hook


def test_tag_change_touches_only_tags(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(_with_group(topology, tags={"Team": "ops", "Pager": "yes"}), KINDS)
    aws.calls.reset()

    converge(_with_group(topology, tags={"Team": "platform"}), KINDS)

    assert sorted(aws.calls.write_calls()) == ["logs:TagResource", "logs:UntagResource"]
    assert _tags(aws)["Team"] == "platform" and "Pager" not in _tags(aws)


def test_group_removed_from_the_topology_is_found_beside_the_others_and_deleted(aws: Aws, topology: Topology,
                                                                               converge: Callable) -> None:
    old = replace(topology.log_groups["agents"], logical="old", name="/aws/events/cabruca-segmentation-prod/old")
    converge(replace(topology, log_groups={**topology.log_groups, "old": old}), KINDS)

    plan = converge(topology, KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [("logs.group.old", Action.DELETE)]  # its recorded address
    assert [g["logGroupName"] for g in aws.client("logs").describe_log_groups()["logGroups"]] == [NAME]


def test_deleting_a_group_with_stored_events_needs_consent(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(topology, KINDS)
    logs = aws.client("logs")
    logs.create_log_stream(logGroupName=NAME, logStreamName="s")
    logs.put_log_events(logGroupName=NAME, logStreamName="s", logEvents=[{"timestamp": int(time.time() * 1000), "message": "an event"}])

    engine = Engine(topology, aws, kinds=KINDS)
    plan = engine.plan(destroy=True)

    [change] = plan.changes
    assert (change.action, change.data_loss) == (Action.DELETE, "8 bytes of log events")
    with pytest.raises(DataLossRefused):
        engine.apply(plan)


def test_unowned_group_with_a_desired_name_is_a_conflict(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    aws.client("logs").create_log_group(logGroupName=NAME)
    aws.client("logs").create_log_group(logGroupName="/aws/events/cabruca-segmentation-prod/not-ours")

    plan = plan_for(topology, KINDS)

    assert [conflict.address for conflict in plan.conflicts] == [ADDRESS]
    assert plan.changes == ()


@pytest.mark.parametrize("names, expected", [
    pytest.param([], [PREFIX], id="prefix-only"),
    pytest.param([PREFIX + "a"], [PREFIX], id="names-under-the-prefix"),
    pytest.param(["/aws/events/p/a", "/aws/events/p/b"], ["/aws/events/p/", PREFIX], id="one-folder-for-siblings"),
    pytest.param(["/aws/events/p/a", "/aws/events/p/x/b"], ["/aws/events/p/", PREFIX], id="nested-folder-covered"),
    pytest.param(["/lonely"], ["/lonely", PREFIX], id="no-folder-stands-for-itself"),
    pytest.param([PREFIX + "x/y"], [PREFIX], id="folder-inside-prefix"),
])
def test_search_prefixes_cover_every_name_with_fewest_searches(names: list[str], expected: list[str]) -> None:
    assert search_prefixes(PREFIX, names) == expected


@pytest.mark.parametrize("group, expected", [
    pytest.param({"logGroupName": "g"}, {"retention_days": None, "kms_key": None}, id="no-retention-means-never-expire"),
    pytest.param({"logGroupName": "g", "retentionInDays": 14, "kmsKeyId": "k"}, {"retention_days": 14, "kms_key": "k"}, id="set"),
])
def test_live_attributes_normalise(group: dict[str, Any], expected: dict[str, Any]) -> None:
    live = live_attributes(group, {})
    assert {key: live[key] for key in expected} == expected


@pytest.mark.parametrize("group, expected", [
    pytest.param({"logGroupArn": "arn:g", "arn": "arn:g:*"}, "arn:g", id="log-group-arn"),
    pytest.param({"arn": "arn:g:*"}, "arn:g", id="stream-wildcard-removed"),
])
def test_group_arn_is_the_one_tagging_takes(group: dict[str, Any], expected: str) -> None:
    assert group_arn(group) == expected
