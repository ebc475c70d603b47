"""What one event schema says, for people: its fields as table rows, and an example event.

The example is made by the agent SDK's own generator (:mod:`cabructl.agents.generate`, what
``cabructl loadtest`` publishes), seeded by the schema's name and with a fixed clock, so a
catalogue or an AsyncAPI document in git changes only when the schema does.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from typing import Any, Mapping

from cabructl.agents.generate import DetailGenerator
from cabructl.policy.routes import envelope
from cabructl.topology.model import EventSchema, Topology
from cabructl.topology.openapi import numeric_bound, resolved_reference

# Examples must not change from one run to the next (a catalogue in git, a diff in review).
EXAMPLE_TIME = "2026-01-01T12:00:00Z"
EXAMPLE_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class FieldFacts:
    """One row of an event's schema table: a field of ``detail``, flattened (``a.b``, ``items[]``)."""

    path: str
    type: str
    required: bool
    allowed: tuple[str, ...]
    format: str
    description: str


def example_event(topology: Topology, schema: EventSchema, json_schema: Mapping[str, Any],
                  mix: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, Any]:
    """A complete, valid event of ``schema``, the same on every run (seeded by the schema's name)."""
    rng = random.Random(f"cabructl-example:{schema.name}")
    detail = _FixedClockGenerator(json_schema, rng, mix).detail()
    event = envelope(topology, schema.source, schema.detail_type, detail, time=EXAMPLE_TIME)
    event["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    event["account"] = EXAMPLE_ACCOUNT
    return event


class _FixedClockGenerator(DetailGenerator):
    """The SDK's generator with one fixed instant for ``date-time`` fields (reproducible examples)."""

    def _string(self, node: Mapping[str, Any]) -> str:
        return EXAMPLE_TIME if node.get("format") == "date-time" else super()._string(node)


def schema_fields(schema: Mapping[str, Any]) -> list[FieldFacts]:
    """Every field of ``detail``, nested ones as dotted paths; a ``$ref`` is followed once per path."""
    rows: list[FieldFacts] = []
    _walk(schema, schema, "", rows, frozenset())
    return rows


def _walk(root: Mapping[str, Any], node: Mapping[str, Any], prefix: str, rows: list[FieldFacts], seen: frozenset[str]) -> None:
    node, seen = resolved_reference(root, node, seen)
    required = set(node.get("required", []) or [])
    for name, child in (node.get("properties") or {}).items():
        if not isinstance(child, dict):
            continue
        path = f"{prefix}{name}"
        resolved, child_seen = resolved_reference(root, child, seen)
        rows.append(FieldFacts(path, _type_of(child, resolved), name in required,
                               _allowed(resolved),
                               str(resolved.get("format", "")), str(resolved.get("description", child.get("description", "")))))
        if isinstance(resolved.get("properties"), dict):
            _walk(root, resolved, path + ".", rows, child_seen)
        items = resolved.get("items")
        if isinstance(items, dict):
            item, item_seen = resolved_reference(root, items, child_seen)
            if isinstance(item.get("properties"), dict):
                _walk(root, item, path + "[].", rows, item_seen)




def _type_of(node: Mapping[str, Any], resolved: Mapping[str, Any]) -> str:
    kind = resolved.get("type", "any")
    text = " or ".join(map(str, kind)) if isinstance(kind, list) else str(kind)
    if text == "array" and isinstance(resolved.get("items"), dict):
        text = f"array of {resolved['items'].get('type', _ref_name(resolved['items']) or 'any')}"
    reference = _ref_name(node)
    return f"{text} ({reference})" if reference else text


def _ref_name(node: Mapping[str, Any]) -> str | None:
    reference = node.get("$ref")
    return reference.rsplit("/", 1)[-1] if isinstance(reference, str) and reference != "#" else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _allowed(node: Mapping[str, Any]) -> tuple[str, ...]:
    """The values a field takes: its enum, else its bounds and pattern as a reader writes them."""
    if node.get("enum"):
        return tuple(_text(value) for value in node["enum"])
    found = []
    for inclusive, exclusive, strict, loose in (("minimum", "exclusiveMinimum", ">", "≥"), ("maximum", "exclusiveMaximum", "<", "≤")):
        bound = numeric_bound(node, inclusive, exclusive)
        if bound:
            found.append(f"{strict if bound[1] else loose} {bound[0]:g}")
    for keyword, text in (("minLength", "at least {} characters"), ("maxLength", "at most {} characters"),
                          ("minItems", "at least {} items"), ("maxItems", "at most {} items"), ("pattern", "matches {}")):
        if keyword in node:
            found.append(text.format(node[keyword]))
    if "const" in node:
        found.append(_text(node["const"]))
    return tuple(found)
