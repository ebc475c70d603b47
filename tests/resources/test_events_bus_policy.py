"""events.bus_policy against moto: a foreign agent's grant in the bus's policy, shared with others.

cabructl writes, changes and removes only the statements whose Sid is this topology's, keeps
every statement someone else added exactly as it was, and reports ours when someone removed
or changed them.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.engine.drift import detect_drift
from cabructl.resources import events_bus
from cabructl.resources.documents import normalize_policy
from cabructl.resources.events_bus_policy import ADDRESS, HANDLER
from cabructl.topology import Topology

KINDS = [events_bus.HANDLER, HANDLER]
FOREIGN = "111122223333"
OTHER = "444455556666"
THEIRS = {"Sid": "made-by-hand", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
          "Action": "events:PutEvents", "Resource": "RESOURCE"}


def with_accounts(topology: Topology, agent: str = "monitor", *accounts: str) -> Topology:
    agents = dict(topology.agents)
    agents[agent] = replace(agents[agent], accounts=accounts)
    return replace(topology, agents=agents)


def statements(aws: Aws, topology: Topology) -> dict[str, dict[str, Any]]:
    """The bus's resource policy, statement by Sid ({} when it has none)."""
    found = aws.client("events").describe_event_bus(Name=topology.bus.name).get("Policy")
    return {statement["Sid"]: statement for statement in json.loads(found)["Statement"]} if found else {}


def someone_grants(aws: Aws, topology: Topology) -> dict[str, Any]:
    """A statement added by hand with the full-policy call, as a console user would (what it holds now)."""
    bus = aws.client("events").describe_event_bus(Name=topology.bus.name)
    current = json.loads(bus["Policy"])["Statement"] if bus.get("Policy") else []
    theirs = {**THEIRS, "Resource": bus["Arn"]}
    aws.client("events").put_permission(EventBusName=topology.bus.name, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [*current, theirs]}))
    return theirs


def sid(topology: Topology, agent: str, account: str) -> str:
    return f"cabructl-{topology.project}-{topology.environment}-{agent}-{account}"


def test_a_foreign_agent_is_granted_put_events_for_its_source_and_detail_types(aws: Aws, topology: Topology,
                                                                            converge: Callable) -> None:
    foreign = with_accounts(topology, "monitor", FOREIGN)

    plan = converge(foreign, KINDS)  # also: the second plan is empty

    assert (ADDRESS, Action.CREATE) in [(change.address, change.action) for change in plan.changes]
    arn = aws.client("events").describe_event_bus(Name=topology.bus.name)["Arn"]
    [statement] = normalize_policy({"Statement": [statements(aws, topology)[sid(topology, "monitor", FOREIGN)]]})["Statement"]
    assert statement == {
        "Sid": sid(topology, "monitor", FOREIGN), "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{FOREIGN}:root"]},
        "Action": ["events:PutEvents"], "Resource": [arn],
        "Condition": {"StringEquals": {"events:source": ["cabruca.agents.monitor"],
                                       "events:detail-type": [topology.schemas["IssueDetectionEvent"].detail_type]}}}


def test_no_foreign_agent_no_resource_and_no_call(aws: Aws, topology: Topology, converge: Callable) -> None:
    plan = converge(topology, KINDS)

    assert ADDRESS not in [change.address for change in plan.changes]
    assert statements(aws, topology) == {}


def test_a_statement_someone_else_added_survives_apply_and_destroy(aws: Aws, topology: Topology, converge: Callable,
                                                                  plan_for: Callable) -> None:
    foreign = with_accounts(topology, "monitor", FOREIGN)
    converge(topology, KINDS)
    theirs = someone_grants(aws, topology)

    converge(foreign, KINDS)
    assert statements(aws, topology)["made-by-hand"] == theirs
    assert plan_for(foreign, KINDS).empty and not detect_drift(Engine(foreign, aws, kinds=KINDS)).has_drift

    engine = Engine(foreign, aws, kinds=[HANDLER])  # the policy's statements only: the bus stays
    destroy = engine.plan(destroy=True)
    assert [(change.address, change.action) for change in destroy.changes] == [(ADDRESS, Action.DELETE)]
    assert engine.apply(destroy).ok
    assert statements(aws, topology) == {"made-by-hand": theirs}


def test_removing_the_account_removes_only_our_statement(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(with_accounts(topology, "monitor", FOREIGN, OTHER), KINDS)
    theirs = someone_grants(aws, topology)

    converge(with_accounts(topology, "monitor", OTHER), KINDS)
    assert sorted(statements(aws, topology)) == sorted(["made-by-hand", sid(topology, "monitor", OTHER)])

    plan = converge(topology, KINDS)
    assert [(change.address, change.action) for change in plan.changes] == [(ADDRESS, Action.DELETE)]
    assert statements(aws, topology) == {"made-by-hand": theirs}


def test_a_statement_someone_removed_is_reported_and_restored(aws: Aws, topology: Topology, converge: Callable,
                                                             plan_for: Callable) -> None:
    foreign = with_accounts(topology, "monitor", FOREIGN, OTHER)
    converge(foreign, KINDS)
    someone_grants(aws, topology)
    aws.client("events").remove_permission(EventBusName=topology.bus.name, StatementId=sid(topology, "monitor", OTHER))

    assert [(change.address, change.action) for change in plan_for(foreign, KINDS).changes] == [(ADDRESS, Action.UPDATE)]
    assert [item.address for item in detect_drift(Engine(foreign, aws, kinds=KINDS)).changed] == [ADDRESS]
    converge(foreign, KINDS)
    assert sorted(statements(aws, topology)) == sorted(["made-by-hand", sid(topology, "monitor", FOREIGN),
                                                        sid(topology, "monitor", OTHER)])


def test_all_our_statements_removed_is_missing_and_a_widened_one_is_changed(aws: Aws, topology: Topology, converge: Callable,
                                                                           plan_for: Callable) -> None:
    foreign = with_accounts(topology, "monitor", FOREIGN)
    converge(foreign, KINDS)
    ours = statements(aws, topology)[sid(topology, "monitor", FOREIGN)]
    widened = {**ours, "Condition": {"StringEquals": {"events:source": ["cabruca.agents.monitor"]}}}
    aws.client("events").put_permission(EventBusName=topology.bus.name, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [widened]}))

    report = detect_drift(Engine(foreign, aws, kinds=KINDS))
    assert [item.address for item in report.changed] == [ADDRESS]

    aws.client("events").remove_permission(EventBusName=topology.bus.name, StatementId=ours["Sid"])
    assert [item.address for item in detect_drift(Engine(foreign, aws, kinds=KINDS)).missing] == [ADDRESS]
    converge(foreign, KINDS)
    assert statements(aws, topology)[ours["Sid"]]["Condition"] == ours["Condition"]


def test_another_environments_statements_are_not_ours(aws: Aws, topology: Topology, converge: Callable, plan_for: Callable) -> None:
    foreign = with_accounts(topology, "monitor", FOREIGN)
    converge(foreign, KINDS)
    staging = sid(replace(topology, environment="staging"), "product", OTHER)
    bus = aws.client("events").describe_event_bus(Name=topology.bus.name)
    theirs = {**THEIRS, "Sid": staging, "Resource": bus["Arn"]}
    aws.client("events").put_permission(EventBusName=topology.bus.name, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [*json.loads(bus["Policy"])["Statement"], theirs]}))

    assert plan_for(foreign, KINDS).empty
    converge(topology, KINDS)  # ours removed, the other environment's kept

    assert statements(aws, topology) == {staging: theirs}


def test_a_long_sid_fits_eventbridge(topology: Topology) -> None:
    from cabructl.resources.events_bus_policy import sid_prefix, statement_sid

    agent = replace(topology.agents["monitor"], name="a." + "x" * 80)
    long = statement_sid(topology, agent, FOREIGN)
    assert len(long) <= 64 and long.startswith(f"cabructl-{topology.project}-{topology.environment}-")
    assert set(long) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    assert long != statement_sid(topology, replace(agent, name="a." + "x" * 81), FOREIGN)

    project = replace(topology, project="p" * 60)
    assert len(sid_prefix(project)) <= 40 and statement_sid(project, agent, FOREIGN).startswith(sid_prefix(project))
    assert sid_prefix(project) != sid_prefix(replace(topology, project="p" * 61))
