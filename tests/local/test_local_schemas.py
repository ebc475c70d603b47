"""The Schemas API of the local endpoint, as the real boto3 client sees it."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

OPENAPI = json.dumps({"openapi": "3.0.0", "info": {"title": "Event", "version": "1.0.0"}, "paths": {}})
OPENAPI_V2 = json.dumps({"openapi": "3.0.0", "info": {"title": "Event", "version": "2.0.0"}, "paths": {}})
DRAFT4 = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"})


@pytest.fixture
def registry(schemas: Any, unique: Callable[[str], str]) -> str:
    name = unique("registry")
    schemas.create_registry(RegistryName=name, Description="agents")
    return name


@pytest.fixture
def schema(schemas: Any, registry: str) -> str:
    schemas.create_schema(RegistryName=registry, SchemaName="IssueDetected", Type="OpenApi3", Content=OPENAPI, Description="v1")
    return "IssueDetected"


def error_code(call: Callable[[], Any]) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_registry_round_trip_with_arn_in_the_callers_account_and_region(schemas: Any, local_aws: Any, unique: Callable[[str], str]) -> None:
    name = unique("registry")
    created = schemas.create_registry(RegistryName=name, Description="first", Tags={"managed-by": "cabructl"})
    assert created["RegistryArn"] == f"arn:aws:schemas:{local_aws.region}:123456789012:registry/{name}"
    assert schemas.update_registry(RegistryName=name, Description="second")["Description"] == "second"
    described = schemas.describe_registry(RegistryName=name)
    assert (described["Description"], described["Tags"]) == ("second", {"managed-by": "cabructl"})
    schemas.delete_registry(RegistryName=name)
    assert error_code(lambda: schemas.describe_registry(RegistryName=name)) == ("NotFoundException", 404)


def test_missing_registry_is_not_found_for_every_call_that_names_one(schemas: Any, unique: Callable[[str], str]) -> None:
    missing = unique("missing")
    calls = [
        lambda: schemas.describe_registry(RegistryName=missing),
        lambda: schemas.update_registry(RegistryName=missing, Description="x"),
        lambda: schemas.delete_registry(RegistryName=missing),
        lambda: schemas.create_schema(RegistryName=missing, SchemaName="s", Type="OpenApi3", Content=OPENAPI),
        lambda: schemas.list_schemas(RegistryName=missing),
    ]
    for call in calls:
        assert error_code(call) == ("NotFoundException", 404)
    with pytest.raises(schemas.exceptions.NotFoundException):
        schemas.describe_registry(RegistryName=missing)


def test_duplicate_names_conflict(schemas: Any, registry: str, schema: str) -> None:
    assert error_code(lambda: schemas.create_registry(RegistryName=registry)) == ("ConflictException", 409)
    with pytest.raises(schemas.exceptions.ConflictException, match=f"Schema with name {schema} already exists"):
        schemas.create_schema(RegistryName=registry, SchemaName=schema, Type="OpenApi3", Content=OPENAPI)


def test_new_content_makes_a_new_version_and_old_versions_stay_readable(schemas: Any, registry: str, schema: str) -> None:
    updated = schemas.update_schema(RegistryName=registry, SchemaName=schema, Content=OPENAPI_V2)
    assert updated["SchemaVersion"] == "2"
    assert updated["VersionCreatedDate"] >= schemas.describe_schema(RegistryName=registry, SchemaName=schema, SchemaVersion="1")["VersionCreatedDate"]
    latest = schemas.describe_schema(RegistryName=registry, SchemaName=schema)
    assert (latest["SchemaVersion"], latest["Content"]) == ("2", OPENAPI_V2)
    first = schemas.describe_schema(RegistryName=registry, SchemaName=schema, SchemaVersion="1")
    assert (first["SchemaVersion"], first["Content"]) == ("1", OPENAPI)
    versions = schemas.list_schema_versions(RegistryName=registry, SchemaName=schema)["SchemaVersions"]
    assert [version["SchemaVersion"] for version in versions] == ["1", "2"]
    assert error_code(lambda: schemas.describe_schema(RegistryName=registry, SchemaName=schema, SchemaVersion="9")) == ("NotFoundException", 404)


def test_unchanged_content_keeps_the_version_so_a_second_apply_is_a_no_op(schemas: Any, registry: str, schema: str) -> None:
    again = schemas.update_schema(RegistryName=registry, SchemaName=schema, Content=OPENAPI, Type="OpenApi3")
    assert again["SchemaVersion"] == "1"
    described = schemas.update_schema(RegistryName=registry, SchemaName=schema, Description="only the description")
    assert (described["SchemaVersion"], described["Description"]) == ("1", "only the description")
    assert schemas.list_schemas(RegistryName=registry)["Schemas"][0]["VersionCount"] == 1


def test_changing_the_type_alone_is_a_new_version(schemas: Any, registry: str, schema: str) -> None:
    changed = schemas.update_schema(RegistryName=registry, SchemaName=schema, Content=DRAFT4, Type="JSONSchemaDraft4")
    assert (changed["SchemaVersion"], changed["Type"]) == ("2", "JSONSchemaDraft4")


def test_a_retried_update_with_the_same_client_token_does_not_add_a_version(schemas: Any, registry: str, schema: str) -> None:
    for _ in range(2):
        result = schemas.update_schema(RegistryName=registry, SchemaName=schema, Content=OPENAPI_V2, ClientTokenId="token-1")
    assert result["SchemaVersion"] == "2"
    schemas.update_schema(RegistryName=registry, SchemaName=schema, Content=OPENAPI, ClientTokenId="token-1")
    assert schemas.describe_schema(RegistryName=registry, SchemaName=schema)["SchemaVersion"] == "2"


def test_invalid_input_is_a_bad_request(schemas: Any, registry: str) -> None:
    not_json = "{not json"
    assert error_code(lambda: schemas.create_schema(RegistryName=registry, SchemaName="broken", Type="OpenApi3", Content=not_json)) == ("BadRequestException", 400)
    with pytest.raises(schemas.exceptions.BadRequestException):
        schemas.create_schema(RegistryName=registry, SchemaName="broken", Type="Avro", Content=OPENAPI)


def test_deleting_a_schema_and_its_registry(schemas: Any, registry: str, schema: str) -> None:
    schemas.delete_schema(RegistryName=registry, SchemaName=schema)
    assert error_code(lambda: schemas.describe_schema(RegistryName=registry, SchemaName=schema)) == ("NotFoundException", 404)
    assert error_code(lambda: schemas.delete_schema(RegistryName=registry, SchemaName=schema)) == ("NotFoundException", 404)
    schemas.create_schema(RegistryName=registry, SchemaName="left-behind", Type="OpenApi3", Content=OPENAPI)
    schemas.delete_registry(RegistryName=registry)
    assert error_code(lambda: schemas.list_schemas(RegistryName=registry)) == ("NotFoundException", 404)


def test_tags_round_trip_on_registries_and_schemas(schemas: Any, registry: str, schema: str) -> None:
    registry_arn = schemas.describe_registry(RegistryName=registry)["RegistryArn"]
    schema_arn = schemas.describe_schema(RegistryName=registry, SchemaName=schema)["SchemaArn"]
    assert schema_arn.endswith(f":schema/{registry}/{schema}")
    for arn in (registry_arn, schema_arn):
        schemas.tag_resource(ResourceArn=arn, Tags={"managed-by": "cabructl", "cabructl:topology": "cabruca/dev"})
        schemas.untag_resource(ResourceArn=arn, TagKeys=["managed-by"])
        assert schemas.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"cabructl:topology": "cabruca/dev"}
    assert schemas.describe_schema(RegistryName=registry, SchemaName=schema)["Tags"] == {"cabructl:topology": "cabruca/dev"}
    assert schemas.list_registries(RegistryNamePrefix=registry)["Registries"][0]["Tags"] == {"cabructl:topology": "cabruca/dev"}


def test_tags_of_a_missing_resource_are_not_found(schemas: Any, local_aws: Any, unique: Callable[[str], str]) -> None:
    arn = f"arn:aws:schemas:{local_aws.region}:123456789012:registry/{unique('missing')}"
    assert error_code(lambda: schemas.list_tags_for_resource(ResourceArn=arn)) == ("NotFoundException", 404)
    assert error_code(lambda: schemas.tag_resource(ResourceArn=arn, Tags={"a": "b"})) == ("NotFoundException", 404)


def test_listings_filter_by_prefix_and_paginate(schemas: Any, registry: str, unique: Callable[[str], str]) -> None:
    for name in ("AgentA", "AgentB", "AgentC", "Other"):
        schemas.create_schema(RegistryName=registry, SchemaName=name, Type="OpenApi3", Content=OPENAPI)
    pages = schemas.get_paginator("list_schemas").paginate(RegistryName=registry, SchemaNamePrefix="Agent", PaginationConfig={"PageSize": 2})
    assert [[item["SchemaName"] for item in page["Schemas"]] for page in pages] == [["AgentA", "AgentB"], ["AgentC"]]
    everything = schemas.get_paginator("list_registries").paginate(PaginationConfig={"PageSize": 1}).build_full_result()
    assert registry in [item["RegistryName"] for item in everything["Registries"]]
    assert schemas.list_registries(Scope="AWS")["Registries"] == []


def test_registries_are_scoped_to_the_callers_region(aws_client: Callable[..., Any], registry: str) -> None:
    other_region = aws_client("schemas", region="eu-west-1")
    with pytest.raises(other_region.exceptions.NotFoundException):
        other_region.describe_registry(RegistryName=registry)


def test_operations_not_implemented_say_so(schemas: Any) -> None:
    assert error_code(lambda: schemas.list_discoverers()) == ("NotImplemented", 501)
