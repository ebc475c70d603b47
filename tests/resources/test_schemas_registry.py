"""schemas.registry against the local endpoint over HTTP (moto has no Schemas API)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.resources import schemas_registry
from cabructl.topology import Topology

KINDS = [schemas_registry.HANDLER]
ADDRESS = "schemas.registry.registry"
REGION = "sa-east-1"


@pytest.fixture
def aws(local_aws: Aws) -> Aws:
    """These kinds need the Schemas API, which only the local endpoint has (moto lacks it)."""
    return local_aws


def with_registry(topology: Topology, **changes: Any) -> Topology:
    assert topology.registry is not None
    return replace(topology, registry=replace(topology.registry, **changes))


def summary(plan: Any) -> list[tuple[str, Action, tuple[str, ...]]]:
    """Each change as (address, action, changed attributes); creates and deletes change everything."""
    whole = (Action.CREATE, Action.DELETE)
    return [(change.address, change.action, () if change.action in whole else change.changed_attributes) for change in plan.changes]


def owner_tags(topology: Topology, owner: str) -> dict[str, str]:
    """Tags naming this topology ("ours"), another environment of it, or nobody ("none")."""
    if owner == "none":
        return {}
    tags = topology.ownership_tags()
    return tags if owner == "ours" else {**tags, "cabructl:topology": f"{topology.project}/dev"}


def test_create_reads_back_as_declared_and_the_next_plan_is_empty(aws: Aws, topology: Topology, converge: Any) -> None:
    plan = converge(topology, KINDS)
    assert summary(plan) == [(ADDRESS, Action.CREATE, ())]
    live = Engine(topology, aws, kinds=KINDS).live()[ADDRESS]
    assert live.attributes == plan.changes[0].after.attributes
    assert live.identity["arn"] == f"arn:aws:schemas:{REGION}:123456789012:registry/{topology.registry.name}"


def test_discovery_lists_the_prefix_and_describes_what_is_in_the_namespace(aws: Aws, topology: Topology, converge: Any) -> None:
    """One rule for every kind: an untagged registry under the prefix is read too (drift reports it as
    unmanaged, not owned), and never changed."""
    converge(topology, KINDS)
    aws.client("schemas").create_registry(RegistryName=f"{topology.prefix}someone-elses")
    aws.calls.reset()
    engine = Engine(topology, aws, kinds=KINDS)
    assert engine.plan().empty
    assert dict(aws.calls.counts) == {("schemas", "ListRegistries"): 1, ("schemas", "DescribeRegistry"): 2}
    assert [(resource.name, resource.owned) for resource in engine.live().values() if not resource.owned] == [
        (f"{topology.prefix}someone-elses", False)]


def test_description_changes_in_place(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    aws.calls.reset()
    plan = converge(with_registry(topology, description="Event schemas, one per event type"), KINDS)
    assert summary(plan) == [(ADDRESS, Action.UPDATE, ("description",))]
    assert aws.calls.write_calls() == ["schemas:UpdateRegistry"]


def test_a_tag_change_touches_only_tags(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(with_registry(topology, tags={"Team": "platform"}), KINDS)
    aws.calls.reset()
    plan = converge(with_registry(topology, tags={"Purpose": "validation"}), KINDS)
    assert summary(plan) == [(ADDRESS, Action.UPDATE, ("tags",))]
    assert aws.calls.write_calls() == ["schemas:TagResource", "schemas:UntagResource"]


def test_a_registry_no_longer_declared_is_deleted(aws: Aws, topology: Topology, converge: Any) -> None:
    """Found through the namespace: a registry named under the prefix."""
    converge(with_registry(topology, name=f"{topology.prefix}schemas"), KINDS)
    plan = converge(replace(topology, registry=None), KINDS)
    assert summary(plan) == [("schemas.registry.registry", Action.DELETE, ())]  # its recorded address


@pytest.mark.parametrize(
    ("name", "owner", "expected"),
    [
        pytest.param("{declared}", "none", ("conflicts", [ADDRESS]), id="declared-name-untagged-conflicts"),
        pytest.param("{declared}", "other-environment", ("conflicts", [ADDRESS]), id="declared-name-other-topology-conflicts"),
        pytest.param("{prefix}old", "ours", ("changes", [("schemas.registry.old", Action.DELETE, ())]), id="ours-undeclared-deleted"),
        pytest.param("{prefix}theirs", "none", ("changes", []), id="untagged-under-prefix-ignored"),
        pytest.param("elsewhere", "ours", ("changes", []), id="outside-prefix-never-read"),
    ],
)
def test_ownership_by_tags(aws: Aws, topology: Topology, plan_for: Any, name: str, owner: str, expected: tuple[str, list[Any]]) -> None:
    registry_name = name.format(declared=topology.registry.name, prefix=topology.prefix)
    aws.client("schemas").create_registry(RegistryName=registry_name, Tags=owner_tags(topology, owner))
    plan = plan_for(topology if name == "{declared}" else replace(topology, registry=None), KINDS)
    found = {"conflicts": [conflict.address for conflict in plan.conflicts], "changes": summary(plan)}
    what, items = expected
    assert found[what] == items
