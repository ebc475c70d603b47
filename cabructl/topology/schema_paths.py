"""Which declared events reach a rule, and what their schemas say about a field path.

A rule's pattern and a target's input paths name event fields; AWS accepts any name,
so a misspelt field or enum value makes a rule that never matches, or an input that
is always empty. Both checks ask the same two questions here: which events can reach
the rule (those whose source and detail-type its pattern admits), and, for a path
into ``detail``, whether each event's schema can hold it and what it declares there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from cabructl.topology.model import EventSchema, Rule, Topology

ENVELOPE_FIELDS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")
_ROUTING_KEYS = ("source", "detail-type")
_MAX_REFERENCES = 32  # a $ref chain longer than this is a loop


def reaching_schemas(topology: Topology, rule: Rule) -> list[EventSchema]:
    """The declared events whose source and detail-type the rule's pattern admits (all, when it cannot tell)."""
    from cabructl.patterns import PatternError, compile_pattern

    routing = {key: value for key, value in rule.pattern.items() if key in _ROUTING_KEYS}
    if not routing or "$or" in rule.pattern:
        return list(topology.schemas.values())
    try:
        admits = compile_pattern(routing)
    except PatternError:  # reported by the pattern check
        return list(topology.schemas.values())
    return [schema for schema in topology.schemas.values()
            if admits.matches({"source": schema.source, "detail-type": schema.detail_type})]


@dataclass(frozen=True)
class Lookup:
    """What one schema says about a path into ``detail``."""

    node: Mapping[str, Any] | None = None          # the field's schema, when the schema declares it
    missing: tuple[str, list[str]] | None = None   # (the member it cannot hold, the names it has there)

    @property
    def open(self) -> bool:
        """Neither declared nor excluded (an open map, an untyped part): anything may be there."""
        return self.node is None and self.missing is None


def lookup(schema: EventSchema, steps: Iterable[Any]) -> Lookup:
    """Walk ``steps`` (member names; ints and wildcards step into array items) through the detail schema.

    Arrays on the way are looked through, as EventBridge searches arrays element-wise.
    """
    root, node = schema.content, resolved(schema.detail_schema, schema.content)
    for step in steps:
        node = _through_arrays(node, root)
        if not isinstance(node, Mapping):
            return Lookup()
        if not isinstance(step, str):
            continue  # an index or wildcard: the array's items, already looked through
        properties = declared_properties(node, root)
        if properties is None:
            return Lookup()
        if step not in properties:
            if node.get("additionalProperties") not in (None, False):
                return Lookup()  # an open map: any name may be there
            return Lookup(missing=(step, list(properties)))
        node = resolved(properties[step], root)
    return Lookup(node=_through_arrays(node, root) if isinstance(node, Mapping) else None)


def _through_arrays(node: Any, root: Mapping[str, Any]) -> Any:
    while isinstance(node, Mapping) and node.get("type") == "array" and isinstance(node.get("items"), Mapping):
        node = resolved(node["items"], root)
    return node


def declared_properties(node: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any] | None:
    """The member schemas a node declares (its allOf/oneOf/anyOf branches included); None when it declares none."""
    found: dict[str, Any] = {}
    declared = False
    branches = [node, *(resolved(b, root) for key in ("allOf", "oneOf", "anyOf") for b in node.get(key, []) or [])]
    for branch in branches:
        if isinstance(branch, Mapping) and isinstance(branch.get("properties"), Mapping):
            declared = True
            found.update(branch["properties"])
    return found if declared else None


def resolved(node: Any, root: Mapping[str, Any]) -> Any:
    """Follow local ``$ref``s (``#/components/schemas/X``, ``#/definitions/X``, ``#/…``) within the document."""
    hops = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#") and hops < _MAX_REFERENCES:
        target: Any = root
        for part in node["$ref"][1:].strip("/").split("/"):
            if part:
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, Mapping) else {}
        node, hops = target, hops + 1
    return node


def json_type(node: Mapping[str, Any] | None) -> str | None:
    """The field's declared JSON type (``integer`` counts as ``number``), or None when it says none."""
    if node is None:
        return None
    declared = node.get("type")
    if isinstance(declared, list):
        declared = next((kind for kind in declared if kind != "null"), None)
    return "number" if declared == "integer" else declared if isinstance(declared, str) else None
