"""Event sizes: declared, from an example, or estimated from the schema within its bounds."""

from __future__ import annotations

import json

from cabructl.policy.sizes import SizeParameters, envelope_bytes, event_size
from cabructl.topology.model import EventSchema

PARAMETERS = SizeParameters(string_chars=10, number_digits=3, array_items=2, map_entries=1, key_chars=4, max_depth=8)


def schema(detail: dict, typical: int | None = None) -> EventSchema:
    return EventSchema("E", "src", "E Happened", "", "JSONSchemaDraft4", detail, None, typical, {}, ("schemas", "events", "E"))


def test_declared_size_wins() -> None:
    assert event_size(schema({"type": "object"}, typical=1234), "sa-east-1", PARAMETERS).bytes == 1234


def test_estimate_every_property_within_schema_bounds() -> None:
    detail = {"type": "object", "properties": {
        "name": {"type": "string"},
        "code": {"type": "string", "maxLength": 3},
        "level": {"type": "string", "enum": ["LOW", "CRITICAL"]},
        "count": {"type": "integer"},
        "items": {"type": "array", "items": {"type": "boolean"}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    }}
    expected_detail = {"name": "x" * 10, "code": "xxx", "level": "CRITICAL", "count": 999, "items": [True, True],
                       "labels": {"kkk0": "x" * 10}}
    size = event_size(schema(detail), "sa-east-1", PARAMETERS)
    assert size.basis == "estimated"
    assert size.bytes == envelope_bytes(schema(detail), "sa-east-1", expected_detail)


def test_example_is_measured() -> None:
    example = {"note": "é" * 100}
    size = event_size(schema({"type": "object", "example": example}), "sa-east-1", PARAMETERS)
    assert size.basis == "example"
    envelope = len(json.dumps({"version": "0", "id": "0" * 36, "detail-type": "E Happened", "source": "src", "account": "0" * 12,
                               "time": "2024-01-01T00:00:00Z", "region": "sa-east-1", "resources": [], "detail": {}},
                              separators=(",", ":")))
    # UTF-8: each é is two bytes; the envelope of an empty detail is `{}`.
    assert size.bytes == envelope - 2 + len('{"note":""}') + 200
