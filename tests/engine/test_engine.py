"""The engine's promises, against moto in-process with real handlers.

Idempotence (a second apply makes zero writes), ownership (unowned is a conflict,
never touched; --adopt takes it over), nothing lost (data-loss refusal), --target,
saved plans (exact, refused when stale), graph order, and the plan JSON contract.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner
from moto import mock_aws

from cabructl.aws import Aws, AwsSettings
from cabructl.engine import Action, Engine, StalePlan
from cabructl.engine.plan import Reason
from cabructl.engine.apply import DataLossRefused
from cabructl.engine.graph import write_batches
from cabructl.errors import CabructlError
from cabructl.resources import sns_topic, sqs_queue
from cabructl.topology import load_topology
from cabructl.topology.model import Topology
from support import TOPOLOGY

KINDS = (sqs_queue.HANDLER, sns_topic.HANDLER)


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        yield Aws(AwsSettings(region="sa-east-1"))


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(str(TOPOLOGY))


def engine(topology: Topology, aws: Aws) -> Engine:
    return Engine(topology, aws, kinds=KINDS)


def converge(topology: Topology, aws: Aws) -> None:
    result = engine(topology, aws).apply(engine(topology, aws).plan())
    assert result.ok


def test_second_apply_makes_zero_write_calls(topology: Topology, aws: Aws) -> None:
    converge(topology, aws)
    aws.calls.reset()
    second = engine(topology, aws)
    plan = second.plan()
    assert plan.empty
    second.apply(plan)
    assert aws.calls.writes == 0, aws.calls.write_calls()


def test_plan_json_follows_the_contract(topology: Topology, aws: Aws) -> None:
    document = engine(topology, aws).plan().to_json()
    assert set(document) >= {"format_version", "topology", "environment", "region", "changes", "summary"}
    assert document["format_version"] == 1 and document["environment"] == "prod" and document["region"] == "sa-east-1"
    assert document["summary"] == {"create": 6, "update": 0, "replace": 0, "delete": 0}
    change = next(c for c in document["changes"] if c["address"] == "sqs.queue.eventbridge-dlq")
    assert set(change) >= {"address", "kind", "action", "before", "after", "diff"}
    assert (change["kind"], change["action"], change["before"]) == ("sqs.queue", "create", None)
    assert (change["reason"], change["adopt"]) == ("declared", False)  # a stable enum value, not prose
    assert change["after"]["retention"] == 14 * 86400
    json.dumps(document)  # serialisable as it is


def test_unowned_resource_with_a_desired_name_is_a_conflict_until_adopted(topology: Topology, aws: Aws) -> None:
    name = topology.queues["cicd-changes"].name
    url = aws.client("sqs").create_queue(QueueName=name, Attributes={"VisibilityTimeout": "9"})["QueueUrl"]
    plan = engine(topology, aws).plan()
    assert [c.address for c in plan.conflicts] == ["sqs.queue.cicd-changes"]
    assert "--adopt sqs.queue.cicd-changes" in plan.conflicts[0].message
    assert "sqs.queue.cicd-changes" not in {c.address for c in plan.changes}
    with pytest.raises(CabructlError, match="the plan has conflicts; nothing was changed"):
        engine(topology, aws).apply(plan)
    assert aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "9"

    adopting = engine(topology, aws)
    plan = adopting.plan(adopt=["sqs.queue.cicd-changes"])
    change = next(c for c in plan.changes if c.address == "sqs.queue.cicd-changes")
    assert change.action is Action.UPDATE and change.reason is Reason.ADOPTED and change.adopt
    assert adopting.apply(plan).ok
    assert engine(topology, aws).plan().empty
    assert aws.client("sqs").list_queue_tags(QueueUrl=url)["Tags"]["managed-by"] == "cabructl"


def test_deleting_a_queue_with_messages_is_refused_without_consent(topology: Topology, aws: Aws) -> None:
    converge(topology, aws)
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=topology.queues["cicd-changes"].name)["QueueUrl"]
    for _ in range(3):
        sqs.send_message(QueueUrl=url, MessageBody="work")
    smaller = replace(topology, queues={k: v for k, v in topology.queues.items() if k != "cicd-changes"},
                      rules={k: v for k, v in topology.rules.items() if k != "code-change-routing"})
    plan = engine(smaller, aws).plan()
    change = next(c for c in plan.changes if c.address == "sqs.queue.cicd-changes")
    assert change.action is Action.DELETE and change.data_loss == "3 messages"
    with pytest.raises(DataLossRefused, match="holds 3 messages"):
        engine(smaller, aws).apply(plan)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"] == "3"
    assert engine(smaller, aws).apply(plan, allow_data_loss=True).ok
    assert engine(smaller, aws).plan().empty


def test_replacing_a_queue_deletes_then_creates(topology: Topology, aws: Aws) -> None:
    converge(topology, aws)
    queue = topology.queues["test-investigation"]
    fifo = replace(queue, fifo=True)
    changed = replace(topology, queues={**topology.queues, "test-investigation": replace(fifo, name=queue.name)})
    plan = engine(changed, aws).plan()
    change = next(c for c in plan.changes if c.address == "sqs.queue.test-investigation")
    assert change.action is Action.REPLACE and change.replace_fields == ("fifo",)
    assert (change.reason, change.explanation) == (Reason.CANNOT_UPDATE, "fifo cannot change in place")


def test_target_limits_the_plan_to_an_address_and_its_dependencies(topology: Topology, aws: Aws) -> None:
    plan = engine(topology, aws).plan(targets=["sqs.queue.eventbridge-dlq"])
    assert [c.address for c in plan.changes] == ["sqs.queue.eventbridge-dlq"]
    with pytest.raises(CabructlError, match="no such address") as error:
        engine(topology, aws).plan(targets=["sqs.queue.eventbridge-dql"])
    assert error.value.hint == 'did you mean "sqs.queue.eventbridge-dlq"?'


def saved(planner: Engine, folder: Path) -> str:
    """``plan --out``: the plan of ``planner`` written to a file."""
    path = str(folder / "plan.json")
    planner.save_plan(planner.plan(), path)
    return path


def test_saved_plan_is_refused_when_live_aws_changed(topology: Topology, aws: Aws, tmp_path: Path) -> None:
    converge(topology, aws)
    changed = replace(topology, queues={**topology.queues, "cicd-changes": replace(topology.queues["cicd-changes"], visibility_timeout=60)})
    path = saved(engine(changed, aws), tmp_path)
    assert [c.address for c in engine(changed, aws).load_plan(path).changes] == ["sqs.queue.cicd-changes"]
    url = aws.client("sqs").get_queue_url(QueueName=topology.queues["eventbridge-dlq"].name)["QueueUrl"]
    aws.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "5"})
    with pytest.raises(StalePlan, match="live AWS changed"):
        engine(changed, aws).load_plan(path)


def test_saved_plan_applies_exactly_what_it_says(topology: Topology, aws: Aws, tmp_path: Path) -> None:
    converge(topology, aws)
    changed = replace(topology, queues={**topology.queues, "cicd-changes": replace(topology.queues["cicd-changes"], visibility_timeout=60)})
    path = saved(engine(changed, aws), tmp_path)
    runner = engine(topology, aws)  # the file went back; the saved plan is still applied exactly
    assert runner.apply(runner.load_plan(path)).ok
    url = aws.client("sqs").get_queue_url(QueueName=topology.queues["cicd-changes"].name)["QueueUrl"]
    assert aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "60"


def test_writes_wait_for_what_they_depend_on(topology: Topology, aws: Aws) -> None:
    from cabructl.resources import handlers

    full = Engine(topology, aws, kinds=handlers())
    desired = full.desired()
    from cabructl.engine.plan import diff_states

    changes, _ = diff_states(desired, {}, full.by_kind)
    position = {change.address: index for index, batch in enumerate(write_batches(changes)) for change in batch}
    for change in changes:
        for dependency in change.after.depends_on if change.after else ():
            if dependency in position:
                assert position[dependency] < position[change.address], (dependency, change.address)
    assert position["sqs.queue.eventbridge-dlq"] < position["events.target.failed-tests/failed-tests-queue"]
    assert position["events.rule.failed-tests"] < position["events.target.failed-tests/failed-tests-queue"]


def test_plan_cli_out_then_apply_planfile(tmp_path: Path, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """`plan --out` then `apply FILE` through the CLI (moto in-process behind the real command)."""
    from cabructl.cli import cli

    monkeypatch.setattr("cabructl.engine.handlers", lambda: KINDS)
    runner = CliRunner()
    out = tmp_path / "plan.json"
    result = runner.invoke(cli, ["plan", "-f", str(TOPOLOGY), "--out", str(out), "--detailed-exitcode"])
    assert result.exit_code == 2, result.output
    assert f"cabructl apply {out}" in result.output
    applied = runner.invoke(cli, ["apply", str(out), "-f", str(TOPOLOGY), "--auto-approve"])
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 6 changes made." in applied.output
    again = runner.invoke(cli, ["apply", str(out), "-f", str(TOPOLOGY), "--auto-approve"])
    assert again.exit_code == 1 and "live AWS changed since this plan was made" in again.output

