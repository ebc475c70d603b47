"""OpenAPI 3.0 event schemas: structural checks, and the JSON Schema agents validate with.

The registry stores OpenAPI documents, but events are validated with jsonschema;
this module is the one bridge between the two, so the schema that is provisioned
is exactly the schema that validates.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Mapping

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
    references = list(reference_problems(schema_type, content))
    if schema_type == "JSONSchemaDraft4":
        return list(_draft4_problems(content)) + references
    return list(_openapi_document_problems(name, content)) + references


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


def reference_problems(schema_type: str, content: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """Every ``$ref`` names a node of this very document, so none is fetched nor dangles.

    jsonschema follows a ``$ref`` it cannot resolve locally by *fetching* it (any host, when
    an agent publishes), and a local one that points at nothing fails only then
    (PointerToNowhere). So every ``$ref`` key anywhere in the document — even inside an
    example: the walk does not guess which mappings are schemas — must be a JSON pointer
    (``#/…``) that resolves; an OpenAPI one must point into ``#/components/schemas/``, the
    part the agent SDK validates with. A nested ``$id`` would change what those pointers mean.
    """
    for path, mapping in _mappings(content):
        for keyword in _REF_KEYWORDS:
            if keyword in mapping:
                problem = _reference_problem(schema_type, content, mapping[keyword], keyword)
                if problem:
                    yield (path + (keyword,), problem)
        if isinstance(mapping.get("$id"), str) and (path or schema_type != "JSONSchemaDraft4"):
            yield (path + ("$id",), "`$id` is not allowed here: it would change what this schema's `$ref`s point at")


_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
_COMPONENTS = "#/components/schemas/"


def _mappings(content: Any) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every mapping of the document with its path, without recursion."""
    stack: list[tuple[Path, Any]] = [((), content)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            yield path, node
            stack.extend((path + (key,), child) for key, child in node.items() if isinstance(child, (dict, list)))
        elif isinstance(node, list):
            stack.extend((path + (index,), child) for index, child in enumerate(node) if isinstance(child, (dict, list)))


def _reference_problem(schema_type: str, content: dict[str, Any], reference: Any, keyword: str) -> str | None:
    if isinstance(reference, dict):
        return None  # a property named "$ref", not a reference
    if not isinstance(reference, str):
        return f"`{keyword}` must be a string, found {type(reference).__name__}"
    if not reference.startswith("#"):
        return (f'`{keyword}` "{reference}" is outside this schema document: only local references '
                '("#/components/schemas/Name", "#/…") are allowed; cabructl never fetches a schema')
    if schema_type != "JSONSchemaDraft4" and not reference.startswith(_COMPONENTS):
        return f'`{keyword}` "{reference}" must point into {_COMPONENTS} (the schemas the agent SDK validates with)'
    if reference != "#" and not reference.startswith("#/"):
        return f'`{keyword}` "{reference}" is not a JSON pointer; write "#/path/to/the/schema"'
    missing = _unresolved(content, reference)
    if missing is None:
        return None
    return f'`{keyword}` "{reference}" points at nothing in this schema document: {missing}'


def _unresolved(content: Any, reference: str) -> str | None:
    """Why the JSON pointer of ``reference`` does not resolve in ``content``, or None when it does."""
    from urllib.parse import unquote

    node: Any = content
    walked = "#"
    for raw in reference[2:].split("/") if reference != "#" else []:
        segment = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            known = ", ".join(sorted(map(str, node))[:10]) if isinstance(node, dict) else ""
            return f'no "{segment}" in {walked}' + (f" (it has: {known})" if known else "")
        walked += "/" + raw
    return None


def detail_json_schema(schema_type: str, content: dict[str, Any], name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an event's ``detail``.

    OpenAPI 3.0 differs from JSON Schema in ``nullable`` and in where schemas live
    (``components.schemas`` with ``#/components/schemas/X`` references); both are
    translated here so jsonschema can validate events against the registry's content.
    """
    if schema_type == "JSONSchemaDraft4":
        return content
    components = content.get("components", {}).get("schemas", {})
    root_name = name if name in components else next(iter(components), name)
    translated = _translate(components.get(root_name, {}), root_name)
    definitions = {key: _translate(value, root_name) for key, value in components.items() if key != root_name}
    if definitions:
        translated["$defs"] = definitions
    return translated


def _translated_reference(reference: str, root_name: str) -> str:
    """``#/components/schemas/X/…`` → ``#/$defs/X/…``; the root component itself is ``#``."""
    rest = reference[len(_COMPONENTS):]
    component, slash, tail = rest.partition("/")
    if component.replace("~1", "/").replace("~0", "~") == root_name:
        return "#" + slash + tail
    return "#/$defs/" + rest


def _translate(node: Any, root_name: str) -> Any:
    if isinstance(node, list):
        return [_translate(item, root_name) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(_COMPONENTS):
            result[key] = _translated_reference(value, root_name)
        elif key == "nullable":
            continue
        else:
            result[key] = _translate(value, root_name)
    if node.get("nullable") is True and isinstance(result.get("type"), str):
        result["type"] = [result["type"], "null"]
    for inclusive, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        _exclusive_as_number(result, inclusive, exclusive)
    return result


def _exclusive_as_number(node: dict[str, Any], inclusive: str, exclusive: str) -> None:
    """OpenAPI 3.0's ``exclusiveMaximum: true`` beside ``maximum`` → 2020-12's ``exclusiveMaximum: <limit>``
    (JSON Schema 2020-12 refuses a boolean there, so the schema would not even compile)."""
    flag = node.get(exclusive)
    if not isinstance(flag, bool):
        return
    del node[exclusive]
    if flag and inclusive in node:
        node[exclusive] = node.pop(inclusive)


def resolved_reference(root: Mapping[str, Any], node: Mapping[str, Any],
                       seen: frozenset[str] = frozenset()) -> tuple[Mapping[str, Any], frozenset[str]]:
    """The detail schema a local ``$ref`` names (``#`` or ``#/$defs/X``, as :func:`detail_json_schema`
    writes them) and the references followed so far; a cycle stops at the reference itself."""
    reference = node.get("$ref")
    if not isinstance(reference, str) or reference in seen:
        return node, seen
    target: Any = root
    for part in reference.lstrip("#").strip("/").split("/") if reference != "#" else []:
        target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
    return (target if isinstance(target, dict) else {}), seen | {reference}


def numeric_bound(node: Mapping[str, Any], inclusive: str, exclusive: str) -> tuple[float, bool] | None:
    """(limit, exclusive?) from ``minimum`` plus a boolean ``exclusiveMinimum`` (draft 4, OpenAPI 3.0)
    or a numeric one (2020-12); likewise for the maximum. None when the node sets no bound."""
    flag = node.get(exclusive)
    if isinstance(flag, (int, float)) and not isinstance(flag, bool):
        return float(flag), True
    if isinstance(node.get(inclusive), (int, float)) and not isinstance(node.get(inclusive), bool):
        return float(node[inclusive]), flag is True
    return None
