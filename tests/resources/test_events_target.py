"""events.target against moto: owned through the rule, retry defaults on both sides, PutTargets in place."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from moto import mock_aws

from cabructl.aws import Aws, AwsSettings
from cabructl.constants import RETRY_DEFAULTS
from cabructl.engine import Action, Engine
from cabructl.errors import AwsError
from cabructl.resources import events_bus, events_rule, events_target
from cabructl.resources.base import Context, Resource
from cabructl.topology import Topology
from cabructl.topology.model import RetryPolicy

KINDS = [events_bus.HANDLER, events_rule.HANDLER, events_target.HANDLER]
RULE = "critical-issues"
ADDRESS = "events.target.critical-issues/critical-issues-sns"
CONTEXT = Context("123456789012", "sa-east-1")


def with_target(topology: Topology, rule: str = RULE, index: int = 0, **changes: Any) -> Topology:
    original = topology.rules[rule]
    targets = list(original.targets)
    targets[index] = replace(targets[index], **changes)
    return replace(topology, rules={**topology.rules, rule: replace(original, targets=tuple(targets))})


def target_changes(plan: Any) -> list[tuple[str, Action, tuple[str, ...]]]:
    """Target changes as (address, action, changed attributes); creates and deletes change everything."""
    whole = (Action.CREATE, Action.DELETE)
    return [(change.address, change.action, () if change.action in whole else change.changed_attributes)
            for change in plan.changes if change.kind == events_target.KIND]


def put_foreign_target(aws: Aws, topology: Topology, rule: str, **target: Any) -> None:
    response = aws.client("events").put_targets(Rule=topology.rules[rule].name, EventBusName=topology.bus.name, Targets=[target])
    assert response["FailedEntryCount"] == 0


def test_create_reads_back_as_declared_and_the_next_plan_is_empty(aws: Aws, topology: Topology, converge: Any) -> None:
    plan = converge(topology, KINDS)
    declared = sorted(f"events.target.{logical}/{target.id}" for logical, rule in topology.rules.items() for target in rule.targets)
    assert [address for address, action, _ in target_changes(plan) if action is Action.CREATE] == declared
    live = Engine(topology, aws, kinds=KINDS).live()[ADDRESS]
    assert live.parent == f"events.rule.{RULE}"
    assert live.attributes == {
        "arn": f"arn:aws:sns:sa-east-1:123456789012:{topology.topics['critical-alerts'].name}",
        "retry": {"attempts": 5, "max_age": 1800},
        "dead_letter_arn": f"arn:aws:sqs:sa-east-1:123456789012:{topology.queues['critical-events-dlq'].name}",
        "role_arn": None,
        "input": None,
        "input_path": None,
        "input_transformer": None,
        "message_group": None,
        "partition_key": None,
        "http": None,
    }


def test_discovery_and_apply_in_parallel_converge_too(topology: Topology) -> None:
    """The same converge with the thread pools on: clients per thread, parallel reads and writes."""
    with mock_aws():
        aws = Aws(AwsSettings(region="sa-east-1", max_workers=2))
        engine = Engine(topology, aws, kinds=KINDS)
        assert engine.apply(engine.plan()).ok
        assert Engine(topology, aws, kinds=KINDS).plan().empty


def test_discovery_reads_targets_only_of_owned_rules(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    aws.calls.reset()
    Engine(topology, aws, kinds=[events_target.HANDLER]).plan()
    rules = len(topology.rules)
    assert dict(aws.calls.counts) == {("events", "ListEventBuses"): 1, ("events", "DescribeEventBus"): 1,
                                      ("resourcegroupstaggingapi", "GetResources"): 1, ("events", "ListRules"): 1,
                                      ("events", "ListTargetsByRule"): rules}


@pytest.mark.parametrize(
    ("changes", "attribute"),
    [
        pytest.param({"retry": RetryPolicy(attempts=8, max_age_seconds=1800)}, "retry", id="retry-attempts"),
        pytest.param({"retry": RetryPolicy(attempts=5, max_age_seconds=3600)}, "retry", id="retry-max-age"),
        pytest.param({"retry": None}, "retry", id="retry-back-to-defaults"),
        pytest.param({"dead_letter": "eventbridge-dlq"}, "dead_letter_arn", id="dead-letter"),
        pytest.param({"dead_letter": None}, "dead_letter_arn", id="no-dead-letter"),
        pytest.param({"kind": "queue", "ref": "test-investigation"}, "arn", id="destination"),
        pytest.param({"input": '{"page": true}'}, "input", id="input"),
        pytest.param({"role_arn": "arn:aws:iam::123456789012:role/events-to-sns"}, "role_arn", id="role"),
    ],
)
def test_attributes_change_in_place_with_put_targets(aws: Aws, topology: Topology, converge: Any,
                                                     changes: dict[str, Any], attribute: str) -> None:
    converge(topology, KINDS)
    aws.calls.reset()
    plan = converge(with_target(topology, **changes), KINDS)
    assert target_changes(plan) == [(ADDRESS, Action.UPDATE, (attribute,))]
    assert aws.calls.write_calls() == ["events:PutTargets"]


def test_a_target_written_without_retry_policy_equals_one_declared_without_retry(aws: Aws, topology: Topology, converge: Any,
                                                                                  plan_for: Any) -> None:
    without_retry = with_target(topology, retry=None)
    converge(without_retry, KINDS)
    [declared] = [r for r in events_target.HANDLER.desired(without_retry, CONTEXT) if r.address == ADDRESS]
    put_foreign_target(aws, topology, RULE, Id=declared.name, Arn=declared.attributes["arn"],
                       DeadLetterConfig={"Arn": declared.attributes["dead_letter_arn"]})
    assert target_changes(plan_for(without_retry, KINDS)) == []


def test_an_undeclared_target_on_an_owned_rule_is_deleted(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    put_foreign_target(aws, topology, RULE, Id="added-by-hand", Arn="arn:aws:sqs:sa-east-1:123456789012:somewhere")
    aws.calls.reset()
    plan = converge(topology, KINDS)
    assert target_changes(plan) == [("events.target.critical-issues/added-by-hand", Action.DELETE, ())]
    assert aws.calls.write_calls() == ["events:RemoveTargets"]


def test_a_rule_no_longer_declared_goes_with_its_targets(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    rules = {logical: rule for logical, rule in topology.rules.items() if logical != RULE}
    plan = converge(replace(topology, rules=rules), KINDS)
    expected = [(f"events.rule.{RULE}", Action.DELETE), (ADDRESS, Action.DELETE)]
    assert [(change.address, change.action) for change in plan.changes] == expected


def test_targets_of_a_rule_the_topology_does_not_own_are_never_read(aws: Aws, topology: Topology, converge: Any,
                                                                     plan_for: Any) -> None:
    converge(replace(topology, rules={}), KINDS)
    rule = topology.rules[RULE]
    aws.client("events").put_rule(Name=rule.name, EventBusName=topology.bus.name, EventPattern='{"source":["x"]}')
    put_foreign_target(aws, topology, RULE, Id="theirs", Arn="arn:aws:sqs:sa-east-1:123456789012:theirs")
    plan = plan_for(replace(topology, rules={RULE: rule}), KINDS)
    assert [conflict.address for conflict in plan.conflicts] == [f"events.rule.{RULE}"]
    assert target_changes(plan) == [(ADDRESS, Action.CREATE, ())]  # refused at apply: the plan has a conflict


def test_a_logs_target_never_carries_a_role(topology: Topology) -> None:
    """A role on a CloudWatch Logs target is rejected by AWS; the topology check reports it, and the handler never sends it."""
    logs_rule = next(logical for logical, rule in topology.rules.items() if rule.targets[0].kind == "log_group")
    topology = with_target(topology, logs_rule, role_arn="arn:aws:iam::123456789012:role/r")
    [resource] = [r for r in events_target.HANDLER.desired(topology, CONTEXT) if r.address.startswith(f"events.target.{logs_rule}/")]
    assert resource.attributes["role_arn"] is None
    assert "RoleArn" not in events_target.target_entry(resource)


def test_a_target_depends_on_its_rule_destination_and_dead_letter_queue(topology: Topology) -> None:
    [resource] = [r for r in events_target.HANDLER.desired(topology, CONTEXT) if r.address == ADDRESS]
    assert resource.depends_on == (f"events.rule.{RULE}", "sns.topic.critical-alerts", "sqs.queue.critical-events-dlq")


# -- normalisation: one pure function per quirk ------------------------------------------

DEFAULTS = {"attempts": RETRY_DEFAULTS["attempts"], "max_age": RETRY_DEFAULTS["max_age"]}


@pytest.mark.parametrize(
    ("retry_policy", "expected"),
    [
        pytest.param(None, DEFAULTS, id="absent-is-defaults"),
        pytest.param({}, DEFAULTS, id="empty-is-defaults"),
        pytest.param({"MaximumRetryAttempts": 3}, {**DEFAULTS, "attempts": 3}, id="attempts-only"),
        pytest.param({"MaximumEventAgeInSeconds": 3600}, {**DEFAULTS, "max_age": 3600}, id="age-only"),
        pytest.param({"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}, {"attempts": 0, "max_age": 60}, id="zero-attempts-kept"),
    ],
)
def test_live_retry_policy_fills_aws_defaults(retry_policy: dict[str, int] | None, expected: dict[str, int]) -> None:
    listed = {"Id": "t", "Arn": "arn:aws:sqs:sa-east-1:1:q", **({"RetryPolicy": retry_policy} if retry_policy is not None else {})}
    assert events_target.live_attributes(listed)["retry"] == expected


@pytest.mark.parametrize(
    ("attempts", "max_age", "expected"),
    [
        pytest.param(None, None, DEFAULTS, id="unset"),
        pytest.param(3, None, {**DEFAULTS, "attempts": 3}, id="attempts"),
        pytest.param(None, 600, {**DEFAULTS, "max_age": 600}, id="max-age"),
    ],
)
def test_canonical_retry(attempts: int | None, max_age: int | None, expected: dict[str, int]) -> None:
    assert events_target.canonical_retry(attempts, max_age) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param('{ "b": 1,  "a": [4.0] }', '{"a":[4.0],"b":1}', id="json-compacted-and-sorted"),
        pytest.param('"hello"', '"hello"', id="json-string-stays-quoted"),
        pytest.param("not json", "not json", id="not-json-kept-as-written"),
    ],
)
def test_canonical_input(text: str | None, expected: str | None) -> None:
    assert events_target.canonical_input(text) == expected


def test_the_retry_policy_is_always_sent_in_full() -> None:
    """terraform-provider-aws#38265: an omitted age sent as 0 is a 400. Unset fields are sent as AWS's defaults."""
    attributes = {"arn": "arn:aws:sqs:sa-east-1:1:q", "retry": events_target.canonical_retry(2, None),
                  "dead_letter_arn": None, "role_arn": None, "input": None}
    entry = events_target.target_entry(Resource("events.target.r/t", "events.target", "t", attributes))
    assert entry == {"Id": "t", "Arn": "arn:aws:sqs:sa-east-1:1:q",
                     "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": RETRY_DEFAULTS["max_age"]}}


@pytest.mark.parametrize(
    ("response", "error"),
    [
        pytest.param(None, None, id="rule-gone"),
        pytest.param({"FailedEntryCount": 0, "FailedEntries": []}, None, id="all-written"),
        pytest.param({"FailedEntryCount": 1, "FailedEntries": [{"TargetId": "t", "ErrorCode": "ValidationException",
                                                                 "ErrorMessage": "RoleArn is not supported"}]},
                     "putting target x: t: ValidationException: RoleArn is not supported", id="failed-entry-raised"),
    ],
)
def test_failed_entries_are_errors(response: dict[str, Any] | None, error: str | None) -> None:
    if error is None:
        events_target.raise_failed_entries(response, "putting target x")
        return
    with pytest.raises(AwsError, match=error):
        events_target.raise_failed_entries(response, "putting target x")
