"""Every Schemas operation the endpoint implements answers exactly in botocore's model.

boto3 silently drops response members it does not know and leaves out missing
ones, so a wrong wire name (``Tags`` for ``tags``) would go unnoticed by ordinary
tests. Here the raw HTTP body is checked against the output shape, member by
member, and the parsed result with botocore's own validator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape
from botocore.validate import ParamValidator

from cabructl.local.schemas import OPERATIONS

CONTENT = json.dumps({"openapi": "3.0.0", "info": {"title": "E", "version": "1"}, "paths": {}})


@dataclass
class Exchange:
    operation: OperationModel
    status: int
    headers: dict[str, str]
    body: bytes
    parsed: dict[str, Any]


def exercise_every_operation(schemas: Any, registry: str) -> None:
    """A scenario calling each implemented operation at least once, errors included."""
    schemas.create_registry(RegistryName=registry, Description="d", Tags={"k": "v"})
    schemas.describe_registry(RegistryName=registry)
    schemas.update_registry(RegistryName=registry, Description="e")
    schemas.list_registries(RegistryNamePrefix=registry, Limit=1)
    schemas.create_schema(RegistryName=registry, SchemaName="S", Type="OpenApi3", Content=CONTENT, Tags={"k": "v"})
    schemas.update_schema(RegistryName=registry, SchemaName="S", Content=CONTENT.replace('"1"', '"2"'))
    schemas.describe_schema(RegistryName=registry, SchemaName="S")
    schemas.describe_schema(RegistryName=registry, SchemaName="S", SchemaVersion="1")
    schemas.list_schemas(RegistryName=registry)
    schemas.list_schema_versions(RegistryName=registry, SchemaName="S", Limit=1)
    arn = schemas.describe_registry(RegistryName=registry)["RegistryArn"]
    schemas.tag_resource(ResourceArn=arn, Tags={"a": "b"})
    schemas.untag_resource(ResourceArn=arn, TagKeys=["a"])
    schemas.list_tags_for_resource(ResourceArn=arn)
    for failing in (
        lambda: schemas.create_registry(RegistryName=registry),
        lambda: schemas.describe_schema(RegistryName=registry, SchemaName="missing"),
        lambda: schemas.create_schema(RegistryName=registry, SchemaName="T", Type="OpenApi3", Content="nope"),
    ):
        with pytest.raises(ClientError):
            failing()
    schemas.delete_schema(RegistryName=registry, SchemaName="S")
    schemas.delete_registry(RegistryName=registry)


def recorded_exchanges(schemas: Any, registry: str) -> list[Exchange]:
    exchanges: list[Exchange] = []

    def record(http_response: Any, parsed: dict[str, Any], model: OperationModel, **_: Any) -> None:
        exchanges.append(Exchange(model, http_response.status_code, dict(http_response.headers), http_response.content, parsed))

    schemas.meta.events.register("after-call.schemas.*", record)
    try:
        exercise_every_operation(schemas, registry)
    finally:
        schemas.meta.events.unregister("after-call.schemas.*", record)
    return exchanges


def unknown_wire_members(value: Any, shape: Shape, path: str = "") -> list[str]:
    """Paths of body members the model does not have, at any depth."""
    if shape.type_name == "structure":
        members = {member.serialization.get("name", name): member for name, member in shape.members.items()}
        found = [f"{path}.{key}" for key in value if key not in members]
        for key, item in value.items():
            if key in members:
                found += unknown_wire_members(item, members[key], f"{path}.{key}")
        return found
    if shape.type_name == "list":
        return [problem for index, item in enumerate(value) for problem in unknown_wire_members(item, shape.member, f"{path}[{index}]")]
    if shape.type_name == "map":
        return [problem for key, item in value.items() for problem in unknown_wire_members(item, shape.value, f"{path}.{key}")]
    return []


def assert_success_conforms(exchange: Exchange) -> None:
    operation = exchange.operation
    assert exchange.status == operation.http.get("responseCode", 200)
    if operation.output_shape is None:
        assert exchange.body == b""
        return
    assert unknown_wire_members(json.loads(exchange.body), operation.output_shape) == []
    parsed = {key: value for key, value in exchange.parsed.items() if key != "ResponseMetadata"}
    report = ParamValidator().validate(parsed, operation.output_shape)
    assert not report.has_errors(), report.generate_report()


def assert_error_conforms(exchange: Exchange) -> None:
    code = exchange.headers["x-amzn-ErrorType"]
    shape = exchange.operation.service_model.shape_for(code)
    assert exchange.status == shape.metadata["error"]["httpStatusCode"]
    body = json.loads(exchange.body)
    assert unknown_wire_members(body, shape) == []
    assert set(shape.required_members) <= set(body)
    assert body["Code"] == exchange.parsed["Error"]["Code"] == code


def test_every_implemented_operation_answers_in_its_modelled_shape(schemas: Any, unique: Callable[[str], str]) -> None:
    exchanges = recorded_exchanges(schemas, unique("conformance"))
    assert {exchange.operation.name for exchange in exchanges} >= set(OPERATIONS)
    for exchange in exchanges:
        if exchange.status < 300:
            assert_success_conforms(exchange)
        else:
            assert_error_conforms(exchange)
    assert {exchange.status for exchange in exchanges} >= {200, 201, 204, 400, 404, 409}
