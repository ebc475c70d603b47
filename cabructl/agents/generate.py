"""Plausible event details made from a schema, for load tests and examples.

Generated from the detail JSON Schema rather than written per event type, so a
new schema in topology.yaml is load-testable the moment it is declared. Enum
values follow the agent's declared ``mix`` where there is one (so a load test
matches rules in the proportions the cost model expects), and every detail
satisfies its schema: required fields always, optional ones half the time.
"""

from __future__ import annotations

import random
import uuid
from typing import Any, Mapping

from cabructl.agents.events import now_iso8601

MAX_ITEMS = 3
OPTIONAL_SHARE = 0.5
WORDS = ("latency", "segment", "crop", "model", "api", "queue", "export", "tile", "canopy", "shade", "cacao", "batch")


class DetailGenerator:
    """Random valid details for one detail schema; seeded, so a load test can be repeated."""

    def __init__(self, schema: Mapping[str, Any], rng: random.Random, mix: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self.schema = schema
        self.rng = rng
        self.mix = mix or {}

    def detail(self) -> dict[str, Any]:
        return self._object(self.schema, top_level=True)

    def _value(self, node: Mapping[str, Any], field: str | None = None, top_level: bool = False) -> Any:
        if "enum" in node:
            return self._choice(node["enum"], self.mix.get(field or "") if top_level else None)
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind == "object":
            return self._object(node)
        if kind == "array":
            return [self._value(node.get("items", {})) for _ in range(self.rng.randint(0, MAX_ITEMS))]
        if kind == "integer":
            return self.rng.randint(0, 1000)
        if kind == "number":
            return round(self.rng.uniform(0, 100), 2)
        if kind == "boolean":
            return self.rng.random() < 0.5
        return self._string(node)

    def _object(self, node: Mapping[str, Any], top_level: bool = False) -> dict[str, Any]:
        properties = node.get("properties", {})
        required = set(node.get("required", []))
        result = {
            name: self._value(child, name, top_level)
            for name, child in properties.items()
            if name in required or self.rng.random() < OPTIONAL_SHARE
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
