"""Plausible event details made from a schema, for load tests and examples.

Generated from the detail JSON Schema rather than written per event type, so a
new schema in topology.yaml is load-testable the moment it is declared. Enum
values follow the agent's declared ``mix`` where there is one (so a load test
matches rules in the proportions the cost model expects), and every detail
satisfies its schema: required fields always, optional ones half the time, numbers
within their bounds, and local ``$ref``s followed (a recursive schema stops after
MAX_REFERENCES levels).
"""

from __future__ import annotations

import random
import uuid
from typing import Any, Mapping

from cabructl.agents.events import now_iso8601
from cabructl.topology.openapi import numeric_bound, resolved_reference

MAX_ITEMS = 3
OPTIONAL_SHARE = 0.5
MAX_REFERENCES = 8  # nested $refs after which only required fields are made (a recursive schema ends)
NUMBER_SPAN = 100  # the width of a range with only one bound
WORDS = ("latency", "segment", "crop", "model", "api", "queue", "export", "tile", "canopy", "shade", "cacao", "batch")


class DetailGenerator:
    """Random valid details for one detail schema; seeded, so a load test can be repeated."""

    def __init__(self, schema: Mapping[str, Any], rng: random.Random, mix: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self.schema = schema
        self.rng = rng
        self.mix = mix or {}
        self._references_followed = 0

    def detail(self) -> dict[str, Any]:
        return self._object(self.schema, top_level=True)

    def _value(self, node: Mapping[str, Any], field: str | None = None, top_level: bool = False) -> Any:
        if isinstance(node.get("$ref"), str):
            return self._referenced(node, field, top_level)
        if "enum" in node:
            return self._choice(node["enum"], self.mix.get(field or "") if top_level else None)
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind == "object":
            return self._object(node)
        if kind == "array":
            return [self._value(node.get("items", {})) for _ in range(self.rng.randint(0, MAX_ITEMS))]
        if kind in ("integer", "number"):
            return self._number(node, integer=kind == "integer")
        if kind == "boolean":
            return self.rng.random() < 0.5
        return self._string(node)

    def _referenced(self, node: Mapping[str, Any], field: str | None, top_level: bool) -> Any:
        """Past MAX_REFERENCES nested references only required fields are made (see ``_object``), so a
        recursive schema ends; one that requires itself has no finite instance and gets ``{}`` there."""
        if self._references_followed > 2 * MAX_REFERENCES:
            return {}
        target, _ = resolved_reference(self.schema, node)
        self._references_followed += 1
        try:
            return self._value(target, field, top_level)
        finally:
            self._references_followed -= 1

    def _number(self, node: Mapping[str, Any], *, integer: bool) -> float | int:
        """A number inside the schema's bounds (either dialect's ``exclusive*``)."""
        low, high = numeric_bound(node, "minimum", "exclusiveMinimum"), numeric_bound(node, "maximum", "exclusiveMaximum")
        low_value = low[0] if low else (high[0] - NUMBER_SPAN if high else 0.0)
        high_value = high[0] if high else low_value + NUMBER_SPAN * (10 if integer and not low else 1)
        if integer:
            first = int(low_value) + (1 if low and (low[1] or low_value != int(low_value)) else 0)
            last = int(high_value) - (1 if high and high[1] and high_value == int(high_value) else 0)
            return self.rng.randint(first, max(first, last))
        value = round(self.rng.uniform(low_value, high_value), 2)
        return value if low_value < value < high_value else (low_value + high_value) / 2

    def _object(self, node: Mapping[str, Any], top_level: bool = False) -> dict[str, Any]:
        properties = node.get("properties", {})
        required = set(node.get("required", []))
        optional_share = OPTIONAL_SHARE if self._references_followed < MAX_REFERENCES else 0.0
        result = {
            name: self._value(child, name, top_level)
            for name, child in properties.items()
            if name in required or self.rng.random() < optional_share
        }
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and not properties:
            result.update({f"{self.rng.choice(WORDS)}_{n}": self._value(extra) for n in range(self.rng.randint(1, MAX_ITEMS))})
        return result

    def _string(self, node: Mapping[str, Any]) -> str:
        form = node.get("format")
        if form == "uuid":
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        if form == "date-time":
            return now_iso8601()
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 4)))

    def _choice(self, values: list[Any], shares: Mapping[str, float] | None) -> Any:
        if shares:
            weights = [shares.get(str(value), 0.0) for value in values]
            if sum(weights) > 0:
                return self.rng.choices(values, weights=weights)[0]
        return self.rng.choice(values)
