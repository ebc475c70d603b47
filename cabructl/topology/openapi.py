"""OpenAPI 3.0 event schemas: structural checks, and the JSON Schema agents validate with.

The registry stores OpenAPI documents, but events are validated with jsonschema;
this module is the one bridge between the two, so the schema that is provisioned
is exactly the schema that validates.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from cabructl.constants import SCHEMA_CONTENT_CHARS
from cabructl.diagnostics import Path

_TYPES = {"object", "array", "string", "number", "integer", "boolean"}
_NESTED = ("properties", "items", "additionalProperties")


def openapi_problems(name: str, schema_type: str, content: dict[str, Any]) -> list[tuple[Path, str]]:
    """Problems as (path inside the content, message); empty when the schema is usable."""
    size = len(json.dumps(content, separators=(",", ":")))
    low, high = SCHEMA_CONTENT_CHARS
    if not low <= size <= high:
        return [((), f"schema content is {size:,} characters; the registry takes {low:,}–{high:,}")]
    if schema_type == "JSONSchemaDraft4":
        return list(_draft4_problems(content))
    return list(_openapi_document_problems(name, content))


def _draft4_problems(content: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    from jsonschema import Draft4Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft4Validator.check_schema(content)
    except SchemaError as error:
        yield (tuple(error.absolute_path), f"not a valid JSON Schema draft 4: {error.message}")
        return
    yield from _object_problems(content, ())


def _openapi_document_problems(name: str, content: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    version = content.get("openapi")
    if not isinstance(version, str) or not version.startswith("3.0"):
        yield (("openapi",), f"the schema must be OpenAPI 3.0 (`openapi: 3.0.0`), found {version!r}")
    info = content.get("info")
    if not isinstance(info, dict) or not {"title", "version"} <= set(info):
        yield (("info",), "OpenAPI needs `info` with `title` and `version`")
    if not isinstance(content.get("paths", None), dict):
        yield (("paths",), "OpenAPI needs `paths` (an empty mapping `{}` for event schemas)")
    components = content.get("components", {}).get("schemas") if isinstance(content.get("components"), dict) else None
    if not isinstance(components, dict) or not components:
        yield (("components",), "OpenAPI event schemas live under `components.schemas`")
        return
    if name not in components:
        yield (("components", "schemas"), f'no component named "{name}" (the event schema must be named like the schema)')
    for component, schema in components.items():
        yield from _object_problems(schema, ("components", "schemas", component))


def _object_problems(schema: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """Recursive checks every schema object must pass: types known, ``required`` declared."""
    if not isinstance(schema, dict):
        if not isinstance(schema, bool):
            yield (path, "a schema must be a mapping")
        return
    declared = schema.get("type")
    if declared is not None and declared not in _TYPES:
        yield (path + ("type",), f'unknown type "{declared}" (one of: {", ".join(sorted(_TYPES))})')
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        yield (path + ("properties",), "`properties` must be a mapping")
        properties = {}
    required = schema.get("required", [])
    if not isinstance(required, list):
        yield (path + ("required",), "`required` must be a list of property names")
        required = []
    for index, field in enumerate(required):
        if field not in properties:
            yield (path + ("required", index), f'required field "{field}" is not declared in `properties`')
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        yield (path + ("enum",), "`enum` must be a non-empty list")
    for key, child in properties.items():
        yield from _object_problems(child, path + ("properties", key))
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _object_problems(schema[key], path + (key,))


def detail_json_schema(schema_type: str, content: dict[str, Any], name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an event's ``detail``.

    OpenAPI 3.0 differs from JSON Schema in ``nullable`` and in where schemas live
    (``components.schemas`` with ``#/components/schemas/X`` references); both are
    translated here so jsonschema can validate events against the registry's content.
    """
    if schema_type == "JSONSchemaDraft4":
        return content
    components = content.get("components", {}).get("schemas", {})
    root = components.get(name) or next(iter(components.values()), {})
    translated = _translate(root)
    definitions = {key: _translate(value) for key, value in components.items() if key != name}
    if definitions:
        translated["$defs"] = definitions
    return translated


def _translate(node: Any) -> Any:
    if isinstance(node, list):
        return [_translate(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
            result[key] = "#/$defs/" + value.rsplit("/", 1)[1]
        elif key == "nullable":
            continue
        else:
            result[key] = _translate(value)
    if node.get("nullable") is True and isinstance(result.get("type"), str):
        result["type"] = [result["type"], "null"]
    return result
