"""The pipeline: desired × live → plan → (policy gate) → ordered apply.

:class:`Engine` is what commands use. It discovers live state once per command
and knows no AWS kind: everything kind-specific is behind the handlers.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from cabructl.aws import Aws
from cabructl.engine.apply import ApplyResult, Progress, apply_changes, refuse_data_loss
from cabructl.engine.graph import with_dependencies
from cabructl.engine.plan import Action, Change, Plan, diff_states, live_fingerprint
from cabructl.engine.state import context_for, desired_state, live_state
from cabructl.errors import CabructlError
from cabructl.resources import Context, Handler, Resource, handlers
from cabructl.topology.model import Topology

__all__ = ["Engine", "Plan", "Change", "Action", "ApplyResult", "StalePlan"]


class StalePlan(CabructlError):
    reference = "stale-plan"


class Engine:
    """One topology against one AWS configuration."""

    def __init__(self, topology: Topology, aws: Aws, *, workers: int | None = None,
                 kinds: Sequence[Handler] | None = None) -> None:
        self.topology = topology
        self.aws = aws
        self.workers = workers if workers is not None else aws.settings.max_workers
        self.handlers = tuple(kinds) if kinds is not None else handlers()
        self.by_kind = {handler.kind: handler for handler in self.handlers}
        self.kind_order = {handler.kind: index for index, handler in enumerate(self.handlers)}
        self._context: Context | None = None
        self._live: dict[str, Resource] | None = None

    @property
    def context(self) -> Context:
        if self._context is None:
            self._context = context_for(self.aws, self.topology)
        return self._context

    def desired(self) -> dict[str, Resource]:
        return desired_state(self.topology, self.context, self.handlers)

    def live(self, desired: dict[str, Resource] | None = None, *, refresh: bool = False) -> dict[str, Resource]:
        """Live state, read once per command unless ``refresh``."""
        if self._live is None or refresh:
            self.aws.forget()  # reads are shared within one discovery, never carried into the next
            self._live = live_state(self.aws, self.topology, self.context, self.handlers,
                                    desired if desired is not None else self.desired(), self.workers)
        return self._live

    def plan(self, *, targets: Iterable[str] = (), adopt: Iterable[str] = (), destroy: bool = False) -> Plan:
        """The changes that make live AWS match the topology (or remove it, with ``destroy``)."""
        desired = self.desired()
        live = self.live(desired)
        wanted_desired = {} if destroy else desired
        changes, conflicts = diff_states(wanted_desired, live, self.by_kind, adopt=adopt)
        targets = list(targets)
        if targets:
            _check_addresses(targets, desired, live)
            scope = with_dependencies(targets, {a: r.depends_on for a, r in desired.items()})
            changes = [change for change in changes if change.address in scope]
            conflicts = [conflict for conflict in conflicts if conflict.address in scope]
        ordered = sorted(changes, key=lambda change: (self.kind_order.get(change.kind, 99), change.address))
        return Plan(self.topology.file, self.topology.environment, self.context.region, tuple(ordered), tuple(conflicts),
                    live_fingerprint(live))

    def apply(self, plan: Plan, *, allow_data_loss: bool = False, progress: Progress | None = None) -> ApplyResult:
        """Execute ``plan``; refuses data loss and conflicts before any write."""
        if plan.conflicts:
            raise CabructlError("the plan has conflicts; nothing was changed:\n" + "\n".join(f"  {c.address}: {c.message}" for c in plan.conflicts))
        if not allow_data_loss:
            refuse_data_loss(plan.changes)
        return apply_changes(self.aws, plan.changes, self.by_kind, self.kind_order, workers=self.workers, progress=progress)

    def check_saved_plan(self, plan: Plan) -> None:
        """A saved plan is applied exactly, and only while live AWS is as it was when planned."""
        current = live_fingerprint(self.live())
        if plan.live_fingerprint and current != plan.live_fingerprint:
            raise StalePlan("live AWS changed since this plan was made; nothing was applied",
                            hint="run `cabructl plan --out FILE` again and review the new plan")
        if plan.environment != self.topology.environment:
            raise StalePlan(f"the plan is for environment {plan.environment!r}, not {self.topology.environment!r}")

    def verify(self, applied: Sequence[Change], *, destroy: bool = False) -> list[str]:
        """Re-read after writing (habit: every write is followed by a read).

        Returns the addresses whose live state still differs: a cabructl bug,
        reported as such (Terraform's "inconsistent result after apply").
        """
        live = self.live(refresh=True)
        desired = {} if destroy else self.desired()
        changes, _ = diff_states(desired, live, self.by_kind)
        touched = {change.address for change in applied}
        return sorted(change.address for change in changes if change.address in touched)


def _check_addresses(addresses: Sequence[str], desired: dict[str, Resource], live: dict[str, Resource]) -> None:
    from cabructl.diagnostics import did_you_mean

    known = set(desired) | set(live)
    for address in addresses:
        if address not in known:
            raise CabructlError(f"--target {address}: no such address in this topology", hint=did_you_mean(address, known))

