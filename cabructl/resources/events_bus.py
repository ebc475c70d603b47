"""events.bus: the custom event bus every agent publishes to and every rule listens on.

Owned by tags. The topology always names its bus explicitly, so discovery reads
that name, every bus under the topology's name prefix, and every bus the tag
index says is the topology's: a bus it no longer declares, or one it renamed, is
found (and replaced or deleted). Every owned bus answers to ``events.bus.bus``
through its recorded address, so a new ``bus.name`` is a replace.

Discovery is read once per command (``aws.memo``): the rule handler lists rules
on every bus found here, so rules left on a renamed bus are not invisible.

The EventBridge tag helpers live here, beside the first EventBridge kind, and
the rule handler reuses them.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from cabructl.aws import parallel_map
from cabructl.resources.arns import bus_arn, tag_list, tag_map
from cabructl.resources.base import HOLDS_UNOWNED, Context, Handler, Resource, address, in_view, is_owned_by, update_tags
from cabructl.resources.importing import TAGS, Field, KindImporter
from cabructl.resources.kms_key import key_dependency, key_reference
from cabructl.resources.tags import indexed_arns, recorded_address, tags_of
from cabructl.topology.model import Topology

KIND = "events.bus"
LOGICAL = "bus"  # a topology has one bus: its address is always events.bus.bus
BUS_ADDRESS = address(KIND, LOGICAL)


class BusHandler(Handler):
    kind = KIND
    section = "bus"
    # Description and tags change in place; the name is the identity (a new name is a new bus).
    importer = KindImporter(lambda topology, logical: topology.bus, {"description": Field(("description",)), **TAGS},
                            {"kms_key": "the bus's key is a reference: edit `bus.encryption` by hand"})

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        bus = topology.bus
        attributes = {"description": bus.description, "kms_key": key_reference(topology, context, bus.key),
                      "tags": topology.resource_tags(bus.tags, address=BUS_ADDRESS)}
        return [Resource(BUS_ADDRESS, KIND, bus.name, attributes, key_dependency(bus.key), {"arn": bus_arn(topology, context)})]

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """One ListEventBuses for the prefix, then DescribeEventBus (+ tags unless indexed) per bus, in parallel."""
        key = (KIND, tuple(sorted(resource.name for resource in desired)))
        return aws.memo(key, lambda: self._discover(aws, topology, context, desired))

    def _discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        listed = token_pages(aws.client("events").list_event_buses, "EventBuses", NamePrefix=topology.prefix)
        names = {bus["Name"] for bus in listed} | {resource.name for resource in desired}
        names |= {arn.split("event-bus/", 1)[1] for arn in indexed_arns(aws, topology, context.arn("events", "event-bus/"))}
        found = parallel_map(lambda name: self._read(aws, topology, name, desired), sorted(names), aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, name: str, desired: list[Resource]) -> Resource | None:
        bus = aws.find(lambda: aws.client("events").describe_event_bus(Name=name))
        if bus is None:
            return None  # not there (yet), or deleted between the list and the read
        tags = tags_of(aws, topology, bus["Arn"], lambda: read_event_tags(aws, bus["Arn"]))
        if tags is None:
            return None
        owned = is_owned_by(tags, topology)
        if not in_view(owned, name, topology, desired):
            return None  # not ours and not in our way: invisible to cabructl
        attributes = {"description": bus.get("Description", ""), "kms_key": bus.get("KmsKeyIdentifier"), "tags": tags}
        identity = {"arn": bus["Arn"], "policy": bus.get("Policy"),  # the policy: read here once for events.bus_policy
                    HOLDS_UNOWNED: _granted_by_others(topology, bus.get("Policy"))}
        return Resource(recorded_address(KIND, topology, name, tags, desired), KIND, name, attributes, (), identity, owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        request: dict[str, Any] = {"Name": resource.name, "Tags": tag_list(resource.attributes["tags"])}
        if resource.attributes["description"]:
            request["Description"] = resource.attributes["description"]
        if resource.attributes.get("kms_key"):
            request["KmsKeyIdentifier"] = resource.attributes["kms_key"]
        aws.settle(lambda: aws.client("events").create_event_bus(**request), propagating=True)  # a new key's alias propagates

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        description, key = desired.attributes["description"], desired.attributes.get("kms_key")
        if description != live.attributes.get("description") or key != live.attributes.get("kms_key"):
            # UpdateEventBus without KmsKeyIdentifier puts the bus back on an AWS-owned key: always send the one wanted
            aws.client("events").update_event_bus(Name=live.name, Description=description, **({"KmsKeyIdentifier": key} if key else {}))
        update_event_tags(aws, live.identity["arn"], desired.attributes["tags"], live.attributes.get("tags", {}))

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("events").delete_event_bus(Name=live.name))


def token_pages(call: Callable[..., Mapping[str, Any]], result_key: str, **kwargs: Any) -> list[Any]:
    """Every item of an EventBridge list call that botocore has no paginator for
    (ListEventBuses, ListArchives): follow NextToken until there is none."""
    items: list[Any] = []
    token: str | None = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        items.extend(page.get(result_key, []))
        token = page.get("NextToken")
        if not token:
            return items


def read_event_tags(aws: Any, arn: str) -> dict[str, str] | None:
    """An EventBridge resource's tags as a map; None when the resource is gone."""
    response = aws.find(lambda: aws.client("events").list_tags_for_resource(ResourceARN=arn))
    return None if response is None else tag_map(response.get("Tags", []))


def update_event_tags(aws: Any, arn: str, desired: Mapping[str, str], live: Mapping[str, str]) -> None:
    """Tag and untag only what changed (EventBridge takes tags as a list of Key/Value)."""
    client = aws.client("events")
    update_tags(desired, live, lambda tags: client.tag_resource(ResourceARN=arn, Tags=tag_list(tags)),
                lambda keys: client.untag_resource(ResourceARN=arn, TagKeys=keys))


HANDLER = BusHandler()


def _granted_by_others(topology: Topology, policy: Any) -> list[str]:
    """Statements someone else put in the bus policy: a destroy keeps the bus for them (another team's
    publishers may rely on it), as it keeps a bus holding a rule made by hand."""
    from cabructl.resources.events_bus_policy import others_statements

    return [f"bus-policy statement {sid}" for sid in others_statements(topology, policy)] if policy else []

