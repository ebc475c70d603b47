"""The EventBridge Schemas API (registries, versioned schemas, tags), which moto does not have.

A topology's schemas are provisioned into a registry, so ``cabructl apply`` on the
local endpoint needs this API. State lives in process memory per account and
region, process-global like moto's backends, so every endpoint of the process
sees the same registries.

Behaviour follows AWS where it is known, and says so where it is a choice:

- Creating a registry or schema under a name already taken is ``ConflictException``
  (409): "Schema with name X already exists." (hashicorp/terraform-provider-aws#38261,
  a CreateSchema on an existing schema; the botocore model does not list it).
- A missing registry, schema or version is ``NotFoundException`` (404); content
  that is not a JSON object, or an unknown Type, is ``BadRequestException`` (400).
- ``UpdateSchema`` creates version N+1 only when Content or Type differs from the
  latest version. Choice: unchanged content returns the latest version and adds
  none. AWS documents no error for it (the model lists no ConflictException for
  UpdateSchema), and a client re-sending the same schema must not pile up versions.
  A repeated ClientTokenId (botocore fills one in) returns the version it produced.
- Description and tags belong to the schema, not to a version.
- Choice: deleting a registry deletes its schemas; ``ListRegistries(Scope="AWS")``
  lists nothing, as the AWS-managed registries (``aws.events``) are not reproduced.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import Any, Callable, Iterable, Sequence

from cabructl.local.restjson import ApiError, Handler, Params, RequestContext, RestJsonService

DEFAULT_PAGE_SIZE = 100
SERVICE_NAME = "schemas"


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class SchemaVersion:
    """One immutable revision of a schema's content."""

    number: int
    content: str
    type: str
    created: datetime = field(default_factory=_now)


@dataclass
class Schema:
    name: str
    arn: str
    description: str | None
    tags: dict[str, str]
    versions: list[SchemaVersion]
    last_modified: datetime = field(default_factory=_now)
    client_tokens: dict[str, int] = field(default_factory=dict)

    @property
    def latest(self) -> SchemaVersion:
        return self.versions[-1]

    def version(self, number: str | None) -> SchemaVersion:
        """A given version, or the latest when none is asked for."""
        if number is None:
            return self.latest
        for version in self.versions:
            if str(version.number) == number:
                return version
        raise ApiError("NotFoundException", f"Schema {self.name} with version {number} does not exist.")


@dataclass
class Registry:
    name: str
    arn: str
    description: str | None
    tags: dict[str, str]
    schemas: dict[str, Schema] = field(default_factory=dict)

    def schema(self, name: str) -> Schema:
        try:
            return self.schemas[name]
        except KeyError:
            raise ApiError("NotFoundException", f"Schema with name {name} does not exist in registry {self.name}.") from None


@dataclass
class SchemaStore:
    """Every registry of one account in one region."""

    account_id: str
    region: str
    registries: dict[str, Registry] = field(default_factory=dict)

    def arn(self, resource: str) -> str:
        from moto.utilities.utils import get_partition

        return f"arn:{get_partition(self.region)}:schemas:{self.region}:{self.account_id}:{resource}"

    def registry(self, name: str) -> Registry:
        try:
            return self.registries[name]
        except KeyError:
            raise ApiError("NotFoundException", f"Registry with name {name} does not exist.") from None

    def taggable(self, arn: str) -> Registry | Schema:
        """Tags are addressed by ARN; only registries and schemas carry them."""
        for registry in self.registries.values():
            if registry.arn == arn:
                return registry
            for schema in registry.schemas.values():
                if schema.arn == arn:
                    return schema
        raise ApiError("NotFoundException", f"Resource {arn} does not exist.")


# One API operation against one account's and region's store.
Operation = Callable[[SchemaStore, Params], "Params | None"]


class SchemaStores:
    """The stores of all accounts and regions, and the one lock that serialises every call.

    The server is threaded; calls are tiny, so one lock is simpler than per-store ones
    and cannot deadlock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stores: dict[tuple[str, str], SchemaStore] = {}

    def call(self, operation: Operation, context: RequestContext, params: Params) -> Params | None:
        with self._lock:
            key = (context.account_id, context.region)
            store = self._stores.setdefault(key, SchemaStore(context.account_id, context.region))
            return operation(store, params)

    def reset(self) -> None:
        """Forget everything, as moto's own reset does for its backends."""
        with self._lock:
            self._stores.clear()


schema_stores = SchemaStores()


# --- views: what the API returns for a resource -----------------------------------------


def _registry_view(registry: Registry) -> Params:
    return {
        "RegistryArn": registry.arn,
        "RegistryName": registry.name,
        "Description": registry.description,
        "Tags": dict(registry.tags),
    }


def _registry_summary(registry: Registry) -> Params:
    return {"RegistryArn": registry.arn, "RegistryName": registry.name, "Tags": dict(registry.tags)}


def _schema_view(schema: Schema, version: SchemaVersion, with_content: bool = False) -> Params:
    view: Params = {
        "Description": schema.description,
        "LastModified": schema.last_modified,
        "SchemaArn": schema.arn,
        "SchemaName": schema.name,
        "SchemaVersion": str(version.number),
        "Tags": dict(schema.tags),
        "Type": version.type,
        "VersionCreatedDate": version.created,
    }
    if with_content:
        view["Content"] = version.content
    return view


def _schema_summary(schema: Schema) -> Params:
    return {
        "LastModified": schema.last_modified,
        "SchemaArn": schema.arn,
        "SchemaName": schema.name,
        "Tags": dict(schema.tags),
        "VersionCount": len(schema.versions),
    }


def _version_summary(schema: Schema, version: SchemaVersion) -> Params:
    return {"SchemaArn": schema.arn, "SchemaName": schema.name, "SchemaVersion": str(version.number), "Type": version.type}


def _page(items: Sequence[Any], params: Params, result_key: str, view: Callable[[Any], Params]) -> Params:
    """One page of a name-sorted listing; the token is the offset of the next item."""
    limit = params.get("Limit") or DEFAULT_PAGE_SIZE
    token = params.get("NextToken") or "0"
    if not token.isdigit() or limit < 1:
        raise ApiError("BadRequestException", "Invalid NextToken or Limit.")
    start = int(token)
    end = start + limit
    return {result_key: [view(item) for item in items[start:end]], "NextToken": str(end) if end < len(items) else None}


def _by_name(items: Iterable[Any], prefix: str | None) -> list[Any]:
    return sorted((item for item in items if item.name.startswith(prefix or "")), key=lambda item: item.name)


def _checked_content(content: str, schema_type: str) -> str:
    """AWS rejects content it cannot parse as a schema document; we check that it is a JSON object."""
    try:
        document = json.loads(content)
    except ValueError as error:
        raise ApiError("BadRequestException", f"Invalid {schema_type} schema content: {error}") from None
    if not isinstance(document, dict):
        raise ApiError("BadRequestException", f"Invalid {schema_type} schema content: not a JSON object.")
    return content


# --- registries ----------------------------------------------------------------------------


def create_registry(store: SchemaStore, params: Params) -> Params:
    name = params["RegistryName"]
    if name in store.registries:
        raise ApiError("ConflictException", f"Registry with name {name} already exists.")
    registry = Registry(name, store.arn(f"registry/{name}"), params.get("Description"), dict(params.get("Tags", {})))
    store.registries[name] = registry
    return _registry_view(registry)


def describe_registry(store: SchemaStore, params: Params) -> Params:
    return _registry_view(store.registry(params["RegistryName"]))


def update_registry(store: SchemaStore, params: Params) -> Params:
    registry = store.registry(params["RegistryName"])
    if "Description" in params:
        registry.description = params["Description"]
    return _registry_view(registry)


def delete_registry(store: SchemaStore, params: Params) -> None:
    """Deletes the registry with its schemas (the registry is their container, as on AWS)."""
    del store.registries[store.registry(params["RegistryName"]).name]


def list_registries(store: SchemaStore, params: Params) -> Params:
    registries = [] if params.get("Scope") == "AWS" else _by_name(store.registries.values(), params.get("RegistryNamePrefix"))
    return _page(registries, params, "Registries", _registry_summary)


# --- schemas -------------------------------------------------------------------------------


def create_schema(store: SchemaStore, params: Params) -> Params:
    registry = store.registry(params["RegistryName"])
    name = params["SchemaName"]
    if name in registry.schemas:
        raise ApiError("ConflictException", f"Schema with name {name} already exists.")
    version = SchemaVersion(1, _checked_content(params["Content"], params["Type"]), params["Type"])
    schema = Schema(
        name,
        store.arn(f"schema/{registry.name}/{name}"),
        params.get("Description"),
        dict(params.get("Tags", {})),
        [version],
        last_modified=version.created,
    )
    registry.schemas[name] = schema
    return _schema_view(schema, version)


def describe_schema(store: SchemaStore, params: Params) -> Params:
    schema = store.registry(params["RegistryName"]).schema(params["SchemaName"])
    return _schema_view(schema, schema.version(params.get("SchemaVersion")), with_content=True)


def update_schema(store: SchemaStore, params: Params) -> Params:
    schema = store.registry(params["RegistryName"]).schema(params["SchemaName"])
    token = params.get("ClientTokenId")
    if token in schema.client_tokens:
        return _schema_view(schema, schema.version(str(schema.client_tokens[token])))
    described = _update_description(schema, params)
    versioned = _add_version_if_new(schema, params)
    if described or versioned:
        schema.last_modified = _now()
    if token:
        schema.client_tokens[token] = schema.latest.number
    return _schema_view(schema, schema.latest)


def _update_description(schema: Schema, params: Params) -> bool:
    if "Description" not in params or params["Description"] == schema.description:
        return False
    schema.description = params["Description"]
    return True


def _add_version_if_new(schema: Schema, params: Params) -> bool:
    latest = schema.latest
    content = params.get("Content", latest.content)
    schema_type = params.get("Type", latest.type)
    if (content, schema_type) == (latest.content, latest.type):
        return False
    schema.versions.append(SchemaVersion(latest.number + 1, _checked_content(content, schema_type), schema_type))
    return True


def delete_schema(store: SchemaStore, params: Params) -> None:
    registry = store.registry(params["RegistryName"])
    del registry.schemas[registry.schema(params["SchemaName"]).name]


def list_schemas(store: SchemaStore, params: Params) -> Params:
    schemas = _by_name(store.registry(params["RegistryName"]).schemas.values(), params.get("SchemaNamePrefix"))
    return _page(schemas, params, "Schemas", _schema_summary)


def list_schema_versions(store: SchemaStore, params: Params) -> Params:
    schema = store.registry(params["RegistryName"]).schema(params["SchemaName"])
    return _page(schema.versions, params, "SchemaVersions", partial(_version_summary, schema))


# --- tags ----------------------------------------------------------------------------------


def tag_resource(store: SchemaStore, params: Params) -> None:
    store.taggable(params["ResourceArn"]).tags.update(params["Tags"])


def untag_resource(store: SchemaStore, params: Params) -> None:
    tags = store.taggable(params["ResourceArn"]).tags
    for key in params["TagKeys"]:
        tags.pop(key, None)


def list_tags_for_resource(store: SchemaStore, params: Params) -> Params:
    return {"Tags": dict(store.taggable(params["ResourceArn"]).tags)}


OPERATIONS: dict[str, Operation] = {
    "CreateRegistry": create_registry,
    "DescribeRegistry": describe_registry,
    "UpdateRegistry": update_registry,
    "DeleteRegistry": delete_registry,
    "ListRegistries": list_registries,
    "CreateSchema": create_schema,
    "DescribeSchema": describe_schema,
    "UpdateSchema": update_schema,
    "DeleteSchema": delete_schema,
    "ListSchemas": list_schemas,
    "ListSchemaVersions": list_schema_versions,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}


def schemas_app(stores: SchemaStores = schema_stores) -> RestJsonService:
    """The Schemas API as a WSGI app, bound to botocore's model of the service."""
    import botocore.session

    from cabructl.local.routing import request_context

    model = botocore.session.get_session().get_service_model(SERVICE_NAME)
    handlers: dict[str, Handler] = {name: partial(stores.call, operation) for name, operation in OPERATIONS.items()}
    return RestJsonService(model, handlers, request_context)
