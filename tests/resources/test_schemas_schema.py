"""schemas.schema against the local endpoint over HTTP: owned through the registry, content compared
parsed, UpdateSchema only on a real change (terraform-provider-aws#38261)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from ruamel.yaml import YAML

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.resources import schemas_registry, schemas_schema
from cabructl.resources.base import Resource
from cabructl.topology import Topology

KINDS = [schemas_registry.HANDLER, schemas_schema.HANDLER]
SCHEMA = "IssueDetectionEvent"
ADDRESS = f"schemas.schema.{SCHEMA}"
REGION = "sa-east-1"
DRAFT4 = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "properties": {"severity": {"type": "string"}}}


@pytest.fixture
def aws(local_aws: Aws) -> Aws:
    """These kinds need the Schemas API, which only the local endpoint has (moto lacks it)."""
    return local_aws


def with_schema(topology: Topology, name: str = SCHEMA, **changes: Any) -> Topology:
    return replace(topology, schemas={**topology.schemas, name: replace(topology.schemas[name], **changes)})


def schema_changes(plan: Any) -> list[tuple[str, Action, tuple[str, ...]]]:
    """Schema changes as (address, action, changed attributes); creates and deletes change everything."""
    whole = (Action.CREATE, Action.DELETE)
    return [(change.address, change.action, () if change.action in whole else change.changed_attributes)
            for change in plan.changes if change.kind == schemas_schema.KIND]


def describe(aws: Aws, topology: Topology, name: str = SCHEMA) -> dict[str, Any]:
    return aws.client("schemas").describe_schema(RegistryName=topology.registry.name, SchemaName=name)


def record_update_schema(aws: Aws) -> list[dict[str, Any]]:
    """The parameters of every UpdateSchema call from now on."""
    sent: list[dict[str, Any]] = []
    aws.add_hook("before-parameter-build.schemas.UpdateSchema", lambda params, **_: sent.append(dict(params)))
    return sent


def test_create_reads_back_as_declared_and_the_next_plan_is_empty(aws: Aws, topology: Topology, converge: Any) -> None:
    plan = converge(topology, KINDS)
    assert schema_changes(plan) == [(f"schemas.schema.{name}", Action.CREATE, ()) for name in sorted(topology.schemas)]
    live = Engine(topology, aws, kinds=KINDS).live()
    for change in plan.changes:
        assert live[change.address].attributes == change.after.attributes
    assert (live[ADDRESS].parent, live[ADDRESS].identity["version"]) == ("schemas.registry.registry", "1")


def test_discovery_is_list_schemas_and_one_describe_per_schema(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    aws.calls.reset()
    Engine(topology, aws, kinds=[schemas_schema.HANDLER]).plan()
    assert dict(aws.calls.counts) == {("schemas", "ListRegistries"): 1, ("schemas", "DescribeRegistry"): 1, ("schemas", "ListSchemas"): 1,
                                      ("schemas", "DescribeSchema"): len(topology.schemas)}


def test_new_content_is_a_new_version(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    content = json.loads(json.dumps(topology.schemas[SCHEMA].content))
    content["info"]["version"] = "2.0.0"
    sent = record_update_schema(aws)
    plan = converge(with_schema(topology, content=content), KINDS)
    assert schema_changes(plan) == [(ADDRESS, Action.UPDATE, ("content",))]
    assert [sorted(params) for params in sent] == [["Content", "RegistryName", "SchemaName", "Type"]]
    assert describe(aws, topology)["SchemaVersion"] == "2"


def test_a_new_type_goes_with_its_content(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    plan = converge(with_schema(topology, type="JSONSchemaDraft4", content=DRAFT4), KINDS)
    assert schema_changes(plan) == [(ADDRESS, Action.UPDATE, ("content", "type"))]
    assert describe(aws, topology)["Type"] == "JSONSchemaDraft4"


def test_a_description_change_updates_without_sending_content(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    sent = record_update_schema(aws)
    plan = converge(with_schema(topology, description="Issues found by monitoring agents"), KINDS)
    assert schema_changes(plan) == [(ADDRESS, Action.UPDATE, ("description",))]
    assert sent == [{"RegistryName": topology.registry.name, "SchemaName": SCHEMA, "Description": "Issues found by monitoring agents"}]
    assert describe(aws, topology)["SchemaVersion"] == "1"


def test_a_tag_change_touches_only_tags(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    aws.calls.reset()
    plan = converge(with_schema(topology, tags={"Owner": "monitoring"}), KINDS)
    assert schema_changes(plan) == [(ADDRESS, Action.UPDATE, ("tags",))]
    assert aws.calls.write_calls() == ["schemas:TagResource"]


def test_content_re_serialised_by_another_client_is_no_change(aws: Aws, topology: Topology, converge: Any, plan_for: Any) -> None:
    converge(topology, KINDS)
    content = topology.schemas[SCHEMA].content
    rewritten = json.dumps(dict(reversed(list(content.items()))), indent=4)
    aws.client("schemas").update_schema(RegistryName=topology.registry.name, SchemaName=SCHEMA, Type="OpenApi3", Content=rewritten)
    assert describe(aws, topology)["Content"] == rewritten
    assert schema_changes(plan_for(topology, KINDS)) == []


def test_a_schema_no_longer_declared_is_deleted(aws: Aws, topology: Topology, converge: Any) -> None:
    converge(topology, KINDS)
    schemas = {name: schema for name, schema in topology.schemas.items() if name != SCHEMA}
    aws.calls.reset()
    plan = converge(replace(topology, schemas=schemas), KINDS)
    assert schema_changes(plan) == [(ADDRESS, Action.DELETE, ())]
    assert aws.calls.write_calls() == ["schemas:DeleteSchema"]


def test_schemas_of_a_registry_the_topology_does_not_own_are_never_read(aws: Aws, topology: Topology, plan_for: Any) -> None:
    client = aws.client("schemas")
    client.create_registry(RegistryName=topology.registry.name)
    client.create_schema(RegistryName=topology.registry.name, SchemaName="Theirs", Type="OpenApi3", Content='{"openapi": "3.0.0"}')
    plan = plan_for(topology, KINDS)
    assert [conflict.address for conflict in plan.conflicts] == ["schemas.registry.registry"]
    assert {action for _, action, _ in schema_changes(plan)} == {Action.CREATE}  # refused at apply: the plan has a conflict


# -- normalisation: one pure function per quirk ------------------------------------------

DOCUMENT = {"openapi": "3.0.0", "info": {"title": "E", "version": "1.0.0"}, "components": {"schemas": {"E": {"minimum": 0.5}}}}


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(DOCUMENT, id="mapping"),
        pytest.param(json.dumps(DOCUMENT), id="text"),
        pytest.param(json.dumps(dict(reversed(list(DOCUMENT.items())))), id="text-in-another-key-order"),
        pytest.param(json.dumps(DOCUMENT, indent=2), id="text-pretty-printed"),
        pytest.param(YAML().load(json.dumps(DOCUMENT, indent=2)), id="yaml-mapping"),
    ],
)
def test_canonical_content(given: Any) -> None:
    result = schemas_schema.canonical_content(given)
    assert result == DOCUMENT and type(result) is dict and type(result["components"]) is dict


def schema_resource(content: Any = DOCUMENT, type_: str = "OpenApi3", description: str = "d") -> Resource:
    attributes = {"content": content, "type": type_, "description": description, "tags": {}}
    return Resource(ADDRESS, schemas_schema.KIND, SCHEMA, attributes, identity={"registry": "reg"})


@pytest.mark.parametrize(
    ("desired", "expected_keys"),
    [
        pytest.param(schema_resource(), None, id="unchanged-means-no-call"),
        pytest.param(schema_resource(description="new"), ["Description", "RegistryName", "SchemaName"], id="description-only"),
        pytest.param(schema_resource(content={**DOCUMENT, "paths": {}}), ["Content", "RegistryName", "SchemaName", "Type"], id="content"),
        pytest.param(schema_resource(type_="JSONSchemaDraft4"), ["Content", "RegistryName", "SchemaName", "Type"], id="type"),
    ],
)
def test_schema_update_request(desired: Resource, expected_keys: list[str] | None) -> None:
    """Decided on canonical values, so even adopting (every attribute "changed") sends nothing unchanged."""
    request = schemas_schema.schema_update_request(desired, schema_resource())
    assert (sorted(request) if request is not None else None) == expected_keys
