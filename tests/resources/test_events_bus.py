"""events.bus against moto: create, read back equal, update in place, tags, delete, ownership."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.resources import events_bus
from cabructl.resources.arns import tag_list
from cabructl.topology import Topology

KINDS = [events_bus.HANDLER]
ADDRESS = "events.bus.bus"


def summary(plan: Any) -> list[tuple[str, Action, tuple[str, ...]]]:
    """Each change as (address, action, changed attributes); creates and deletes change everything."""
    whole = (Action.CREATE, Action.DELETE)
    return [(change.address, change.action, () if change.action in whole else change.changed_attributes) for change in plan.changes]


def test_create_reads_back_as_declared_and_the_next_plan_is_empty(aws: Aws, topology: Topology, converge: Any) -> None:
    plan = converge(topology, KINDS)
    assert summary(plan) == [(ADDRESS, Action.CREATE, ())]
    live = Engine(topology, aws, kinds=KINDS).live()
    assert live[ADDRESS].attributes == plan.changes[0].after.attributes
    assert live[ADDRESS].identity["arn"].endswith(f":event-bus/{topology.bus.name}")


def test_description_changes_in_place_with_update_event_bus(aws: Aws, topology: Topology, converge: Any, plan_for: Any) -> None:
    converge(topology, KINDS)
    changed = replace(topology, bus=replace(topology.bus, description="Where agents talk"))
    plan = plan_for(changed, KINDS)
    assert summary(plan) == [(ADDRESS, Action.UPDATE, ("description",))]
    sent = answer_update_event_bus(aws)
    assert Engine(changed, aws, kinds=KINDS).apply(plan).ok
    assert sent == [{"Name": topology.bus.name, "Description": "Where agents talk"}]


def test_a_tag_change_touches_only_tags(aws: Aws, topology: Topology, converge: Any, plan_for: Any) -> None:
    converge(topology, KINDS)
    tags = {**topology.bus.tags, "Purpose": "Agent chat", "Team": "platform"}
    del tags["CostCenter"]
    changed = replace(topology, bus=replace(topology.bus, tags=tags))
    assert summary(plan_for(changed, KINDS)) == [(ADDRESS, Action.UPDATE, ("tags",))]
    aws.calls.reset()
    converge(changed, KINDS)
    assert aws.calls.write_calls() == ["events:TagResource", "events:UntagResource"]


def test_destroy_deletes_the_bus(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    engine = Engine(topology, aws, kinds=KINDS)
    plan = engine.plan(destroy=True)
    assert summary(plan) == [(ADDRESS, Action.DELETE, ())]
    assert engine.apply(plan).ok
    assert Engine(topology, aws, kinds=KINDS).live() == {}


def test_an_untagged_bus_with_the_declared_name_is_a_conflict(aws: Aws, topology: Topology, plan_for: Any) -> None:
    aws.client("events").create_event_bus(Name=topology.bus.name)
    plan = plan_for(topology, KINDS)
    assert plan.changes == ()
    assert [conflict.address for conflict in plan.conflicts] == [ADDRESS]


@pytest.mark.parametrize(
    ("name", "tags", "expected"),
    [
        pytest.param("{prefix}old-bus", "ours", [("events.bus.old-bus", Action.DELETE)], id="ours-under-prefix-deleted"),
        pytest.param("{prefix}their-bus", "none", [], id="untagged-under-prefix-ignored"),
        pytest.param("{prefix}dev-bus", "other-environment", [], id="other-topology-ignored"),
        pytest.param("elsewhere-bus", "ours", [("events.bus.elsewhere-bus", Action.DELETE)], id="outside-prefix-found-by-tag-index"),
    ],
)
def test_buses_the_topology_does_not_declare(aws: Aws, topology: Topology, converge: Any, plan_for: Any,
                                             name: str, tags: str, expected: list[tuple[str, Action]]) -> None:
    converge(topology, KINDS)
    aws.client("events").create_event_bus(Name=name.format(prefix=topology.prefix), Tags=tag_list(owner_tags(topology, tags)))
    assert [(change.address, change.action) for change in plan_for(topology, KINDS).changes] == expected


def owner_tags(topology: Topology, owner: str) -> dict[str, str]:
    """Tags naming this topology ("ours"), another environment of it, or nobody ("none")."""
    if owner == "none":
        return {}
    tags = topology.ownership_tags()
    return tags if owner == "ours" else {**tags, "cabructl:topology": f"{topology.project}/dev"}


def answer_update_event_bus(aws: Aws) -> list[dict[str, Any]]:
    """moto 5.2.1 has no UpdateEventBus: record each call's parameters and answer 200 with nothing.

    The one call moto cannot serve is stubbed at botocore's own hook, nothing deeper.
    """
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    def answer(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("http://stub", 200, {}, None), {}

    aws.add_hook("before-parameter-build.eventbridge.UpdateEventBus", record)
    aws.add_hook("before-call.eventbridge.UpdateEventBus", answer)
    return sent
