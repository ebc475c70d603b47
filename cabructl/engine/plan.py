"""The plan as a value: frozen changes, serialisable, shared by plan, apply, --out and drift.

Following Terraform's ``internal/plans``: a :class:`Change` carries the action,
before/after and why (e.g. "replace because fifo cannot change"). The diff here
knows no AWS kind: it compares canonical attributes and asks each handler only
for its ``replace_on`` and ``holds_data`` data.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from cabructl.engine.ephemeral import Ephemeral, is_running, lease_of, leftover_note
from cabructl.engine.ephemeral import now as clock_now
from cabructl.resources.base import HOLDS_UNOWNED, Handler, Resource

FORMAT_VERSION = 1


class Action(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


class Reason(str, enum.Enum):
    """Why a change is in the plan (Terraform's ``ActionReason``); a stable value in the JSON plan.

    Apply decides on the action, this reason and the fields named, never on text.
    """

    DECLARED = "declared"            # create: declared, not in AWS
    CHANGED = "changed"              # update: attributes differ
    ADOPTED = "adopted"              # update: take over an unowned resource (--adopt) and tag it
    CANNOT_UPDATE = "cannot_update"  # replace: replace_fields cannot change in place (a new name among them)
    NOT_DECLARED = "not_declared"    # delete: owned, and no declaration claims it (or destroy)
    LEFT_OVER = "left_over"          # delete: a temporary resource whose command died (its lease ended)


@dataclass(frozen=True)
class AttributeChange:
    """One changed attribute, with a readable path inside it (``pattern.detail.severity``)."""

    path: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Change:
    address: str
    kind: str
    action: Action
    before: Resource | None
    after: Resource | None
    diff: tuple[AttributeChange, ...] = ()
    reason: Reason | None = None
    replace_fields: tuple[str, ...] = ()
    data_loss: str | None = None  # what a delete/replace would destroy, e.g. "12 messages"
    note: str | None = None  # said beside the change, judged when planned (a leftover's lease); not in the JSON

    @property
    def adopt(self) -> bool:
        """An update that takes over an unowned resource (--adopt)."""
        return self.reason is Reason.ADOPTED

    @property
    def explanation(self) -> str | None:
        """The reason as a person reads it beside the change, when it needs saying."""
        if self.reason is Reason.CANNOT_UPDATE:
            return f"{', '.join(self.replace_fields)} cannot change in place"
        if self.reason is Reason.ADOPTED:
            return "adopt: take over the existing resource and tag it"
        return self.note

    @property
    def changed_attributes(self) -> tuple[str, ...]:
        return tuple(sorted({item.path.split(".", 1)[0].split("[", 1)[0] for item in self.diff}))

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "action": self.action.value,
            "before": dict(self.before.attributes) if self.before else None,
            "after": dict(self.after.attributes) if self.after else None,
            "diff": [item.to_json() for item in self.diff],
            "reason": self.reason.value if self.reason else None,
            "replace_fields": list(self.replace_fields),
            "data_loss": self.data_loss,
            "adopt": self.adopt,
        }


@dataclass(frozen=True)
class Conflict:
    """A live resource with a desired name that cabructl does not own: never taken silently."""

    address: str
    name: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "name": self.name, "message": self.message}


@dataclass(frozen=True)
class Kept:
    """An owned container that is not deleted because it holds what cabructl does not own
    (a bus with a rule made by hand): everything else is deleted, this is said and kept."""

    address: str
    name: str
    holding: tuple[str, ...]  # addresses of the unowned resources inside, or what its handler says it holds for others

    @property
    def message(self) -> str:
        count = len(self.holding)
        return (f'"{self.name}" is kept: it holds {count} resource{"s" if count != 1 else ""} cabructl does not own '
                f"({', '.join(self.holding)}); remove or move them, then run the command again")

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "name": self.name, "holding": list(self.holding), "message": self.message}


@dataclass(frozen=True)
class Plan:
    topology: str
    environment: str
    region: str
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...] = ()
    live_fingerprint: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    kept: tuple[Kept, ...] = ()
    ephemeral: tuple[Ephemeral, ...] = ()  # temporary resources of running commands, left alone (not in the JSON plan)
    # What a saved plan was made against: the desired state (discovery at apply time looks for
    # the same names) and the account. Empty for a plan made and applied in one command.
    desired: Mapping[str, Resource] | None = None
    account: str = ""

    @property
    def empty(self) -> bool:
        return not self.changes

    def summary(self) -> dict[str, int]:
        counts = {action.value: 0 for action in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        return counts

    def to_json(self, *, include_resources: bool = False) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "topology": self.topology,
            "environment": self.environment,
            "region": self.region,
            "changes": [change.to_json() for change in self.changes],
            "summary": self.summary(),
            "conflicts": [conflict.to_json() for conflict in self.conflicts],
            "kept": [kept.to_json() for kept in self.kept],
        }
        if include_resources:
            document["live_fingerprint"] = self.live_fingerprint
            document["resources"] = {
                change.address: {
                    "before": change.before.to_json() if change.before else None,
                    "after": change.after.to_json() if change.after else None,
                }
                for change in self.changes
            }
        return document


def live_fingerprint(live: Mapping[str, Resource]) -> str:
    """A digest of everything discovery saw: a saved plan is refused when it changes.

    It covers what exists, under which address and name, who owns it and its
    attributes, owned or not: a resource someone else creates with a name the plan
    would create changes it as surely as an edit of an owned one. It leaves out what
    changes by itself (message counts, stored bytes, schema versions: ``identity``);
    the data-loss guard re-reads those at apply time.
    """
    material = {addr: {"kind": resource.kind, "name": resource.name, "owned": resource.owned, "parent": resource.parent,
                       "attributes": resource.attributes}
                for addr, resource in sorted(live.items())}
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def attribute_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[AttributeChange, ...]:
    """Leaf-level differences between two canonical attribute maps, via deepdiff."""
    from deepdiff import DeepDiff

    if before == after:
        return ()
    delta = DeepDiff(dict(before), dict(after), verbose_level=2, view="tree")
    changes: dict[str, AttributeChange] = {}
    for items in delta.values():
        for item in items:
            path = _readable_path(item.path(output_format="list"))
            changes[path] = AttributeChange(path, _plain(item.t1), _plain(item.t2))
    return tuple(changes[path] for path in sorted(changes))


def _plain(value: Any) -> Any:
    """deepdiff marks absent sides with a sentinel; plans show them as null."""
    return None if type(value).__name__ == "NotPresent" else value


def _readable_path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (("." if text else "") + str(part))
    return text


def diff_states(
    desired: Mapping[str, Resource],
    live: Mapping[str, Resource],
    handlers: Mapping[str, Handler],
    *,
    adopt: Iterable[str] = (),
    destroy: bool = False,
) -> tuple[list[Change], list[Conflict]]:
    """Desired × live → changes and conflicts (containers that must be kept are conflicts here;
    :func:`plan_states` tells them apart)."""
    changes, conflicts, kept = plan_states(desired, live, handlers, adopt=adopt, destroy=destroy)
    return changes, conflicts + [Conflict(item.address, item.name, item.message) for item in kept]


def plan_states(
    desired: Mapping[str, Resource],
    live: Mapping[str, Resource],
    handlers: Mapping[str, Handler],
    *,
    adopt: Iterable[str] = (),
    now: float | None = None,
    destroy: bool = False,
) -> tuple[list[Change], list[Conflict], list[Kept]]:
    """Desired × live → changes, conflicts and kept containers. The engine's whole knowledge of
    kinds is ``handlers[kind].replace_on``, ``located_by`` and ``holds_data``.

    A temporary resource whose lease runs at ``now`` is left alone (:mod:`cabructl.engine.ephemeral`),
    except by ``destroy``; one whose lease has ended is deleted like any owned undeclared resource."""
    adopt = set(adopt)
    now = clock_now() if now is None else now
    changes: list[Change] = []
    conflicts: list[Conflict] = []
    for addr, want in desired.items():
        have = live.get(addr)
        if have is None:
            changes.append(Change(addr, want.kind, Action.CREATE, None, want, attribute_changes({}, want.attributes), Reason.DECLARED))
        elif not have.owned and addr not in adopt:
            conflicts.append(Conflict(addr, have.name, f'"{have.name}" exists but is not managed by this topology; '
                                                        f"remove it, rename the resource, or take it over with --adopt {addr}"))
        else:
            change = compare(want, have, handlers[want.kind], adopting=not have.owned)
            if change is not None:
                changes.append(change)
    for addr, have in live.items():
        if addr not in desired and have.owned and (destroy or not is_running(have, now)):
            loss = data_at_risk(handlers[have.kind], have)
            reason = Reason.LEFT_OVER if lease_of(have) is not None and not is_running(have, now) else Reason.NOT_DECLARED
            changes.append(Change(addr, have.kind, Action.DELETE, have, None, attribute_changes(have.attributes, {}),
                                  reason, data_loss=loss, note=leftover_note(have, now)))
    return _hold_containers(changes, conflicts, live)


def data_at_risk(handler: Handler, have: Resource) -> str | None:
    """What deleting ``have`` would lose; a temporary resource holds copies only, never data to guard."""
    if not handler.holds_data or lease_of(have) is not None:
        return None
    return handler.data_held(have)


def _hold_containers(changes: list[Change], conflicts: list[Conflict],
                     live: Mapping[str, Resource]) -> tuple[list[Change], list[Conflict], list[Kept]]:
    """Never delete what holds resources cabructl does not own (a bus with a hand-made rule), or
    what its handler says it holds for others (``HOLDS_UNOWNED``: a bus policy's foreign statements).

    Such a delete is dropped and reported as kept; such a replace cannot happen at
    all and is a conflict, so the apply refuses before any write.
    """
    foreign: dict[str, list[str]] = {}
    for resource in live.values():
        if resource.parent is not None and not resource.owned:
            foreign.setdefault(resource.parent, []).append(resource.address)
        foreign.setdefault(resource.address, []).extend(resource.identity.get(HOLDS_UNOWNED) or ())
    kept: list[Kept] = []
    remaining: list[Change] = []
    for change in changes:
        holding = tuple(sorted(foreign.get(change.address, ())))
        if holding and change.action is Action.DELETE and change.before is not None:
            kept.append(Kept(change.address, change.before.name, holding))
        elif holding and change.action is Action.REPLACE and change.before is not None:
            item = Kept(change.address, change.before.name, holding)
            conflicts.append(Conflict(change.address, change.before.name, f"cannot replace it: {item.message}"))
        else:
            remaining.append(change)
    return remaining, conflicts, kept


def compare(want: Resource, have: Resource, handler: Handler, *, adopting: bool) -> Change | None:
    """One declared resource against its live one: nothing, an update, or a replace.

    The name and the handler's ``located_by`` fields are where a resource lives, not
    attributes: a change to any of them is a replace (a new ``name:`` makes a new
    queue; the old one is deleted, under the data-loss guard), never an update that
    would re-point the old resource.
    """
    moved = _location_changes(want, have, handler)
    diff = moved + attribute_changes(have.attributes, want.attributes)
    if not diff and not adopting:
        return None
    changed = {item.path.split(".", 1)[0].split("[", 1)[0] for item in diff}
    forcing = tuple(sorted((changed & set(handler.replace_on)) | {item.path for item in moved}))
    merged_after = Resource(want.address, want.kind, want.name, want.attributes, want.depends_on,
                            {**have.identity, **want.identity}, True, want.parent)
    if forcing:
        loss = handler.data_held(have) if handler.holds_data else None
        return Change(want.address, want.kind, Action.REPLACE, have, merged_after, diff, Reason.CANNOT_UPDATE, forcing, loss)
    return Change(want.address, want.kind, Action.UPDATE, have, merged_after, diff, Reason.ADOPTED if adopting else Reason.CHANGED)


def _location_changes(want: Resource, have: Resource, handler: Handler) -> tuple[AttributeChange, ...]:
    """The name and the locating identity fields that differ, as diff entries."""
    moved = [AttributeChange("name", have.name, want.name)] if want.name != have.name else []
    moved += [AttributeChange(field, have.identity.get(field), want.identity.get(field))
              for field in handler.located_by if want.identity.get(field) != have.identity.get(field)]
    return tuple(moved)
