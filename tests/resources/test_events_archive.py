"""events.archive against moto: ownership by name, update in place, replace on a new bus, data held."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.engine.apply import DataLossRefused
from cabructl.resources import events_archive, events_bus
from cabructl.resources.base import Context
from cabructl.topology import Topology

KINDS = [events_bus.HANDLER, events_archive.HANDLER]
ADDRESS = "events.archive.archive"


def with_archive(topology: Topology, **changes: Any) -> Topology:
    assert topology.bus.archive is not None
    return replace(topology, bus=replace(topology.bus, archive=replace(topology.bus.archive, **changes)))


def archive_changes(plan: Any) -> list[tuple[str, Action, tuple[str, ...]]]:
    return [(change.address, change.action, change.changed_attributes) for change in plan.changes if change.kind == events_archive.KIND]


def bus_arn(aws: Aws, bus_name: str) -> str:
    return aws.client("events").describe_event_bus(Name=bus_name)["Arn"]


def test_create_reads_back_as_declared_and_the_next_plan_is_empty(aws: Aws, topology: Topology, converge: Any) -> None:
    plan = converge(topology, KINDS)
    assert [(change.address, change.action) for change in plan.changes] == [("events.bus.bus", Action.CREATE), (ADDRESS, Action.CREATE)]
    live = Engine(topology, aws, kinds=KINDS).live()[ADDRESS]
    assert live.attributes == {"event_source_arn": bus_arn(aws, topology.bus.name), "retention_days": 7,
                               "description": topology.bus.archive.description, "pattern": None, "kms_key": None}
    assert live.owned and events_archive.HANDLER.data_held(live) is None


@pytest.mark.parametrize(
    ("changes", "attribute"),
    [
        pytest.param({"description": "Replay window"}, "description", id="description"),
        pytest.param({"retention_days": 30}, "retention_days", id="retention"),
    ],
)
def test_attributes_change_in_place_with_update_archive(aws: Aws, topology: Topology, converge: Any,
                                                        changes: dict[str, Any], attribute: str) -> None:
    converge(topology, KINDS)
    aws.calls.reset()
    plan = converge(with_archive(topology, **changes), KINDS)
    assert archive_changes(plan) == [(ADDRESS, Action.UPDATE, (attribute,))]
    assert aws.calls.write_calls() == ["events:UpdateArchive"]


def test_a_new_source_bus_replaces_the_archive(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    aws.calls.reset()
    plan = converge(replace(topology, bus=replace(topology.bus, name="cabruca-agents-bus-v2")), KINDS)
    [change] = [change for change in plan.changes if change.address == ADDRESS]
    assert (change.action, change.replace_fields) == (Action.REPLACE, ("event_source_arn",))
    assert {"events:DeleteArchive", "events:CreateArchive"} <= set(aws.calls.write_calls())


def test_an_archive_holding_events_is_not_destroyed_without_consent(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    entry = {"Source": "cabruca.agents.monitor", "DetailType": "Issue Detection Event", "Detail": "{}", "EventBusName": topology.bus.name}
    aws.client("events").put_events(Entries=[entry])
    engine = Engine(topology, aws, kinds=KINDS)
    plan = engine.plan(destroy=True)
    [change] = [change for change in plan.changes if change.address == ADDRESS]
    assert change.action is Action.DELETE and change.data_loss and change.data_loss.startswith("1 archived event (")
    with pytest.raises(DataLossRefused):
        engine.apply(plan)
    assert engine.apply(plan, allow_data_loss=True).ok
    assert Engine(topology, aws, kinds=KINDS).live() == {}


def test_an_archive_no_longer_declared_is_deleted(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    plan = converge(replace(topology, bus=replace(topology.bus, archive=None)), KINDS)
    assert [(change.address, change.action) for change in plan.changes] == [(ADDRESS, Action.DELETE)]


@pytest.mark.parametrize(
    ("declared", "live_name", "source", "expected"),
    [
        pytest.param("team-archive", "team-archive", "our-bus", ("changes", []), id="declared-outside-prefix-on-our-bus-is-ours"),
        pytest.param("team-archive", "team-archive", "other-bus", ("conflicts", [ADDRESS]),
                     id="declared-outside-prefix-on-other-bus-conflicts"),
        pytest.param(None, "{prefix}old-arch", "other-bus", ("changes", [(ADDRESS, Action.DELETE)]),
                     id="undeclared-under-prefix-is-ours"),
        pytest.param(None, "someone-elses", "our-bus", ("changes", []), id="undeclared-outside-prefix-is-ignored"),
    ],
)
def test_ownership_by_name(aws: Aws, topology: Topology, converge: Any, plan_for: Any,
                           declared: str | None, live_name: str, source: str, expected: tuple[str, list[Any]]) -> None:
    """Archives cannot be tagged: the name (and, outside the prefix, the source bus) decides."""
    archive = topology.bus.archive
    without_archive = replace(topology, bus=replace(topology.bus, archive=None))
    converge(without_archive, KINDS)
    client = aws.client("events")
    client.create_event_bus(Name="other-bus")
    sources = {"our-bus": bus_arn(aws, topology.bus.name), "other-bus": bus_arn(aws, "other-bus")}
    client.create_archive(ArchiveName=live_name.format(prefix=topology.prefix), EventSourceArn=sources[source],
                          RetentionDays=archive.retention_days, Description=archive.description)
    plan = plan_for(with_archive(topology, name=declared) if declared else without_archive, KINDS)
    found = {"conflicts": [conflict.address for conflict in plan.conflicts],
             "changes": [(change.address, change.action) for change in plan.changes]}
    what, addresses = expected
    assert found[what] == addresses
    assert not (found["conflicts"] and found["changes"])


# -- normalisation: one pure function per quirk ------------------------------------------


@pytest.mark.parametrize(
    ("described", "expected"),
    [
        pytest.param({}, {"retention_days": 0, "description": "", "pattern": None}, id="all-absent-means-forever-empty-none"),
        pytest.param({"RetentionDays": 7, "Description": "d"}, {"retention_days": 7, "description": "d", "pattern": None}, id="as-set"),
        pytest.param({"EventPattern": ""}, {"retention_days": 0, "description": "", "pattern": None}, id="empty-pattern-is-none"),
        pytest.param({"EventPattern": '{ "source" : ["a"] }'}, {"retention_days": 0, "description": "", "pattern": {"source": ["a"]}},
                     id="pattern-parsed"),
    ],
)
def test_live_attributes_fill_what_aws_leaves_out(described: dict[str, Any], expected: dict[str, Any]) -> None:
    response = {"EventSourceArn": "arn:aws:events:sa-east-1:1:event-bus/b", **described}
    assert events_archive.live_attributes(response) == {"event_source_arn": "arn:aws:events:sa-east-1:1:event-bus/b", "kms_key": None,
                                                        **expected}


@pytest.mark.parametrize(
    ("clearing", "expected"),
    [
        pytest.param(False, {"RetentionDays": 0}, id="create-leaves-empty-values-out"),
        pytest.param(True, {"Description": "", "RetentionDays": 0, "EventPattern": ""}, id="update-clears-them"),
    ],
)
def test_archive_fields(clearing: bool, expected: dict[str, Any]) -> None:
    attributes = {"description": "", "retention_days": 0, "pattern": None, "kms_key": None}
    assert events_archive.archive_fields(attributes, ("description", "retention_days", "pattern", "kms_key"), clearing=clearing) == expected


def test_an_archive_under_a_key_sends_its_alias_arn() -> None:
    """No KmsKeyIdentifier is ever sent as "": without one, the archive is under an AWS-owned key."""
    key = "arn:aws:kms:sa-east-1:1:alias/k"
    fields = events_archive.archive_fields({"kms_key": key}, ("kms_key",), clearing=True)
    assert fields == {"KmsKeyIdentifier": key}


@pytest.mark.parametrize(
    ("events", "size", "expected"),
    [
        pytest.param(0, 0, None, id="empty"),
        pytest.param(1, 88, "1 archived event (88 bytes)", id="one"),
        pytest.param(12, 4096, "12 archived events (4096 bytes)", id="several"),
    ],
)
def test_archived_data(events: int, size: int, expected: str | None) -> None:
    assert events_archive.archived_data(events, size) == expected


def test_archive_arn() -> None:
    assert events_archive.archive_arn(Context("123456789012", "sa-east-1"), "a") == "arn:aws:events:sa-east-1:123456789012:archive/a"
