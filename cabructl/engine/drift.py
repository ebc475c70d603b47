"""Drift: a plan that only reports, sorted into what a person must act on.

``cabructl drift`` runs from cron and CI, so its result has to answer one
question per line of output: what changed out of band, what vanished, and what
appeared that the file does not declare. Those are the three categories here:

- **changed**: declared and live, but attributes differ (the plan's update and
  replace changes), attribute by attribute, declared against live;
- **missing**: declared, not live (the plan's creates: deleted out of band, or
  never applied);
- **unmanaged**: live, not declared. Owned ones are what the next apply would
  delete (the plan's deletes: resources the file stopped declaring, an extra
  target on a managed rule); unowned ones are resources in the topology's
  namespace that cabructl never touches (a rule added to the bus by hand, a
  resource with a declared name but no ownership tags).

Everything is derived from one :meth:`Engine.plan` and the live state it read,
so drift and plan can never disagree, and nothing is read twice. Nothing here
writes to AWS, except the one event ``--notify`` publishes.

The work runs in a worker thread with a deadline (:mod:`cabructl.deadline`) because
a cron job must end: a hung endpoint or endless throttling would otherwise pile
up runs. Like the engine, this module names no AWS kind; what is specific to a
kind (which unmanaged kinds are urgent) is asked of :mod:`cabructl.resources.importers`.
Accepting drift into the file (``cabructl import``) is :mod:`cabructl.engine.importing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, TypeVar

from cabructl.deadline import DeadlineExceeded
from cabructl.deadline import run_within as run_within_deadline
from cabructl.engine.ephemeral import Ephemeral
from cabructl.engine.plan import FORMAT_VERSION, Action, Change, Conflict, Plan
from cabructl.resources.base import Resource

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.aws import Aws
    from cabructl.engine import Engine

T = TypeVar("T")

# (severity, description, affected addresses) → the id of what was published; passed in by the
# CLI (the agent SDK's drift_issue_publisher), since the engine never imports the SDK.
Notifier = Callable[[str, str, list[str]], str]
DEFAULT_TIMEOUT_SECONDS = 300.0


class DriftTimeout(DeadlineExceeded):
    """A deadline passed during drift: its own reference, for the summary line cron greps."""

    reference = "drift-timeout"


# -- the report ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DriftedAttribute:
    """One attribute that differs: what the file declares and what AWS has."""

    path: str
    declared: Any
    live: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "declared": self.declared, "live": self.live}


@dataclass(frozen=True)
class ChangedResource:
    address: str
    kind: str
    attributes: tuple[DriftedAttribute, ...]

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "kind": self.kind, "attributes": [item.to_json() for item in self.attributes]}


@dataclass(frozen=True)
class MissingResource:
    address: str
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "kind": self.kind}


@dataclass(frozen=True)
class UnmanagedResource:
    """Live and not declared. ``owned`` says whether the next apply would delete it
    (True) or whether cabructl will never touch it (False)."""

    address: str
    kind: str
    name: str
    owned: bool

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "kind": self.kind, "name": self.name, "owned": self.owned}


@dataclass(frozen=True)
class DriftReport:
    """What ``cabructl drift`` found: a value, rendered by :mod:`cabructl.output.drift`."""

    project: str
    topology: str
    environment: str
    region: str
    changed: tuple[ChangedResource, ...] = ()
    missing: tuple[MissingResource, ...] = ()
    unmanaged: tuple[UnmanagedResource, ...] = ()
    # Temporary resources of a running command (a `cabructl tail`): listed, and never drift.
    ephemeral: tuple[Ephemeral, ...] = ()

    @property
    def has_drift(self) -> bool:
        return bool(self.changed or self.missing or self.unmanaged)

    @property
    def where(self) -> str:
        """``cabruca-segmentation/prod sa-east-1``: which deployment, for logs and alerts."""
        return f"{self.project}/{self.environment} {self.region}"

    def summary(self) -> dict[str, int]:
        return {"changed": len(self.changed), "missing": len(self.missing), "unmanaged": len(self.unmanaged)}

    def summary_line(self) -> str:
        """The one line a log scanner greps for; also the notified issue's description."""
        if not self.has_drift:
            return f"cabructl drift: OK no drift ({self.where})"
        counts = self.summary()
        return (f"cabructl drift: DRIFT {counts['changed']} changed, {counts['missing']} missing, "
                f"{counts['unmanaged']} unmanaged ({self.where})")

    def addresses(self) -> list[str]:
        """Every address with drift, in report order (the issue's affected resources)."""
        return [item.address for group in (self.changed, self.missing, self.unmanaged) for item in group]

    def changed_at(self, address: str) -> ChangedResource | None:
        return next((item for item in self.changed if item.address == address), None)

    def unmanaged_at(self, address: str) -> UnmanagedResource | None:
        return next((item for item in self.unmanaged if item.address == address), None)

    def missing_at(self, address: str) -> MissingResource | None:
        return next((item for item in self.missing if item.address == address), None)

    def to_json(self) -> dict[str, Any]:
        """The documented document; ``ephemeral`` (not drift) is there only when a command's temporary resources are live."""
        document = {
            "format_version": FORMAT_VERSION,
            "topology": self.topology,
            "environment": self.environment,
            "region": self.region,
            "drift": {
                "changed": [item.to_json() for item in self.changed],
                "missing": [item.to_json() for item in self.missing],
                "unmanaged": [item.to_json() for item in self.unmanaged],
            },
            "summary": self.summary(),
        }
        if self.ephemeral:
            document["ephemeral"] = [item.to_json() for item in self.ephemeral]
        return document


# -- classification ------------------------------------------------------------------------

def detect_drift(engine: "Engine") -> DriftReport:
    """One read-only plan, sorted into drift categories. Never writes to AWS."""
    plan = engine.plan()
    live = engine.live()
    return classify(plan, live, engine.topology.project)


def classify(plan: Plan, live: Mapping[str, Resource], project: str) -> DriftReport:
    """Plan changes and conflicts, plus live resources the diff ignores, as drift.

    The diff ignores unowned live resources at undeclared addresses (it never
    touches them), so they are taken from ``live`` directly; unowned ones at
    declared addresses are the plan's conflicts.
    """
    changes_by_action = {action: [c for c in plan.changes if c.action is action] for action in Action}
    drifted = changes_by_action[Action.UPDATE] + changes_by_action[Action.REPLACE]
    in_conflict = {conflict.address for conflict in plan.conflicts}
    unmanaged = [_owned_undeclared(change) for change in changes_by_action[Action.DELETE]]
    unmanaged += [_unowned_in_the_way(conflict, live) for conflict in plan.conflicts]
    unmanaged += [_unowned_in_namespace(resource) for address, resource in live.items()
                  if not resource.owned and address not in in_conflict]
    return DriftReport(
        project=project,
        topology=plan.topology,
        environment=plan.environment,
        region=plan.region,
        changed=tuple(sorted((_changed(change) for change in drifted), key=lambda item: item.address)),
        missing=tuple(sorted((MissingResource(c.address, c.kind) for c in changes_by_action[Action.CREATE]),
                             key=lambda item: item.address)),
        unmanaged=tuple(sorted(unmanaged, key=lambda item: item.address)),
        ephemeral=plan.ephemeral,
    )


def _changed(change: Change) -> ChangedResource:
    """The plan's diff runs live → desired; drift says declared against live."""
    attributes = tuple(DriftedAttribute(item.path, item.after, item.before) for item in change.diff)
    return ChangedResource(change.address, change.kind, attributes)


def _owned_undeclared(change: Change) -> UnmanagedResource:
    before = change.before
    return UnmanagedResource(change.address, change.kind, before.name if before else change.address, True)


def _unowned_in_the_way(conflict: Conflict, live: Mapping[str, Resource]) -> UnmanagedResource:
    """A declared name taken by a resource without this topology's tags (or whose tags
    were removed out of band): live, and not managed."""
    resource = live.get(conflict.address)
    kind = resource.kind if resource else conflict.address.rsplit(".", 1)[0]
    return UnmanagedResource(conflict.address, kind, conflict.name, False)


def _unowned_in_namespace(resource: Resource) -> UnmanagedResource:
    return UnmanagedResource(resource.address, resource.kind, resource.name, False)


# -- bounded time --------------------------------------------------------------------------

def run_within(seconds: float, work: Callable[[], T], aws: "Aws", *, doing: str = "drift check") -> T:
    """``work()`` within ``seconds`` (:func:`cabructl.deadline.run_within`), else :class:`DriftTimeout`.

    Drift keeps its own error so that cron's summary line names ``drift-timeout``.
    """
    return run_within_deadline(seconds, work, aws, doing=doing, error=DriftTimeout, thread_name="cabructl-drift")


# -- notification --------------------------------------------------------------------------

@dataclass(frozen=True)
class Notified:
    severity: str
    event_id: str


def drift_severity(report: DriftReport) -> str:
    """HIGH when events may be going nowhere or somewhere unreviewed: a missing resource,
    or an unmanaged resource of a kind that routes events; attribute changes only: MEDIUM.

    HIGH is what the topology's critical-issues rule forwards to the critical-alerts topic.
    """
    from cabructl.resources.importers import routes_events

    if report.missing or any(routes_events(item.kind) for item in report.unmanaged):
        return "HIGH"
    return "MEDIUM"


# -- the command's work --------------------------------------------------------------------

@dataclass(frozen=True)
class DriftCheck:
    report: DriftReport
    notified: Notified | None = None


def check_drift(engine: "Engine", *, timeout: float = DEFAULT_TIMEOUT_SECONDS, notifier: Notifier | None = None) -> DriftCheck:
    """Detect drift (and tell ``notifier`` when there is drift), all within ``timeout``."""

    def work() -> DriftCheck:
        report = detect_drift(engine)
        notified = None
        if notifier is not None and report.has_drift:
            severity = drift_severity(report)
            notified = Notified(severity, notifier(severity, report.summary_line(), report.addresses()))
        return DriftCheck(report, notified)

    return run_within(timeout, work, engine.aws)
