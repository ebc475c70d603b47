"""Right before the first write, every change is derived again from live AWS as it is now.

A plan is made at one moment and applied at another: after a prompt, or days later
from a file. Between the two, messages arrive in a queue that is about to be
deleted, someone creates a queue with the name the plan would create, a rule is
added by hand. So the checks that guard data and ownership are never trusted from
the plan (Terraform's stale saved plan; HABITS 14): each change is compared with a
fresh read of its address, and the apply runs the *fresh* changes, with the live
identity (URLs, ARNs) and the data held now. Any change that no longer holds
refuses the whole apply before any write.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from cabructl.engine.plan import Action, Change, Reason, attribute_changes, compare, data_at_risk
from cabructl.errors import CabructlError
from cabructl.resources import Handler, Resource


class StalePlan(CabructlError):
    reference = "stale-plan"


def recheck_changes(changes: Sequence[Change], live: Mapping[str, Resource], handlers: Mapping[str, Handler]) -> list[Change]:
    """The changes to run, re-derived from ``live``; :class:`StalePlan` listing every one that no longer holds."""
    creating = {change.address for change in changes if change.action in (Action.CREATE, Action.REPLACE) or change.adopt}
    fresh: list[Change] = []
    problems: list[str] = []
    for change in changes:
        handler = handlers.get(change.kind)
        if handler is None:
            problems.append(f"{change.address}: {change.kind} is not a kind cabructl manages")
            continue
        problem, rederived = _recheck(change, live.get(change.address), handler)
        problem = problem or _parent_problem(change, live, creating)
        if problem:
            problems.append(f"{change.address}: {problem}")
        elif rederived is not None:
            fresh.append(rederived)
    if problems:
        raise StalePlan("live AWS is no longer as planned; nothing was applied:\n" + "\n".join(f"  {p}" for p in problems),
                        hint="run `cabructl plan` again and review the new plan")
    return fresh


def _recheck(change: Change, now: Resource | None, handler: Handler) -> tuple[str | None, Change | None]:
    """(why the change no longer holds, or None; the change as live AWS makes it now, or None for nothing to do)."""
    if change.action is Action.CREATE:
        if now is not None:
            return f"it exists now ({_owner(now)}), created since the plan was made", None
        return None, change
    if now is None:
        return f"it does not exist, or is not this topology's (the plan would {change.action.value} it)", None
    if not now.owned and not (change.adopt and change.action is Action.UPDATE):
        return f"{now.name!r} is {_owner(now)}: cabructl never changes or deletes it", None
    if change.action is Action.DELETE:
        loss = data_at_risk(handler, now)
        return None, Change(change.address, change.kind, Action.DELETE, now, None, attribute_changes(now.attributes, {}),
                            change.reason or Reason.NOT_DECLARED, data_loss=loss)
    assert change.after is not None
    rederived = compare(change.after, now, handler, adopting=not now.owned)
    if rederived is None:
        return None, None  # already as planned
    if rederived.action is not change.action:
        return f"it would now be a {rederived.action.value}, not the planned {change.action.value}", None
    return None, rederived


def _parent_problem(change: Change, live: Mapping[str, Resource], creating: set[str]) -> str | None:
    """A resource written inside another (a target on a rule, a schema in a registry) needs a parent
    the topology owns, or one this apply creates or takes over (``--adopt``)."""
    parent = change.after.parent if change.after is not None else None
    if parent is None or parent in creating:
        return None
    found = live.get(parent)
    if found is None:
        return f"its parent {parent} does not exist and the plan does not create it"
    if not found.owned:
        return f"its parent {parent} ({found.name!r}) is {_owner(found)}"
    return None


def _owner(resource: Resource) -> str:
    return "managed by this topology" if resource.owned else "not managed by this topology"
