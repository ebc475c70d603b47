"""Policy data: where ``pricing.yaml`` and ``policy.yaml`` are found, and their shape.

Prices and policy parameters are data so that a team changes its budget rules by
editing YAML, never Python. A project keeps its editable copies in ``policies/``
beside topology.yaml; without them the package's built-in copies apply. Both files
are validated on load and every problem names its line, like topology errors.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any, Mapping

from cabructl.diagnostics import Diagnostic, did_you_mean
from cabructl.errors import CabructlError
from cabructl.policy.pricing import Prices, PricingProfile
from cabructl.topology.source import SourceMap, read_yaml

PROJECT_FOLDER = "policies"
BUILTIN_FOLDER = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
PRICING_FILE = "pricing.yaml"
POLICY_FILE = "policy.yaml"
SEVERITIES = ("error", "warning")


class PolicyDataError(CabructlError):
    """pricing.yaml or policy.yaml is malformed, or names something that does not exist."""

    reference = "invalid-policy-data"

    def __init__(self, diagnostics: list[Diagnostic], hint: str | None = None) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.render() for d in diagnostics), hint)


@dataclass(frozen=True)
class CheckSettings:
    """One check's line in policy.yaml: whether it runs, how severe, with what parameters."""

    id: str
    severity: str
    enabled: bool
    parameters: Mapping[str, Any]
    location: Diagnostic  # where the settings are written, for errors about them


@dataclass(frozen=True)
class Constraint:
    """A project rule written as a JSON-Schema fragment over the topology document."""

    id: str
    severity: str
    description: str
    message: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class PolicySet:
    """policy.yaml, validated: model parameters, check settings, constraints."""

    file: str
    model: Mapping[str, Any]
    checks: Mapping[str, CheckSettings]
    constraints: tuple[Constraint, ...]


@dataclass(frozen=True)
class PricingBook:
    """pricing.yaml, validated: the raw profiles, resolved per region on demand."""

    file: str
    profiles: Mapping[str, Mapping[str, Any]]
    source_map: SourceMap

    def profile(self, name: str, region: str, *, named_at: Diagnostic | None = None) -> PricingProfile:
        """The profile ``name`` with ``region``'s overrides applied, or a PolicyDataError."""
        if name not in self.profiles:
            where = named_at or self.source_map.diagnostic(("profiles",), "", at_key=True)
            message = f'unknown pricing profile "{name}"; {self.file} defines: {", ".join(sorted(self.profiles))}'
            raise PolicyDataError([Diagnostic(where.file, where.line, where.column, where.path, message, "unknown-pricing-profile")],
                                  hint=did_you_mean(name, self.profiles))
        raw = self.profiles[name]
        override = (raw.get("regions") or {}).get(region, {}).get("prices", {})
        prices = Prices(**{**raw["prices"], **override})
        return PricingProfile(name, raw["description"].strip(), raw.get("source"), region, raw["event_chunk_bytes"], raw["bytes_per_gb"], prices)


def policy_folder_for(topology_file: str) -> str:
    """``policies/`` beside the topology file (it may not exist)."""
    return os.path.join(os.path.dirname(os.path.abspath(topology_file)), PROJECT_FOLDER)


def data_file(name: str, folder: str | None) -> str:
    """The project's copy of ``name`` when it has one, else the built-in copy."""
    if folder is not None:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return os.path.join(BUILTIN_FOLDER, name)


def load_pricing(folder: str | None) -> PricingBook:
    file = data_file(PRICING_FILE, folder)
    document, source_map = _read_valid(file, _pricing_schema())
    return PricingBook(source_map.file, document["profiles"], source_map)


def load_policy_set(folder: str | None) -> PolicySet:
    file = data_file(POLICY_FILE, folder)
    document, source_map = _read_valid(file, _POLICY_SCHEMA)
    checks = {
        check_id: CheckSettings(
            id=check_id,
            severity=settings["severity"],
            enabled=settings.get("enabled", True),
            parameters={key: value for key, value in settings.items() if key not in ("severity", "enabled")},
            location=source_map.diagnostic(("checks", check_id), "", at_key=True),
        )
        for check_id, settings in document["checks"].items()
    }
    constraints = tuple(
        Constraint(spec["id"], spec["severity"], spec.get("description", ""), spec.get("message", spec.get("description", "")), spec["schema"])
        for spec in document.get("constraints", [])
    )
    return PolicySet(source_map.file, document["model"], checks, constraints)


def _read_valid(file: str, schema: Mapping[str, Any]) -> tuple[dict[str, Any], SourceMap]:
    """Read a data file with positions; refuse it, naming every line, when the schema does."""
    from jsonschema import Draft202012Validator

    shown = os.path.relpath(file) if not file.startswith(BUILTIN_FOLDER) else f"<built-in>/{os.path.basename(file)}"
    document, source_map = read_yaml(file, display_name=shown)
    problems = [
        source_map.diagnostic(tuple(error.absolute_path), error.message, reference="invalid-policy-data")
        for error in Draft202012Validator(schema).iter_errors(document)
    ]
    if problems:
        raise PolicyDataError(sorted(problems))
    return document, source_map


def _pricing_schema() -> dict[str, Any]:
    """The shape of pricing.yaml; the price keys are the fields of :class:`Prices`."""
    price_keys = [f.name for f in fields(Prices)]
    price = {"type": "number", "minimum": 0}
    prices = {"type": "object", "additionalProperties": False, "properties": {key: price for key in price_keys}}
    profile = {
        "type": "object",
        "additionalProperties": False,
        "required": ["description", "event_chunk_bytes", "bytes_per_gb", "prices"],
        "properties": {
            "description": {"type": "string"},
            "source": {"type": "string"},
            "event_chunk_bytes": {"type": "integer", "minimum": 1},
            "bytes_per_gb": {"type": "integer", "minimum": 1},
            "prices": {**prices, "required": price_keys},
            "regions": {"type": "object", "additionalProperties": {
                "type": "object", "additionalProperties": False, "properties": {"prices": prices}}},
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["profiles"],
        "properties": {"version": {"const": 1}, "profiles": {"type": "object", "minProperties": 1, "additionalProperties": profile}},
    }


_SEVERITY = {"enum": list(SEVERITIES)}

_POLICY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["model", "checks"],
    "properties": {
        "version": {"const": 1},
        "model": {
            "type": "object",
            "required": ["days_per_month", "replayed_share", "forever_retention_days", "guideline_matches_per_event",
                         "max_candidate_events", "size_estimate"],
            "properties": {
                "days_per_month": {"type": "number", "exclusiveMinimum": 0, "maximum": 31},
                "replayed_share": {"type": "number", "minimum": 0},
                "forever_retention_days": {"type": "integer", "minimum": 1},
                "guideline_matches_per_event": {"anyOf": [{"type": "number", "minimum": 0}, {"enum": ["worst_case", "expected"]}]},
                "max_candidate_events": {"type": "integer", "minimum": 1},
                "size_estimate": {
                    "type": "object",
                    "required": ["string_chars", "number_digits", "array_items", "map_entries", "key_chars", "max_depth"],
                    "additionalProperties": {"type": "integer", "minimum": 0},
                },
            },
        },
        "checks": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["severity"],
                "properties": {"severity": _SEVERITY, "enabled": {"type": "boolean"}},
            },
        },
        "constraints": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "severity", "schema"],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "severity": _SEVERITY,
                    "description": {"type": "string"},
                    "message": {"type": "string"},
                    "schema": {"type": "object"},
                },
            },
        },
    },
}
