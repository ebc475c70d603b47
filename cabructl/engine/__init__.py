"""The pipeline: desired × live → plan → (policy gate) → ordered apply.

:class:`Engine` is what commands use. It discovers live state once per command
and knows no AWS kind: everything kind-specific is behind the handlers.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from cabructl.aws import Aws
from cabructl.engine import ephemeral
from cabructl.engine.apply import ApplyResult, Progress, apply_changes, refuse_data_loss, refuse_unready
from cabructl.engine.graph import with_dependencies
from cabructl.engine.plan import Action, Change, Plan, diff_states, live_fingerprint, plan_states
from cabructl.engine.recheck import StalePlan, recheck_changes
from cabructl.engine.state import context_for, desired_state, live_state
from cabructl.errors import CabructlError
from cabructl.resources import Context, Handler, Resource, handlers
from cabructl.topology.model import Topology

__all__ = ["Engine", "Plan", "Change", "Action", "ApplyResult", "StalePlan"]


class Engine:
    """One topology against one AWS configuration."""

    def __init__(self, topology: Topology, aws: Aws, *, workers: int | None = None,
                 kinds: Sequence[Handler] | None = None, extra: Sequence[Resource] = ()) -> None:
        self.topology = topology
        # Resources a command writes beside the topology (a tail's queue and target), desired like
        # declared ones so that they go through the same checked apply; a command may replace them.
        self.extra: tuple[Resource, ...] = tuple(extra)
        self.aws = aws
        self.workers = workers if workers is not None else aws.settings.max_workers
        self.handlers = tuple(kinds) if kinds is not None else handlers()
        self.by_kind = {handler.kind: handler for handler in self.handlers}
        self.kind_order = {handler.kind: index for index, handler in enumerate(self.handlers)}  # reading order of a plan only
        self._context: Context | None = None
        self._live: dict[str, Resource] | None = None

    @property
    def context(self) -> Context:
        if self._context is None:
            self._context = context_for(self.aws, self.topology)
        return self._context

    def desired(self) -> dict[str, Resource]:
        declared = desired_state(self.topology, self.context, self.handlers)
        for resource in self.extra:
            if resource.address in declared:
                raise CabructlError(f"{resource.address} is declared in the topology; a temporary resource cannot take its address")
            declared[resource.address] = resource
        return declared

    def live(self, desired: dict[str, Resource] | None = None, *, refresh: bool = False,
             bypass_index: bool = False) -> dict[str, Resource]:
        """Live state, read once per command unless ``refresh`` (``bypass_index``: every tag read per resource)."""
        if self._live is None or refresh:
            self.aws.forget()  # reads are shared within one discovery, never carried into the next
            if bypass_index:
                from cabructl.resources.tags import bypass_tag_index

                bypass_tag_index(self.aws, self.topology)
            self._live = live_state(self.aws, self.topology, self.context, self.handlers,
                                    desired if desired is not None else self.desired(), self.workers)
        return self._live

    def plan(self, *, targets: Iterable[str] = (), adopt: Iterable[str] = (), destroy: bool = False,
             only: Iterable[str] = (), now: float | None = None) -> Plan:
        """The changes that make live AWS match the topology (or remove it, with ``destroy``).

        ``only`` keeps exactly those addresses, without what they depend on: a command that writes
        its own resources beside the topology (``extra``) changes nothing else, however far the rest
        has drifted. ``now`` is the time leases are judged at (default: the clock).
        """
        desired = self.desired()
        live = self.live(desired)
        adopt = list(adopt)
        targets = list(targets)
        _check_addresses("--adopt", adopt, desired, live)
        wanted_desired = {} if destroy else desired
        now = ephemeral.now() if now is None else now
        changes, conflicts, kept = plan_states(wanted_desired, live, self.by_kind, adopt=adopt, now=now, destroy=destroy)
        running = [] if destroy else ephemeral.running_ephemeral(desired, live, now)
        exact = set(only)
        scopes = [exact] if exact else []
        if targets:
            _check_addresses("--target", targets, desired, live)
            scopes.append(with_dependencies(targets, {a: r.depends_on for a, r in desired.items()}))
        for scope in scopes:
            changes, conflicts, kept, running = ([item for item in items if item.address in scope]
                                                 for items in (changes, conflicts, kept, running))
        ordered = sorted(changes, key=lambda change: (self.kind_order.get(change.kind, 99), change.address))
        return Plan(self.topology.file, self.topology.environment, self.context.region, tuple(ordered), tuple(conflicts),
                    live_fingerprint(live), kept=tuple(kept), account=self.context.account_id, ephemeral=tuple(running))

    def save_plan(self, plan: Plan, path: str) -> None:
        """Write ``plan`` for ``apply PLANFILE``, with the desired state it was made against."""
        from dataclasses import replace

        from cabructl.engine.plan_file import save_plan

        save_plan(replace(plan, desired=self.desired(), account=self.context.account_id), path)

    def load_plan(self, path: str) -> Plan:
        """A saved plan, validated, and checked against live AWS (refused when anything it saw changed)."""
        from cabructl.engine.plan_file import load_plan

        plan = load_plan(path, set(self.by_kind))
        self.check_saved_plan(plan)
        return plan

    def apply(self, plan: Plan, *, allow_data_loss: bool = False, progress: Progress | None = None) -> ApplyResult:
        """Execute ``plan``; refuses conflicts, stale changes and data loss before any write.

        Live AWS is read again first and every change derived anew from it
        (:mod:`cabructl.engine.recheck`): what runs is what holds now, and data loss
        is judged on the data held now, never on what the plan recorded.
        """
        if plan.conflicts:
            raise CabructlError("the plan has conflicts; nothing was changed:\n" + "\n".join(f"  {c.address}: {c.message}" for c in plan.conflicts))
        if plan.empty:
            return ApplyResult()
        if plan.desired is not None:
            self.check_saved_plan(plan)
        else:
            self.live(refresh=True)
        assert self._live is not None
        changes = recheck_changes(plan.changes, self._live, self.by_kind)
        if not allow_data_loss:
            refuse_data_loss(changes)
        return apply_changes(self.aws, changes, self.by_kind, workers=self.workers, progress=progress)

    def preflight(self, plan: Plan) -> None:
        """Refuse a plan whose writes cannot start (a connection's secret missing from the environment)
        before anyone is asked to confirm it; the apply asks again before its first write."""
        refuse_unready(self.aws, plan.changes, self.by_kind)

    def check_saved_plan(self, plan: Plan) -> None:
        """A saved plan is applied exactly, and only while live AWS is as it was when planned.

        Discovery looks for what the plan's own desired state names, so the answer does
        not depend on the file the command was given; anything discovery sees that
        changed (created, deleted, retagged, edited, owned or not) makes the plan stale.
        """
        if not plan.live_fingerprint:
            raise StalePlan("the plan has no fingerprint of live AWS; nothing was applied",
                            hint="make the plan again with `cabructl plan --out FILE`")
        if plan.environment != self.topology.environment:
            raise StalePlan(f"the plan is for environment {plan.environment!r}, not {self.topology.environment!r}")
        if plan.account and plan.account != self.context.account_id:
            raise StalePlan(f"the plan was made in account {plan.account}, not {self.context.account_id}; nothing was applied")
        if plan.region != self.context.region:
            raise StalePlan(f"the plan was made in region {plan.region}, not {self.context.region}; nothing was applied")
        desired = dict(plan.desired) if plan.desired is not None else None
        current = live_fingerprint(self.live(desired, refresh=True))
        if current != plan.live_fingerprint:
            raise StalePlan("live AWS changed since this plan was made; nothing was applied",
                            hint="run `cabructl plan --out FILE` again and review the new plan")

    def verify(self, applied: Sequence[Change], *, destroy: bool = False) -> list[str]:
        """Re-read after writing (habit: every write is followed by a read).

        Returns the addresses whose live state still differs: a cabructl bug,
        reported as such (Terraform's "inconsistent result after apply").
        """
        live = self.live(refresh=True, bypass_index=True)  # a tag written a moment ago may not be indexed yet
        desired = {} if destroy else self.desired()
        changes, _ = diff_states(desired, live, self.by_kind, destroy=destroy)
        touched = {change.address for change in applied}
        return sorted(change.address for change in changes if change.address in touched)


def _check_addresses(option: str, addresses: Sequence[str], desired: dict[str, Resource], live: dict[str, Resource]) -> None:
    from cabructl.diagnostics import did_you_mean

    known = set(desired) | set(live)
    for address in addresses:
        if address not in known:
            raise CabructlError(f"{option} {address}: no such address in this topology", hint=did_you_mean(address, known))

