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

from cabructl.resources.base import Handler, Resource

FORMAT_VERSION = 1


class Action(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


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
    reason: str | None = None
    replace_fields: tuple[str, ...] = ()
    data_loss: str | None = None  # what a delete/replace would destroy, e.g. "12 messages"

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
            "reason": self.reason,
            "replace_fields": list(self.replace_fields),
            "data_loss": self.data_loss,
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
class Plan:
    topology: str
    environment: str
    region: str
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...] = ()
    live_fingerprint: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

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

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> "Plan":
        """Rebuild a saved plan (``plan --out``) so ``apply PLANFILE`` runs exactly it."""
        resources = document.get("resources") or {}
        changes = []
        for raw in document["changes"]:
            stored = resources.get(raw["address"], {})
            changes.append(Change(
                address=raw["address"],
                kind=raw["kind"],
                action=Action(raw["action"]),
                before=Resource.from_json(stored["before"]) if stored.get("before") else None,
                after=Resource.from_json(stored["after"]) if stored.get("after") else None,
                diff=tuple(AttributeChange(d["path"], d["before"], d["after"]) for d in raw.get("diff", [])),
                reason=raw.get("reason"),
                replace_fields=tuple(raw.get("replace_fields", ())),
                data_loss=raw.get("data_loss"),
            ))
        return cls(
            topology=document["topology"],
            environment=document["environment"],
            region=document["region"],
            changes=tuple(changes),
            conflicts=tuple(Conflict(**c) for c in document.get("conflicts", [])),
            live_fingerprint=document.get("live_fingerprint", ""),
        )


def live_fingerprint(live: Mapping[str, Resource]) -> str:
    """A digest of owned live attributes: a saved plan is refused when it changes."""
    material = {addr: resource.attributes for addr, resource in sorted(live.items()) if resource.owned}
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
) -> tuple[list[Change], list[Conflict]]:
    """Desired × live → changes and conflicts. The engine's whole knowledge of kinds is
    ``handlers[kind].replace_on`` and ``holds_data``."""
    adopt = set(adopt)
    changes: list[Change] = []
    conflicts: list[Conflict] = []
    for addr, want in desired.items():
        have = live.get(addr)
        if have is None:
            changes.append(Change(addr, want.kind, Action.CREATE, None, want, attribute_changes({}, want.attributes)))
        elif not have.owned and addr not in adopt:
            conflicts.append(Conflict(addr, have.name, f'"{have.name}" exists but is not managed by this topology; '
                                                        f"remove it, rename the resource, or take it over with --adopt {addr}"))
        else:
            change = _compare(want, have, handlers[want.kind], adopting=not have.owned)
            if change is not None:
                changes.append(change)
    for addr, have in live.items():
        if addr not in desired and have.owned:
            handler = handlers[have.kind]
            loss = handler.data_held(have) if handler.holds_data else None
            changes.append(Change(addr, have.kind, Action.DELETE, have, None, attribute_changes(have.attributes, {}), data_loss=loss))
    return changes, conflicts


def _compare(want: Resource, have: Resource, handler: Handler, *, adopting: bool) -> Change | None:
    diff = attribute_changes(have.attributes, want.attributes)
    if not diff and not adopting:
        return None
    changed = {item.path.split(".", 1)[0].split("[", 1)[0] for item in diff}
    forcing = tuple(sorted(changed & set(handler.replace_on)))
    merged_after = Resource(want.address, want.kind, want.name, want.attributes, want.depends_on,
                            {**have.identity, **want.identity}, True, want.parent)
    if forcing:
        loss = handler.data_held(have) if handler.holds_data else None
        reason = f"{', '.join(forcing)} cannot change in place"
        return Change(want.address, want.kind, Action.REPLACE, have, merged_after, diff, reason, forcing, loss)
    reason = "adopt: take over the existing resource and tag it" if adopting else None
    return Change(want.address, want.kind, Action.UPDATE, have, merged_after, diff, reason)
