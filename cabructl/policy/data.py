"""Policy data: where ``pricing.yaml`` and ``policy.yaml`` are found, and their shape.

Prices and policy parameters are data so that a team changes its budget rules by
editing YAML, never Python. A project keeps its editable copies in ``policies/``
beside topology.yaml; without them the package's built-in copies apply. Both files
are validated on load and every problem names its line, like topology errors.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

from cabructl.diagnostics import Diagnostic, did_you_mean
from cabructl.errors import CabructlError
from cabructl.policy.pricing import EVENTBRIDGE, SERVICE_PRICE_KEYS, Prices, PricingProfile, ServicePrices
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
    """pricing.yaml, validated: every service's prices per region, the free tier, the profiles."""

    file: str
    document: Mapping[str, Any]
    source_map: SourceMap

    @property
    def profiles(self) -> Mapping[str, Mapping[str, Any]]:
        return self.document["profiles"]

    def regions(self) -> list[str]:
        """The regions every service has prices for: the only ones a profile can be resolved in."""
        services = self.document["services"].values()
        return sorted(set.intersection(*(set(service["regions"]) for service in services)))

    def profile(self, name: str, region: str, *, named_at: Diagnostic | None = None,
                free_tier: bool | None = None) -> PricingProfile:
        """The profile ``name`` in ``region``, or a PolicyDataError naming what exists.

        ``free_tier`` overrides the profile's own flag (``--free-tier``).
        """
        if name not in self.profiles:
            where = named_at or self.source_map.diagnostic(("profiles",), "", at_key=True)
            message = f'unknown pricing profile "{name}"; {self.file} defines: {", ".join(sorted(self.profiles))}'
            raise PolicyDataError([Diagnostic(where.file, where.line, where.column, where.path, message, "unknown-pricing-profile")],
                                  hint=did_you_mean(name, self.profiles))
        if region not in self.regions():
            where = self.source_map.diagnostic(("services",), "", at_key=True)
            message = f'{self.file} has no prices for region "{region}"; it prices: {", ".join(self.regions())}'
            raise PolicyDataError([Diagnostic(where.file, where.line, where.column, where.path, message, "unknown-pricing-region")],
                                  hint="add the region's prices to every service in policies/pricing.yaml, each with its source and date")
        raw = self.profiles[name]
        services = {service: self._service_prices(service, region, raw.get("overrides", {}).get(service, {}))
                    for service in self.document["services"]}
        units = self.document["units"]
        free = self.document.get("free_tier", {})
        return PricingProfile(name, raw["description"].strip(), raw.get("source"), region, units["event_chunk_bytes"],
                              units["bytes_per_gb"], Prices(**services[EVENTBRIDGE].prices), services,
                              request_chunk_bytes=units["request_chunk_bytes"],
                              free_tier=raw.get("free_tier", False) if free_tier is None else free_tier,
                              allowances=free.get("allowances", {}), free_tier_source=free.get("source"))

    def _service_prices(self, service: str, region: str, overrides: Mapping[str, float]) -> ServicePrices:
        spec = self.document["services"][service]
        regional = spec["regions"][region]
        return ServicePrices(service, spec["title"], {**regional["prices"], **overrides}, regional.get("source", spec["source"]),
                             str(regional.get("read", spec["read"])), regional.get("note"))


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
    return PricingBook(source_map.file, document, source_map)


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
    return PolicySet(source_map.file, _with_builtin_defaults(document["model"], file), checks, constraints)


def _with_builtin_defaults(model: Mapping[str, Any], file: str) -> dict[str, Any]:
    """A project's ``model`` with the groups it leaves out (``backbone``) taken from the built-in policy.yaml,
    so a copy written before a group existed keeps working."""
    builtin = os.path.join(BUILTIN_FOLDER, POLICY_FILE)
    if os.path.abspath(file) == os.path.abspath(builtin):
        return dict(model)
    defaults, _ = read_yaml(builtin)
    merged = dict(model)
    for key, value in defaults["model"].items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**value, **merged[key]}
        else:
            merged.setdefault(key, value)
    return merged


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
    """The shape of pricing.yaml (version 2); each service's price keys are :data:`SERVICE_PRICE_KEYS`."""
    price = {"type": "number", "minimum": 0}
    dated = {"source": {"type": "string", "minLength": 1}, "read": {"type": ["string", "number"]}, "note": {"type": "string"}}

    def prices(service: str, required: bool) -> dict[str, Any]:
        keys = SERVICE_PRICE_KEYS[service]
        return {"type": "object", "additionalProperties": False, "properties": {key: price for key in keys},
                **({"required": list(keys)} if required else {})}

    def service(name: str) -> dict[str, Any]:
        region = {"type": "object", "additionalProperties": False, "required": ["prices"],
                  "properties": {**dated, "prices": prices(name, True)}}
        return {"type": "object", "additionalProperties": False, "required": ["title", "source", "read", "regions"],
                "properties": {"title": {"type": "string"}, **dated,
                               "regions": {"type": "object", "minProperties": 1, "additionalProperties": region}}}

    profile = {
        "type": "object",
        "additionalProperties": False,
        "required": ["description"],
        "properties": {
            "description": {"type": "string"},
            "source": {"type": "string"},
            "free_tier": {"type": "boolean"},
            "overrides": {"type": "object", "additionalProperties": False,
                          "properties": {name: prices(name, False) for name in SERVICE_PRICE_KEYS}},
        },
    }
    allowances = {"type": "object", "additionalProperties": False,
                  "properties": {name: {**prices(name, False)} for name in SERVICE_PRICE_KEYS}}
    units = {"type": "object", "additionalProperties": False, "required": ["event_chunk_bytes", "request_chunk_bytes", "bytes_per_gb"],
             "properties": {key: {"type": "integer", "minimum": 1} for key in ("event_chunk_bytes", "request_chunk_bytes", "bytes_per_gb")}}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "units", "services", "profiles"],
        "properties": {
            "version": {"const": 2, "description": "version 1 priced EventBridge alone; see docs/policy.md"},
            "units": units,
            "services": {"type": "object", "additionalProperties": False, "required": list(SERVICE_PRICE_KEYS),
                         "properties": {name: service(name) for name in SERVICE_PRICE_KEYS}},
            "free_tier": {"type": "object", "additionalProperties": False, "required": ["allowances"],
                          "properties": {**dated, "allowances": allowances}},
            "profiles": {"type": "object", "minProperties": 1, "additionalProperties": profile},
        },
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
                "backbone": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "delivery_failure_rate": {"type": "number", "minimum": 0, "maximum": 1},
                        "consumer_processes": {"type": "integer", "minimum": 0},
                        "messages_per_receive": {"type": "number", "minimum": 1, "maximum": 10},
                        "messages_per_delete": {"type": "number", "minimum": 1, "maximum": 10},
                        "logs_event_overhead_bytes": {"type": "integer", "minimum": 0},
                        "logs_stored_ratio": {"type": "number", "minimum": 0, "maximum": 1},
                        "kms_data_key_reuse_seconds": {"type": "integer", "minimum": 60, "maximum": 86400},
                        "idempotency_item_bytes": {"type": "integer", "minimum": 1},
                    },
                },
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
