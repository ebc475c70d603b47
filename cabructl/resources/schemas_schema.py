"""schemas.schema: the OpenAPI (or JSON Schema) document of each event type, in the registry.

Schemas are owned through their registry: every schema in the registry the
topology owns is the topology's, so one it does not declare is deleted.
Discovery lists the registry's schemas, then describes each (content, type,
description and tags) in parallel.

The content is compared parsed (see :func:`canonical_content`): the registry
hands back the document as it stores it, not as it was sent. UpdateSchema is
called only when content, type or description really differ, because AWS
answers an update with unchanged content with ConflictException
(terraform-provider-aws#38261); each real content change makes a new version.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.resources.base import Context, Handler, Resource, address, compact_json
from cabructl.resources.events_rule import parsed_json
from cabructl.resources.schemas_registry import REGISTRY_ADDRESS, declared_registry_is_ours, update_schema_tags
from cabructl.topology.model import EventSchema, Topology

KIND = "schemas.schema"
_VERSIONED = ("content", "type")  # a change to either makes a new schema version


class SchemaHandler(Handler):
    kind = KIND
    # Everything changes in place: UpdateSchema versions the content; the name is the identity.

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        if topology.registry is None:
            return []
        return [self._desired_schema(topology, context, schema) for schema in topology.schemas.values()]

    def _desired_schema(self, topology: Topology, context: Context, schema: EventSchema) -> Resource:
        assert topology.registry is not None
        registry = topology.registry.name
        attributes = {
            "content": canonical_content(schema.content),
            "type": schema.type,
            "description": schema.description,
            "tags": topology.resource_tags(schema.tags),
        }
        identity = {"registry": registry, "arn": schema_arn(context, registry, schema.name)}
        return Resource(address(KIND, schema.name), KIND, schema.name, attributes, (REGISTRY_ADDRESS,), identity,
                        parent=REGISTRY_ADDRESS)

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """Nothing unless the declared registry is ours; then ListSchemas and DescribeSchema per schema."""
        if topology.registry is None or not declared_registry_is_ours(aws, topology):
            return []
        registry = topology.registry.name
        listed = aws.find(lambda: aws.paginate("schemas", "list_schemas", "Schemas", RegistryName=registry)) or []
        names = sorted(summary["SchemaName"] for summary in listed)
        found = parallel_map(lambda name: self._read(aws, registry, name), names, aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, registry: str, name: str) -> Resource | None:
        schema = aws.find(lambda: aws.client("schemas").describe_schema(RegistryName=registry, SchemaName=name))
        if schema is None:
            return None  # deleted between the list and the read
        identity = {"registry": registry, "arn": schema["SchemaArn"], "version": schema.get("SchemaVersion")}
        return Resource(address(KIND, name), KIND, name, live_attributes(schema), (), identity, parent=REGISTRY_ADDRESS)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        attributes = resource.attributes
        request: dict[str, Any] = {
            "RegistryName": resource.identity["registry"],
            "SchemaName": resource.name,
            "Type": attributes["type"],
            "Content": compact_json(attributes["content"]),
            "Tags": dict(attributes["tags"]),
        }
        if attributes["description"]:
            request["Description"] = attributes["description"]
        aws.settle(lambda: aws.client("schemas").create_schema(**request))  # the registry may still be propagating

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        request = schema_update_request(desired, live)
        if request is not None:
            aws.client("schemas").update_schema(**request)
        update_schema_tags(aws, live.identity["arn"], desired.attributes["tags"], live.attributes.get("tags", {}))

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("schemas").delete_schema(RegistryName=live.identity["registry"], SchemaName=live.name))


def schema_arn(context: Context, registry: str, name: str) -> str:
    return context.arn("schemas", f"schema/{registry}/{name}")


def canonical_content(content: Any) -> Any:
    """A schema document as plain parsed JSON: the registry re-serialises what it stores
    (key order, whitespace), and the topology's copy comes from YAML; both compare parsed."""
    return parsed_json(content)


def live_attributes(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeSchema response (latest version) → the canonical form."""
    return {
        "content": canonical_content(schema.get("Content", "{}")),
        "type": schema.get("Type"),
        "description": schema.get("Description", ""),
        "tags": dict(schema.get("Tags") or {}),
    }


def schema_update_request(desired: Resource, live: Resource) -> dict[str, Any] | None:
    """UpdateSchema's parameters for what really differs, or None for no call at all.

    Compared here on the canonical values rather than trusted from the plan's changed
    attributes: adopting passes every attribute as changed, and an UpdateSchema with
    unchanged content is a ConflictException on AWS (terraform-provider-aws#38261).
    """
    differs = {key for key in (*_VERSIONED, "description") if desired.attributes[key] != live.attributes.get(key)}
    if not differs:
        return None
    request: dict[str, Any] = {"RegistryName": live.identity["registry"], "SchemaName": live.name}
    if differs & set(_VERSIONED):
        request["Content"] = compact_json(desired.attributes["content"])
        request["Type"] = desired.attributes["type"]
    if "description" in differs:
        request["Description"] = desired.attributes["description"]
    return request


HANDLER = SchemaHandler()
