"""Schema versions compared as registries compare them: who breaks, consumers on the new or on the old schema."""

from __future__ import annotations

from typing import Any

import pytest

from cabructl.policy.compatibility import Side, incompatible, schema_changes

BASE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "severity"],
    "properties": {
        "id": {"type": "string"},
        "severity": {"type": "string", "enum": ["LOW", "HIGH"]},
        "count": {"type": "integer"},
        "when": {"type": "string", "format": "date-time"},
        "host": {"$ref": "#/components/schemas/Host"},
    },
}
HOST = {"type": "object", "properties": {"zone": {"type": "string"}}}


def side(detail: dict[str, Any], host: dict[str, Any] = HOST) -> Side:
    return Side(detail, {"components": {"schemas": {"Ping": detail, "Host": host}}})


def changed(**edits: Any) -> dict[str, Any]:
    """BASE with properties replaced (None removes one) and top-level keys set."""
    properties = {**BASE["properties"]}
    for name, value in edits.pop("properties", {}).items():
        if value is None:
            properties.pop(name)
        else:
            properties[name] = value
    return {**BASE, "properties": properties, **edits}


def breaks(new: dict[str, Any], host: dict[str, Any] = HOST) -> dict[str, bool]:
    changes = schema_changes(side(BASE), side(new, host))
    return {mode: bool(incompatible(changes, mode)) for mode in ("backward", "forward", "full", "none")}


@pytest.mark.parametrize("new, backward, forward", [
    pytest.param(changed(properties={"note": {"type": "string"}}), False, False, id="optional field added"),
    pytest.param(changed(properties={"note": {"type": "string"}}, required=["id", "severity", "note"]), True, False, id="required field added"),
    pytest.param(changed(required=["id"]), False, True, id="field no longer required"),
    pytest.param(changed(required=["id", "severity", "count"]), True, False, id="field now required"),
    pytest.param(changed(properties={"severity": {"type": "string", "enum": ["LOW", "HIGH", "CRITICAL"]}}), False, True, id="enum value added"),
    pytest.param(changed(properties={"severity": {"type": "string", "enum": ["LOW"]}}), True, False, id="enum value removed"),
    pytest.param(changed(properties={"count": {"type": "number"}}), False, True, id="integer widened to number"),
    pytest.param(changed(properties={"count": {"type": "string"}}), True, True, id="type changed"),
    pytest.param(changed(properties={"when": {"type": "string", "format": "date"}}), True, True, id="format changed"),
    pytest.param(changed(properties={"id": {"type": "string", "format": "uuid"}}), True, False, id="format added"),
    pytest.param(changed(additionalProperties=False), True, False, id="closed"),
    pytest.param(changed(properties={"severity": None}, required=["id"]), False, True, id="required field removed"),
], )
def test_each_change_breaks_the_direction_registries_say(new: dict[str, Any], backward: bool, forward: bool) -> None:
    assert breaks(new) == {"backward": backward, "forward": forward, "full": backward or forward, "none": False}


def test_changes_inside_a_referenced_object_are_found_and_named() -> None:
    changes = schema_changes(side(BASE), side(BASE, {"type": "object", "properties": {"zone": {"type": "integer"}}}))
    [change] = changes
    assert change.where == "detail.host.zone" and change.breaks == {"backward", "forward"}


def test_the_same_schema_has_no_changes() -> None:
    assert schema_changes(side(BASE), side(dict(BASE))) == []
