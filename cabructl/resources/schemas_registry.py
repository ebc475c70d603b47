"""schemas.registry: the registry holding the schemas agents publish and validate against.

Owned by tags. ListRegistries returns each registry's tags, so registries under
the topology's prefix that are not ours are dropped without another call;
DescribeRegistry then gives the description (and tags) of the rest, one call
each. The declared registry is always described by name, wherever it is named.

The Schemas tag helpers live here, beside the first Schemas kind, and the
schema handler reuses them (Schemas tags are a plain map, unlike EventBridge's).
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.resources.arns import registry_arn
from cabructl.resources.base import Context, Handler, Resource, address, in_view, is_owned_by, update_tags
from cabructl.resources.importing import TAGS, Field, KindImporter
from cabructl.resources.tags import recorded_address
from cabructl.topology.model import Topology

KIND = "schemas.registry"
LOGICAL = "registry"  # a topology has at most one registry: schemas.registry.registry
REGISTRY_ADDRESS = address(KIND, LOGICAL)


class RegistryHandler(Handler):
    kind = KIND
    section = "schemas"
    # Description and tags change in place; the name is the identity.
    importer = KindImporter(lambda topology, logical: topology.registry, {"description": Field(("description",)), **TAGS})

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        registry = topology.registry
        if registry is None:
            return []
        attributes = {"description": registry.description, "tags": topology.resource_tags(registry.tags, address=REGISTRY_ADDRESS)}
        return [Resource(REGISTRY_ADDRESS, KIND, registry.name, attributes, (), {"arn": registry_arn(topology, context)})]

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """ListRegistries for the prefix (tags included), then DescribeRegistry per candidate (once per command:
        the schema handler lists the schemas of every registry found here)."""
        key = (KIND, "discovery", tuple(sorted(resource.name for resource in desired)))
        return aws.memo(key, lambda: self._discover(aws, topology, desired))

    def _discover(self, aws: Any, topology: Topology, desired: list[Resource]) -> list[Resource]:
        wanted = {resource.name for resource in desired}
        listed = aws.paginate("schemas", "list_registries", "Registries", RegistryNamePrefix=topology.prefix, Scope="LOCAL")
        names = {summary["RegistryName"] for summary in listed} | wanted  # in_view decides, as for every kind
        found = parallel_map(lambda name: self._read(aws, topology, name, desired), sorted(names), aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, name: str, desired: list[Resource]) -> Resource | None:
        registry = describe_registry(aws, name)
        if registry is None:
            return None  # not there, or deleted between the list and the read
        tags = dict(registry.get("Tags") or {})
        owned = is_owned_by(tags, topology)
        if not in_view(owned, name, topology, desired):
            return None
        attributes = {"description": registry.get("Description", ""), "tags": tags}
        return Resource(recorded_address(KIND, topology, name, tags, desired), KIND, name, attributes, (), {"arn": registry["RegistryArn"]},
                        owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        request: dict[str, Any] = {"RegistryName": resource.name, "Tags": dict(resource.attributes["tags"])}
        if resource.attributes["description"]:
            request["Description"] = resource.attributes["description"]
        aws.settle(lambda: aws.client("schemas").create_registry(**request))

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        description = desired.attributes["description"]
        if description != live.attributes.get("description"):
            aws.client("schemas").update_registry(RegistryName=live.name, Description=description)
        update_schema_tags(aws, live.identity["arn"], desired.attributes["tags"], live.attributes.get("tags", {}))

    def delete(self, aws: Any, live: Resource) -> None:
        """DeleteRegistry removes the registry with the schemas it holds."""
        aws.delete(lambda: aws.client("schemas").delete_registry(RegistryName=live.name))


def describe_registry(aws: Any, name: str) -> dict[str, Any] | None:
    """DescribeRegistry, once per command: both schema kinds need it."""
    return aws.memo((KIND, name), lambda: aws.find(lambda: aws.client("schemas").describe_registry(RegistryName=name)))


def owned_registries(aws: Any, topology: Topology, context: Context) -> dict[str, str]:
    """Name → address of every live registry the topology owns (the declared one, and one it
    renamed away from): the schema handler reads the schemas inside them."""
    found = HANDLER.discover(aws, topology, context, HANDLER.desired(topology, context))
    return {registry.name: registry.address for registry in found if registry.owned}


def update_schema_tags(aws: Any, arn: str, desired: Mapping[str, str], live: Mapping[str, str]) -> None:
    """Tag and untag a registry or schema for only what changed (Schemas takes tags as a map)."""
    client = aws.client("schemas")
    update_tags(desired, live, lambda tags: client.tag_resource(ResourceArn=arn, Tags=tags),
                lambda keys: client.untag_resource(ResourceArn=arn, TagKeys=keys))


HANDLER = RegistryHandler()
