"""events.rule: routing rules on the topology's bus (pattern, state, description, tags).

Owned by tags. One paginated ``ListRules`` per bus returns every rule's
pattern, state and description, so discovery adds only the tags of each rule
that the tag index does not cover (in parallel). Rules are listed on the declared
bus and on every other bus the topology owns (one it renamed away from), so a rule
left there is found and deleted. A rule's parent is its bus: a bus holding a rule
cabructl does not own is never deleted. The target handler reuses this discovery
to learn which rules are owned: targets are owned through their rule.

A rule is located by its bus and its name: either changing is a replace.

Patterns are compared parsed, never as text (see :func:`canonical_pattern`).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.resources import events_bus
from cabructl.resources.arns import rule_arn, rule_location, tag_list
from cabructl.resources.base import Context, Handler, Resource, address, canonical_json, compact_json, is_owned_by
from cabructl.resources.importing import TAGS, Field, Form, KindImporter
from cabructl.resources.events_bus import BUS_ADDRESS, read_event_tags, update_event_tags
from cabructl.resources.tags import recorded_address, tags_of
from cabructl.topology.model import Rule, Topology

KIND = "events.rule"
_RULE_FIELDS = ("pattern", "state", "description")  # what PutRule sets; tags have their own calls


class RuleHandler(Handler):
    kind = KIND
    section = "rules"
    located_by = ("bus",)
    importer = KindImporter(
        lambda topology, logical: topology.rules.get(logical),
        {"pattern": Field(("pattern",), Form.STRUCTURE), "state": Field(("state",)),
         "description": Field(("description",)), **TAGS},
    )
    routes_events = True  # an unmanaged one reroutes events: drift in it is urgent
    # Everything changes in place: PutRule overwrites a rule of the same name.

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        return [self._desired_rule(topology, context, rule) for rule in topology.rules.values()]

    def _desired_rule(self, topology: Topology, context: Context, rule: Rule) -> Resource:
        attributes = {
            "pattern": canonical_pattern(rule.pattern),
            "state": rule.state,
            "description": rule.description,
            "tags": topology.resource_tags(rule.tags, address=address(KIND, rule.logical)),
        }
        identity = {"arn": rule_arn(topology, context, rule), "bus": topology.bus.name}
        return Resource(address(KIND, rule.logical), KIND, rule.name, attributes, (BUS_ADDRESS,), identity, parent=BUS_ADDRESS)

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """ListRules on each bus (nothing when a bus is missing), then the tags of each rule.

        Every rule on the topology's buses comes back, owned or not: unowned ones are
        conflicts when declared and "unmanaged" drift otherwise, never touched.
        The target handler asks for the same rules; ``aws.memo`` reads them once.
        """
        key = (KIND, topology.bus.name, tuple(sorted(resource.name for resource in desired)))
        return aws.memo(key, lambda: self._discover(aws, topology, context, desired))

    def _discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        buses = rule_buses(aws, topology, context)
        listed = [(bus_address, rule) for bus_name, bus_address in sorted(buses.items())
                  for rule in aws.find(lambda bus_name=bus_name: aws.paginate("events", "list_rules", "Rules", EventBusName=bus_name)) or []
                  if not _managed_by_aws(rule)]
        found = parallel_map(lambda item: self._read(aws, topology, item[1], item[0], desired), listed, aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, listed: Mapping[str, Any], bus_address: str,
              desired: list[Resource]) -> Resource | None:
        tags = tags_of(aws, topology, listed["Arn"], lambda: read_event_tags(aws, listed["Arn"]))
        if tags is None:
            return None  # deleted between the list and the read
        name = listed["Name"]
        owned = is_owned_by(tags, topology)
        identity = {"arn": listed["Arn"], "bus": listed.get("EventBusName") or _bus_of(listed["Arn"])}
        wanted = [resource for resource in desired if resource.identity.get("bus") == identity["bus"]]
        return Resource(recorded_address(KIND, topology, name, tags, wanted), KIND, name, live_attributes(listed, tags), (),
                        identity, owned, parent=bus_address)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        request = {**put_rule_request(resource), "Tags": tag_list(resource.attributes["tags"])}
        aws.settle(lambda: aws.client("events").put_rule(**request), propagating=True)  # a new bus propagates

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        if any(desired.attributes[key] != live.attributes.get(key) for key in _RULE_FIELDS):
            aws.client("events").put_rule(**put_rule_request(desired))
        update_event_tags(aws, live.identity["arn"], desired.attributes["tags"], live.attributes.get("tags", {}))

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("events").delete_rule(Name=live.name, EventBusName=live.identity["bus"]))


def rule_buses(aws: Any, topology: Topology, context: Context) -> dict[str, str]:
    """Bus name → address of every bus whose rules are the topology's concern: the declared
    one (even before it exists) and every live bus the topology owns."""
    handler = events_bus.HANDLER
    owned = {bus.name: bus.address for bus in handler.discover(aws, topology, context, handler.desired(topology, context))
             if bus.owned}
    return {topology.bus.name: BUS_ADDRESS, **owned}


def _bus_of(arn: str) -> str:
    """``…:rule/<bus>/<name>`` names its bus; ``…:rule/<name>`` is on the default bus."""
    location = rule_location(arn)
    return location[0] if location else "default"


def canonical_pattern(pattern: Any) -> dict[str, Any] | None:
    """An event pattern as plain parsed JSON, or None when there is none.

    Text from AWS is parsed, so key order and whitespace never show as a change
    (terraform-provider-aws#298); data from the topology goes through the same
    JSON round trip, so YAML's mapping types compare equal to dicts. "", "{}" and
    a missing pattern all mean "no pattern" (#45483). Numbers stay numbers in the
    form they were written: ``4.0`` stays a float, never ``4`` and never ``"4"``
    (cloudformation-coverage-roadmap#251, #1735).
    """
    return parsed_json(pattern) or None


def parsed_json(value: Any) -> Any:
    """JSON text, or data loaded from YAML, as plain Python JSON values (dict, list, str, int, float)."""
    if isinstance(value, str):
        return canonical_json(value)
    return json.loads(json.dumps(value, default=str))


def live_attributes(listed: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """A ListRules entry → the canonical form; a missing description is the empty one."""
    return {
        "pattern": canonical_pattern(listed.get("EventPattern")),
        "state": listed.get("State", "ENABLED"),
        "description": listed.get("Description", ""),
        "tags": dict(tags),
    }


def put_rule_request(resource: Resource) -> dict[str, Any]:
    """PutRule's parameters from the canonical form; the pattern is sent compact, numbers as written."""
    attributes = resource.attributes
    request: dict[str, Any] = {
        "Name": resource.name,
        "EventBusName": resource.identity["bus"],
        "State": attributes["state"],
        "Description": attributes["description"],
    }
    if attributes["pattern"] is not None:
        request["EventPattern"] = compact_json(attributes["pattern"])
    return request


def _managed_by_aws(listed: Mapping[str, Any]) -> bool:
    """Rules AWS services create on the bus (an archive's rule) belong to them, not to anyone's topology."""
    return bool(listed.get("ManagedBy"))


HANDLER = RuleHandler()
