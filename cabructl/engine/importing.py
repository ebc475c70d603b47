"""Accepting drift: write live values back into topology.yaml, then take over what it now declares.

``cabructl import`` starts from a :class:`~cabructl.engine.drift.DriftReport`: each
changed value the user accepts is edited into the file (keeping its comments and
layout), each unmanaged rule or target named is declared, and the new declarations
are adopted through the same checked apply as every other write. Nothing is saved
before every address has been checked, and an edit that breaks the topology is
undone. What is specific to a kind is asked of :mod:`cabructl.resources.importers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from cabructl.engine.drift import DriftReport, detect_drift
from cabructl.engine.plan import Plan
from cabructl.errors import CabructlError
from cabructl.resources.base import Resource

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.engine import Engine
    from cabructl.engine.apply import ApplyResult, Progress
    from cabructl.resources.importers import Skipped
    from cabructl.topology.model import Topology
    from cabructl.topology.writer import TopologyEditor, Written


@dataclass(frozen=True)
class ImportedValue:
    """One value written into the file, for the command to show and the user to confirm."""

    address: str
    written: "Written"


@dataclass
class PreparedImport:
    """Edits made to the file in memory (nothing saved yet) and what adopting needs."""

    report: DriftReport          # the drift the import started from
    editor: "TopologyEditor"
    environment: str
    values: list[ImportedValue]
    skipped: list["Skipped"]
    declared: list[str]          # addresses given a new declaration
    adopt: list[str]             # unowned addresses to take over once the file declares them

    @property
    def empty(self) -> bool:
        return not self.values


def prepare_import(engine: "Engine", report: DriftReport, addresses: Iterable[str]) -> PreparedImport:
    """Edit the file in memory so it declares what AWS has at ``addresses``.

    Without addresses, every changed resource is imported; unmanaged resources are
    only declared when named, since declaring one takes it over. Every address is
    checked before anything is edited, and all problems are reported together.
    """
    from cabructl.resources.importers import ImportRefused, attribute_edits, declaration_for
    from cabructl.topology.writer import TopologyEditor

    topology = engine.topology
    wanted = list(dict.fromkeys(addresses)) or [item.address for item in report.changed]
    live, desired = engine.live(), engine.desired()
    problems = [problem for problem in (_refusal(address, report, desired) for address in wanted) if problem]
    if problems:
        raise ImportRefused("nothing was imported:\n" + "\n".join(f"  {problem}" for problem in problems))
    unmanaged = [address for address in wanted if report.unmanaged_at(address) is not None]
    # A target named with its rule comes with the rule's declaration.
    declarations = [declaration_for(live[address], live, desired, topology, engine.aws)
                    for address in unmanaged if live[address].parent not in unmanaged]
    prepared = PreparedImport(report, TopologyEditor(topology.file), topology.environment, [], [], [], [])
    for changed in (report.changed_at(address) for address in wanted):
        if changed is not None:
            paths = [item.path for item in changed.attributes]
            edits, skipped = attribute_edits(changed.address, changed.kind, paths, live[changed.address], topology)
            prepared.values += [ImportedValue(changed.address, prepared.editor.apply(edit, topology.environment))
                                for edit in edits]
            prepared.skipped += skipped
    for declaration in declarations:
        _declare(prepared, declaration)
    return prepared


def _refusal(address: str, report: DriftReport, desired: Mapping[str, Resource]) -> str | None:
    """Why ``address`` cannot be imported, or None."""
    if report.changed_at(address) is not None:
        return None
    if report.missing_at(address) is not None:
        return (f"{address} is declared but not in AWS: there is nothing to import "
                "(`cabructl apply` creates it; or remove it from the file)")
    unmanaged = report.unmanaged_at(address)
    if unmanaged is None:
        from cabructl.diagnostics import did_you_mean

        hint = did_you_mean(address, report.addresses())
        return f"{address} has no drift" + (f" ({hint})" if hint else "")
    if address in desired:
        return (f"{address} is declared, but the live resource is not this topology's: "
                f"take it over with `cabructl apply --adopt {address}`")
    return None


def _declare(prepared: PreparedImport, declaration: Any) -> None:
    editor = prepared.editor
    if declaration.key is not None:
        written = editor.add_entry(declaration.container, declaration.key, declaration.value, prepared.environment)
    else:
        written = editor.append_item(declaration.container, declaration.value, prepared.environment)
    prepared.values.append(ImportedValue(declaration.address, written))
    prepared.declared.append(declaration.address)
    prepared.adopt += list(declaration.adopt)


def commit_import(prepared: PreparedImport, env: str | None) -> "Topology":
    """Save the edited file, then load it back: an edit that breaks the topology is undone."""
    from cabructl.topology import load_topology

    prepared.editor.save()
    try:
        return load_topology(prepared.editor.file, env)
    except CabructlError:
        prepared.editor.restore()
        raise


def adoption_plan(engine: "Engine", prepared: PreparedImport) -> Plan:
    """The plan that takes over what the import declared.

    In scope: the new declarations (a rule is tagged, its targets written), what
    they depend on (a target's queue, with its delivery permission), and every
    change the declarations caused elsewhere (the dashboard graphs each rule).
    Other drift found before the import is left for ``cabructl apply``.
    """
    everything = engine.plan(adopt=prepared.adopt)
    declared = set(prepared.declared)
    drifted_before = set(prepared.report.addresses())
    scope = [change.address for change in everything.changes
             if change.address in declared or (change.after is not None and change.after.parent in declared)
             or change.address not in drifted_before]
    if not scope:
        return Plan(everything.topology, everything.environment, everything.region, ())
    return engine.plan(targets=scope, adopt=prepared.adopt)


@dataclass(frozen=True)
class ImportOutcome:
    topology: "Topology"
    adoption: Plan | None       # the plan that took over newly declared rules, when any
    applied: "ApplyResult | None"
    remaining: DriftReport | None  # drift after the import, read anew (None when adopting failed)

    def still_drifting(self, addresses: Iterable[str]) -> list[str]:
        left = set(self.remaining.addresses()) if self.remaining else set()
        return sorted({address for address in addresses if address in left})


def finish_import(engine: "Engine", prepared: PreparedImport, topology: "Topology", *,
                  progress: "Progress | None" = None) -> ImportOutcome:
    """After :func:`commit_import`: take over what the file now declares (when anything),
    then read drift again."""
    from cabructl.engine import Engine

    def fresh() -> "Engine":
        return Engine(topology, engine.aws, workers=engine.workers, kinds=engine.handlers)

    adoption = applied = None
    if prepared.declared:
        adopter = fresh()
        adoption = adoption_plan(adopter, prepared)
        if not adoption.empty:
            applied = adopter.apply(adoption, progress=progress)
            if not applied.ok:
                return ImportOutcome(topology, adoption, applied, None)
    return ImportOutcome(topology, adoption, applied, detect_drift(fresh()))
