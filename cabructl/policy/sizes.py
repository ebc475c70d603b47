"""How big an agent's events are: for the 64 KB billing chunks, the archive and the 256 KB limit.

The best answer is the one the topology declares (``typical_size_bytes``); next, an
``example`` the schema carries; last, an estimate built from the schema itself: a
representative event with every declared property present. The size is that of the
whole event as EventBridge stores and delivers it (envelope included), which is never
smaller than the PutEvents entry AWS bills in chunks — so chunk counts err high,
and the archive, which stores whole events, is measured as it is billed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from cabructl.topology.model import EventSchema
from cabructl.topology.openapi import detail_json_schema

# A UUID, a timestamp and an account id: the envelope's fixed-width values.
_UUID = "00000000-0000-0000-0000-000000000000"
_TIMESTAMP = "2024-01-01T00:00:00Z"
_ACCOUNT = "000000000000"
# Lengths fixed by the string formats themselves, not by policy.
_MAX_REF_HOPS = 32
_FORMAT_SAMPLES = {"uuid": _UUID, "date-time": "2024-01-01T00:00:00.000Z", "date": "2024-01-01", "time": "00:00:00"}


@dataclass(frozen=True)
class SizeParameters:
    """policy.yaml ``model.size_estimate``: sizes assumed where the schema sets no bound."""

    string_chars: int
    number_digits: int
    array_items: int
    map_entries: int
    key_chars: int
    max_depth: int


@dataclass(frozen=True)
class EventSize:
    bytes: int
    basis: str  # "declared" | "example" | "estimated": how much to trust it


def event_size(schema: EventSchema, region: str, parameters: SizeParameters) -> EventSize:
    """The size of one event of ``schema``, from the best source available."""
    if schema.typical_size_bytes is not None:
        return EventSize(schema.typical_size_bytes, "declared")
    basis = "example" if "example" in detail_json_schema(schema.type, schema.content, schema.name) else "estimated"
    return EventSize(_bytes(representative_event(schema, region, parameters)), basis)


def representative_event(schema: EventSchema, region: str, parameters: SizeParameters) -> dict[str, Any]:
    """The event :func:`event_size` measures: the schema's example as detail, else the estimate.

    What a target receives of it (its input settings applied) is what the other services bill.
    """
    json_schema = detail_json_schema(schema.type, schema.content, schema.name)
    if "example" in json_schema:
        return _envelope(schema, region, json_schema["example"])
    return _envelope(schema, region, _Estimator(json_schema.get("$defs", {}), parameters).value(json_schema, 0))


def envelope_bytes(schema: EventSchema, region: str, detail: Any) -> int:
    """UTF-8 bytes of the event EventBridge builds around ``detail``."""
    return _bytes(_envelope(schema, region, detail))


def _envelope(schema: EventSchema, region: str, detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": _UUID,
        "detail-type": schema.detail_type,
        "source": schema.source,
        "account": _ACCOUNT,
        "time": _TIMESTAMP,
        "region": region,
        "resources": [],
        "detail": detail,
    }


def _bytes(event: Any) -> int:
    return len(json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


class _Estimator:
    """Builds the representative value of a schema node, bounded by the schema where it can be."""

    def __init__(self, definitions: Mapping[str, Any], parameters: SizeParameters) -> None:
        self.definitions = definitions
        self.parameters = parameters

    def value(self, node: Any, depth: int) -> Any:
        node = self._resolve(node)
        if not isinstance(node, dict) or depth > self.parameters.max_depth:
            return {}
        if "example" in node:
            return node["example"]
        if "enum" in node:
            return max(node["enum"], key=lambda option: len(json.dumps(option)))
        options = node.get("oneOf") or node.get("anyOf")
        if options:
            return max((self.value(option, depth) for option in options), key=lambda value: len(json.dumps(value)))
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind == "object" or "properties" in node:
            return self._object(node, depth)
        if kind == "array":
            return [self.value(node.get("items", {}), depth + 1)] * self._count(node, "minItems", "maxItems", self.parameters.array_items)
        if kind == "string":
            return self._string(node)
        if kind in ("integer", "number"):
            return int("9" * max(1, self.parameters.number_digits))
        if kind == "boolean":
            return True
        return None

    def _object(self, node: Mapping[str, Any], depth: int) -> dict[str, Any]:
        result = {key: self.value(child, depth + 1) for key, child in node.get("properties", {}).items()}
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            for index in range(self.parameters.map_entries):
                key = str(index).rjust(self.parameters.key_chars, "k")
                result[key] = self.value(extra, depth + 1)
        return result

    def _string(self, node: Mapping[str, Any]) -> str:
        if node.get("format") in _FORMAT_SAMPLES:
            return _FORMAT_SAMPLES[node["format"]]
        return "x" * self._count(node, "minLength", "maxLength", self.parameters.string_chars)

    @staticmethod
    def _count(node: Mapping[str, Any], low_key: str, high_key: str, default: int) -> int:
        """The schema's bound when it has one (an upper bound is the worst case), else the default."""
        if isinstance(node.get(high_key), int):
            return node[high_key]
        return max(default, node.get(low_key, 0) if isinstance(node.get(low_key), int) else 0)

    def _resolve(self, node: Any) -> Any:
        return resolve_ref(node, self.definitions)


def resolve_ref(node: Any, definitions: Mapping[str, Any]) -> Any:
    """Follow ``$ref: "#/$defs/X"`` (as :func:`detail_json_schema` writes them) to the schema.

    Bounded, so a self-referencing chain ends instead of looping.
    """
    for _ in range(_MAX_REF_HOPS):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            break
        node = definitions.get(node["$ref"].rsplit("/", 1)[-1], {})
    return node
