"""load → merge environment → JSON Schema → model → semantic checks.

``load_topology`` is what every command calls; it collects *all* diagnostics
(schema and semantic) and raises one :class:`TopologyError` carrying them, sorted
by position, so a user fixes the whole file in one pass.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from typing import Any

from cabructl.diagnostics import Diagnostic, Path, did_you_mean
from cabructl.errors import TopologyError
from cabructl.topology.files import FILE_PROBLEMS
from cabructl.topology.construct import build_topology
from cabructl.topology.model import Topology
from cabructl.topology.source import SourceMap, read_yaml, relative_to

SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "schema.json")


@functools.lru_cache(maxsize=1)
def topology_schema() -> dict[str, Any]:
    """The JSON Schema of the topology language, shipped in the package."""
    with open(SCHEMA_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def load_topology(file: str, env: str | None = None) -> Topology:
    """The typed topology for ``env``, or TopologyError with every problem found."""
    topology, diagnostics = check_topology(file, env)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors or topology is None:
        raise TopologyError(sorted(errors))
    return topology


def check_topology(file: str, env: str | None = None) -> tuple[Topology | None, list[Diagnostic]]:
    """Every diagnostic for the file; the model too when the schema accepted it."""
    shown = os.path.relpath(file) if not os.path.isabs(file) else file
    try:
        document, source_map = read_yaml(file, display_name=shown)
    except TopologyError as error:
        return None, error.diagnostics
    if not isinstance(document, dict):
        kind = "empty" if document is None else f"a {type(document).__name__}"
        return None, [Diagnostic(shown, 1, 1, (), f"the topology must be a mapping of sections, but the file is {kind}", "not-a-mapping")]
    environments = tuple(document.get("environments", {}) or {}) if isinstance(document.get("environments"), dict) else ()
    merged, env_diagnostics = _select_environment(document, env, source_map)
    if env_diagnostics:
        return None, env_diagnostics
    diagnostics = schema_diagnostics(merged, source_map)
    diagnostics += _load_schema_files(merged, file, source_map)
    if any(d.severity == "error" for d in diagnostics):
        return None, sorted(diagnostics)
    topology = build_topology(merged, shown, environments, source_map)
    from cabructl.topology.checks import semantic_diagnostics

    diagnostics += semantic_diagnostics(topology, source_map)
    return topology, sorted(diagnostics)


def _select_environment(document: dict[str, Any], env: str | None, source_map: SourceMap) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Deep-merge ``environments.<env>`` over the file; lists and scalars are replaced."""
    environments = document.get("environments") or {}
    wanted = env or document.get("environment")
    merged = copy.deepcopy(document)
    if not isinstance(wanted, str):
        return merged, []  # the schema reports a missing or mistyped `environment`
    if env is None and (not isinstance(environments, dict) or wanted not in environments):
        return merged, []
    if not isinstance(environments, dict) or wanted not in environments:
        known = sorted(environments) if isinstance(environments, dict) else []
        hint = did_you_mean(str(wanted), known)
        message = f'unknown environment "{wanted}"; the file defines: {", ".join(known) or "none"}'
        return merged, [source_map.diagnostic(("environments",), message, reference="unknown-environment", hint=hint, at_key=True)]
    override = environments[wanted] or {}
    if isinstance(override, dict):
        _deep_merge(merged, override, ("environments", wanted), (), source_map)
    merged["environment"] = wanted
    return merged, []


def _deep_merge(base: dict[str, Any], override: dict[str, Any], override_path: Path, base_path: Path, source_map: SourceMap) -> None:
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value, override_path + (key,), base_path + (key,), source_map)
        else:
            base[key] = copy.deepcopy(value)
            source_map.rebase(override_path + (key,), base_path + (key,))


def _load_schema_files(document: dict[str, Any], file: str, source_map: SourceMap) -> list[Diagnostic]:
    """Inline each ``schemas.events.*.file`` as ``content``, keeping that file's positions."""
    events = (document.get("schemas") or {}).get("events")
    if not isinstance(events, dict):
        return []
    diagnostics: list[Diagnostic] = []
    for name, spec in events.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("file"), str):
            continue
        path = ("schemas", "events", name, "file")
        referenced = relative_to(file, spec["file"])
        try:
            content, schema_map = read_yaml(referenced, display_name=os.path.relpath(referenced))
        except TopologyError as error:
            diagnostics += [_schema_file_problem(inner, spec["file"], path, source_map) for inner in error.diagnostics]
            continue
        if not isinstance(content, dict):
            diagnostics.append(source_map.diagnostic(path, f'schema file "{spec["file"]}" must hold a mapping', reference="invalid-schema"))
            continue
        spec["content"] = content
        source_map.graft(("schemas", "events", name, "content"), schema_map)
    return diagnostics


def _schema_file_problem(inner: Diagnostic, name: str, path: Path, source_map: SourceMap) -> Diagnostic:
    """A problem of the file as a whole is shown at its ``file:`` line; others at their own line."""
    if inner.reference not in FILE_PROBLEMS:
        return inner
    what = "not found" if inner.reference == "file-not-found" else inner.message
    return source_map.diagnostic(path, f'schema file "{name}" {what}', reference=inner.reference)


def schema_diagnostics(document: dict[str, Any], source_map: SourceMap) -> list[Diagnostic]:
    """JSON-Schema errors as diagnostics; unknown keys get one each, with a suggestion."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(topology_schema())
    diagnostics: list[Diagnostic] = []
    for error in validator.iter_errors(document):
        diagnostics.extend(_diagnostics_for(error, source_map))
    return _unique(diagnostics)


def _diagnostics_for(error: Any, source_map: SourceMap) -> list[Diagnostic]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = [key for key in error.instance if key not in allowed]
        if unknown and allowed:
            return [
                source_map.diagnostic(path + (key,), f'unknown key "{key}"', reference="unknown-key", hint=did_you_mean(key, allowed), at_key=True)
                for key in unknown
            ]
    if error.validator == "oneOf" and error.schema.get("oneOf") and all("required" in branch for branch in error.schema["oneOf"]):
        choices = [branch["required"][0] for branch in error.schema["oneOf"]]
        return [source_map.diagnostic(path, f"needs exactly one of: {', '.join(choices)}", reference="one-of", at_key=True)]
    if error.validator == "propertyNames":
        return [source_map.diagnostic(path + (error.instance,), f'"{error.instance}" is not a valid name: {error.message}', reference="invalid-name", at_key=True)]
    return [source_map.diagnostic(path, _friendly_message(error), reference="schema")]


def _friendly_message(error: Any) -> str:
    """jsonschema's wording, minus the dumped instance for oneOf/anyOf noise."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = min(error.context, key=lambda sub: len(sub.message))
        if "duration" in json.dumps(error.schema.get("description", "")) or "$ref" not in error.schema:
            return f"{_shown(error.instance)} is not valid: {error.schema.get('description') or best.message}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    quoted = repr(error.instance)
    if len(quoted) > 60:
        return error.message.replace(quoted, _shown(error.instance))
    return error.message


def _shown(value: Any, limit: int = 60) -> str:
    """A value as messages quote it, shortened: a 5,000-digit duration is not repeated whole."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 12]}…{text[-6:]} ({len(text):,} characters)"


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[str] = set()
    unique = []
    for diagnostic in diagnostics:
        key = diagnostic.render()
        if key not in seen:
            seen.add(key)
            unique.append(diagnostic)
    return unique
