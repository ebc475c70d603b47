"""A running command's temporary resources (a tail's queue and target) on the embedded endpoint.

While their lease runs, plan leaves them alone and drift calls them ephemeral; once it has
ended (the tail was killed), plan deletes them as leftovers, never behind a data-loss guard;
destroy deletes them whatever the lease. Time is a parameter here, so no test waits for a lease.
"""

from __future__ import annotations

import json
from typing import Any

from cabructl.engine import Action
from cabructl.engine.drift import classify
from cabructl.operations.tail import Tail


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def started(deployment: Any, clock: Clock, lease: float = 180.0) -> Tail:
    tail = Tail(deployment.topology, deployment.aws(), "failed-tests", lease_seconds=lease, clock=clock)
    tail.start()
    return tail


def test_a_running_tail_is_no_change_and_no_drift_but_listed_as_ephemeral(deploy: Any) -> None:
    deployment = deploy()
    clock = Clock()
    tail = started(deployment, clock)
    engine = deployment.engine()
    plan = engine.plan(now=clock.now + 60)
    assert plan.empty
    assert sorted(item.address for item in plan.ephemeral) == sorted(tail.addresses)
    assert all(item.made_by == "cabructl tail" for item in plan.ephemeral)
    report = classify(plan, engine.live(), deployment.topology.project)
    assert not report.has_drift and len(report.ephemeral) == 2
    assert {item["name"] for item in report.to_json()["ephemeral"]} == {tail.queue_name, tail.target_id}
    assert tail.stop() == [tail.target_address, tail.queue_address]  # the target first, then its queue


def test_after_the_lease_the_leftovers_are_deleted_without_a_data_loss_guard(deploy: Any) -> None:
    deployment = deploy()
    clock = Clock()
    tail = started(deployment, clock, lease=30)
    deployment.client("sqs").send_message(QueueUrl=tail.queue_url, MessageBody=json.dumps({"id": "a copy"}))
    engine = deployment.engine()
    plan = engine.plan(now=clock.now + 31)
    deletions = {change.address: change for change in plan.changes if change.action is Action.DELETE}
    assert set(deletions) == set(tail.addresses) and plan.ephemeral == ()
    assert all("left over by a `cabructl tail` that did not clean up" in (change.explanation or "") for change in deletions.values())
    assert all(change.data_loss is None for change in deletions.values())
    assert {change.to_json()["reason"] for change in deletions.values()} == {"left_over"}  # what a tool switches on
    result = engine.apply(plan)  # no --allow-data-loss: what a tail's queue holds is a copy
    assert result.ok and [outcome.change.address for outcome in result.done] == [tail.target_address, tail.queue_address]
    assert engine.verify([outcome.change for outcome in result.done]) == []


def test_a_renewed_lease_keeps_the_tail_alive_past_its_first_lease(deploy: Any) -> None:
    deployment = deploy()
    clock = Clock()
    tail = started(deployment, clock, lease=30)
    clock.now += 20
    tail.renew()
    assert deployment.engine().plan(now=clock.now + 25).empty  # past the first lease, within the renewed one
    tail.stop()


def test_destroy_deletes_a_running_tail_too(deploy: Any) -> None:
    deployment = deploy()
    clock = Clock()
    tail = started(deployment, clock)
    plan = deployment.engine().plan(destroy=True, now=clock.now)
    assert set(tail.addresses) <= {change.address for change in plan.changes if change.action is Action.DELETE}
    tail.stop()


def test_a_tail_writes_nothing_else_however_far_the_rest_has_drifted(deploy: Any) -> None:
    deployment = deploy()
    events = deployment.client("events")
    rule = deployment.topology.rules["failed-tests"]
    events.put_rule(Name=rule.name, EventBusName=deployment.bus, EventPattern=json.dumps({"source": ["drifted"]}))
    tail = started(deployment, Clock())
    listed = events.list_rules(EventBusName=deployment.bus, NamePrefix=rule.name)["Rules"]
    assert json.loads(listed[0]["EventPattern"]) == {"source": ["drifted"]}  # the tail left the rule's drift alone
    tail.stop()
