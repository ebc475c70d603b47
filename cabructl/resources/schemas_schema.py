"""schemas.schema: the OpenAPI (or JSON Schema) document of each event type, in the registry.

Schemas live in a registry the topology owns and carry its tags: a schema
someone else put in the registry is not the topology's (a conflict when its
name is declared, and it keeps the registry from being deleted). A schema it
does not declare is deleted. Discovery lists the schemas of every owned registry
(the declared one, and one it renamed away from), then describes each (content,
type, description and tags) in parallel. A schema is located by its registry.

The content is compared parsed (see :func:`canonical_content`): the registry
hands back the document as it stores it, not as it was sent. UpdateSchema is
called only when content, type or description really differ, because AWS
answers an update with unchanged content with ConflictException
(terraform-provider-aws#38261); each real content change makes a new version.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.resources.base import Context, Handler, Resource, address, compact_json, is_owned_by
from cabructl.resources.events_rule import parsed_json
from cabructl.resources.schemas_registry import REGISTRY_ADDRESS, owned_registries, update_schema_tags
from cabructl.resources.tags import recorded_address
from cabructl.topology.model import EventSchema, Topology

KIND = "schemas.schema"
_VERSIONED = ("content", "type")  # a change to either makes a new schema version


class SchemaHandler(Handler):
    kind = KIND
    section = "schemas"
    located_by = ("registry",)
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
            "tags": topology.resource_tags(schema.tags, address=address(KIND, schema.name)),
        }
        identity = {"registry": registry, "arn": schema_arn(context, registry, schema.name)}
        return Resource(address(KIND, schema.name), KIND, schema.name, attributes, (REGISTRY_ADDRESS,), identity,
                        parent=REGISTRY_ADDRESS)

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """ListSchemas in every owned registry, and DescribeSchema per schema."""
        listed = [(registry, registry_address, summary["SchemaName"])
                  for registry, registry_address in sorted(owned_registries(aws, topology, context).items())
                  for summary in aws.find(lambda registry=registry: aws.paginate("schemas", "list_schemas", "Schemas",
                                                                                 RegistryName=registry)) or []]
        found = parallel_map(lambda item: self._read(aws, topology, *item, desired), sorted(listed), aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, registry: str, registry_address: str, name: str,
              desired: list[Resource]) -> Resource | None:
        schema = aws.find(lambda: aws.client("schemas").describe_schema(RegistryName=registry, SchemaName=name))
        if schema is None:
            return None  # deleted between the list and the read
        identity = {"registry": registry, "arn": schema["SchemaArn"], "version": schema.get("SchemaVersion")}
        attributes = live_attributes(schema)
        tags = attributes["tags"]
        here = [resource for resource in desired if resource.identity.get("registry") == registry]
        return Resource(recorded_address(KIND, topology, name, tags, here), KIND, name, attributes, (), identity,
                        is_owned_by(tags, topology), parent=registry_address)

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
        aws.settle(lambda: aws.client("schemas").create_schema(**request), propagating=True)  # a new registry propagates

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


def live_baseline(topology: Topology, changes: Any) -> Topology | None:
    """The topology with each schema a plan updates holding the registry's latest version instead:
    what the compatibility gate compares the new content with (None when no schema changes)."""
    import dataclasses

    replaced = {}
    for change in changes:
        if change.kind == KIND and change.before is not None and change.after is not None and change.after.name in topology.schemas:
            live = change.before.attributes.get("content")
            if isinstance(live, dict):
                replaced[change.after.name] = dataclasses.replace(topology.schemas[change.after.name], content=live)
    return dataclasses.replace(topology, schemas={**topology.schemas, **replaced}) if replaced else None
