"""``evaluate_policy``: the traffic model, every enabled check and constraint, one report.

This is the gate ``plan`` and ``apply`` consult and what ``policy check`` prints. A
check that raises does not stop the run (cfn-lint's habit): it becomes a finding
with the check's severity, naming the exception, and the other checks go on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from cabructl.diagnostics import Diagnostic, did_you_mean, format_path
from cabructl.policy.bill.items import EVENTBRIDGE_SCOPE
from cabructl.policy.checks import Violation, all_checks
from cabructl.policy.constraints import constraint_violations
from cabructl.policy.data import PolicyDataError, PolicySet, load_policy_set, load_pricing, policy_folder_for
from cabructl.policy.traffic import ModelParameters, TrafficModel, VolumeLimits, build_model
from cabructl.topology.model import Topology


@dataclass(frozen=True)
class Finding:
    """One check's verdict on one place of the topology, located."""

    id: str
    severity: str  # "error" | "warning"
    message: str
    path: tuple[object, ...]
    file: str
    line: int
    column: int
    hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "message": self.message, "file": self.file, "line": self.line,
                "column": self.column, "path": format_path(self.path), "hint": self.hint}

    def render(self) -> str:
        """``FILE:LINE:COL: severity ID: path: message — hint``."""
        text = f"{self.file}:{self.line}:{self.column}: {self.severity} {self.id}: {format_path(self.path)}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


@dataclass(frozen=True)
class PolicyReport:
    """The policy verdict on one environment of a topology, with the projection behind it."""

    file: str
    project: str
    environment: str
    budget_usd: float | None
    alert_ratio: float | None
    model: TrafficModel
    limits: VolumeLimits | None
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    scope: str = EVENTBRIDGE_SCOPE  # what the budget pays for (budget.scope): the gate's total

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when nothing is an error: what lets ``apply`` write."""
        return not self.errors

    def projected(self, case: str, scope: str | None = None) -> float:
        """The month in ``scope`` (the budget's own by default)."""
        return self.model.budget_total(case, scope or self.scope)


def evaluate_policy(topology: Topology, pricing: str | None = None, *, policy_folder: str | None = None,
                    baseline: Topology | None = None, allow_breaking: Iterable[str] = (),
                    free_tier: bool | None = None) -> PolicyReport:
    """Project the topology's month and run the policy set on it; offline, no AWS call.

    ``pricing`` names a profile other than the topology's ``budget.pricing`` (the
    ``--pricing`` flag); ``policy_folder`` overrides ``policies/`` beside the file.
    ``baseline`` (the topology at an earlier revision) adds the schema compatibility
    gate: every change a schema's ``compatibility`` forbids is an error, except for the
    schemas named in ``allow_breaking`` (``--allow-breaking-schema``). ``free_tier`` overrides
    the profile's free-tier flag (``--free-tier``).
    """
    from cabructl.policy.compatibility import SCHEMA_CHECK_ID, schema_violations

    model, policy_set = project(topology, pricing, policy_folder=policy_folder, free_tier=free_tier)
    scope = budget_scope(topology)
    limits = model.limits(topology.budget.monthly_usd, topology.agents, scope) if topology.budget else None
    found = run_checks(topology, model, policy_set)
    if baseline is not None:
        found += _located(topology, SCHEMA_CHECK_ID, "error", lambda: schema_violations(baseline, topology, allow_breaking))
    findings = tuple(sorted(found, key=lambda f: (f.file, f.line, f.column, f.id)))
    budget = topology.budget
    return PolicyReport(topology.file, topology.project, topology.environment, budget.monthly_usd if budget else None,
                        budget.alert_ratio if budget else None, model, limits, findings, scope)


def project(topology: Topology, pricing: str | None = None, *, policy_folder: str | None = None,
            free_tier: bool | None = None) -> tuple[TrafficModel, PolicySet]:
    """The traffic model under the chosen profile, with every service's bill, and the policy set that parametrised it."""
    from cabructl.policy.bill import BackboneParameters, build_bill

    folder = policy_folder or policy_folder_for(topology.file)
    policy_set = load_policy_set(folder)
    book = load_pricing(folder)
    named_at = None if pricing else _pricing_location(topology)
    profile = book.profile(pricing or _topology_pricing(topology), topology.region, named_at=named_at, free_tier=free_tier)
    parameters = ModelParameters.from_policy(policy_set.model)
    model = build_model(topology, profile, parameters)
    bill = build_bill(topology, model, profile, parameters, BackboneParameters.from_policy(policy_set.model))
    return dataclasses.replace(model, bill=bill), policy_set


def budget_scope(topology: Topology) -> str:
    """What the topology's budget pays for: EventBridge alone unless it says ``backbone``."""
    return topology.budget.scope if topology.budget else EVENTBRIDGE_SCOPE


def run_checks(topology: Topology, model: TrafficModel, policy_set: PolicySet) -> list[Finding]:
    """Every enabled check and constraint; a failing one becomes a finding, the rest go on."""
    known = all_checks()
    unknown = [settings for check_id, settings in policy_set.checks.items() if check_id not in known]
    if unknown:
        raise PolicyDataError([_unknown_check(settings.location, settings.id, known) for settings in unknown])
    findings: list[Finding] = []
    for check_id, check_class in known.items():
        settings = policy_set.checks.get(check_id)
        if settings is None or not settings.enabled:
            continue
        check = check_class(settings.parameters)
        findings += _located(topology, check_id, settings.severity, lambda: check.check(topology, model))
    for constraint in policy_set.constraints:
        findings += _located(topology, constraint.id, constraint.severity,
                             lambda constraint=constraint: constraint_violations(constraint, topology))
    return findings


def _located(topology: Topology, check_id: str, severity: str, run: Callable[[], Iterable[Violation]]) -> list[Finding]:
    try:
        violations = list(run())
    except Exception as error:  # noqa: BLE001 - a broken check is reported, never fatal (cfn-lint)
        violations = [Violation((), f"the check could not run: {type(error).__name__}: {error}",
                                hint="this is a bug in the check or in its parameters in policy.yaml")]
    return [_finding(topology, check_id, severity, violation) for violation in violations]


def _finding(topology: Topology, check_id: str, severity: str, violation: Violation) -> Finding:
    if topology.source_map is not None:
        where = topology.source_map.diagnostic(violation.path, violation.message)
        file, line, column = where.file, where.line, where.column
    else:
        file, line, column = topology.file, 1, 1
    return Finding(check_id, severity, violation.message, tuple(violation.path), file, line, column, violation.hint)


def _unknown_check(location: Diagnostic, check_id: str, known: dict[str, Any]) -> Diagnostic:
    hint = did_you_mean(check_id, known)
    message = f'unknown check "{check_id}"' + (f" — {hint}" if hint else f"; known: {', '.join(known)}")
    return Diagnostic(location.file, location.line, location.column, location.path, message, "unknown-check")


def _topology_pricing(topology: Topology) -> str:
    return topology.budget.pricing if topology.budget else "seed"


def _pricing_location(topology: Topology) -> Diagnostic | None:
    """Where the topology names its profile, so an unknown name points at that line."""
    if topology.source_map is None or topology.budget is None:
        return None
    return topology.source_map.diagnostic(("budget", "pricing"), "")


__all__ = ["Finding", "PolicyReport", "budget_scope", "evaluate_policy", "project", "run_checks"]
