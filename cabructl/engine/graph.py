"""Graph-ordered batches (Sceptre's launch order, Terraform's destroy edges).

Writes run batch by batch, in parallel within a batch; a resource waits for
every resource it depends on that is also being written. Deletes walk the same
graph reversed: a live resource is deleted only after everything being deleted
that depends on it (what a live resource depends on is derived from the ARNs it
holds and its parent, :func:`live_dependencies`). No order depends on where a
handler stands in a list.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence, TypeVar

from cabructl.engine.plan import Action, Change
from cabructl.resources.arns import plain_arn
from cabructl.resources.base import Resource

T = TypeVar("T")


class CycleError(Exception):
    """The desired resources depend on each other in a circle (a handler bug)."""


def write_batches(changes: Sequence[Change]) -> list[list[Change]]:
    """Creates, updates and the create half of replaces, dependencies first."""
    pending = {change.address: change for change in changes if change.action is not Action.DELETE}
    batches: list[list[Change]] = []
    done: set[str] = set()
    while pending:
        ready = [change for address, change in pending.items()
                 if all(dep in done or dep not in pending for dep in (change.after.depends_on if change.after else ()))]
        if not ready:
            raise CycleError("dependency cycle among: " + ", ".join(sorted(pending)))
        batches.append(sorted(ready, key=lambda change: change.address))
        for change in ready:
            done.add(change.address)
            del pending[change.address]
    return batches


def delete_batches(changes: Sequence[Change]) -> list[list[Change]]:
    """Deletes and the delete half of replaces, dependents first (the reversed dependency graph).

    Resources that depend on each other in a circle (two queues that are each other's
    dead-letter queue) hold no order AWS cares about: they are deleted in one last batch.
    """
    pending = {change.address: change for change in changes if change.action in (Action.DELETE, Action.REPLACE)}
    dependents: dict[str, set[str]] = {address: set() for address in pending}
    for address, change in pending.items():
        for dependency in change.before.depends_on if change.before else ():
            if dependency in pending and dependency != address:
                dependents[dependency].add(address)
    batches: list[list[Change]] = []
    while pending:
        ready = [change for address, change in pending.items() if not dependents[address] & set(pending)]
        batches.append(sorted(ready or pending.values(), key=lambda change: change.address))
        for change in batches[-1]:
            del pending[change.address]
    return batches


def live_dependencies(live: Mapping[str, Resource]) -> dict[str, tuple[str, ...]]:
    """What each live resource depends on: its parent, every other live resource whose ARN it
    holds in its attributes or identity (a target its queue, an archive its bus, a policy the log
    group it grants), and what its handler said it depends on (a target, the statement it is granted by). Exact ARNs only (``:*`` stream suffixes removed), so ``q1`` is not ``q10``."""
    by_arn = {plain_arn(str(resource.identity["arn"])): address for address, resource in live.items() if resource.identity.get("arn")}
    found: dict[str, tuple[str, ...]] = {}
    for address, resource in live.items():
        held = {by_arn[value] for value in _strings((resource.attributes, _references(resource.identity))) if value in by_arn}
        if resource.parent in live:
            held.add(resource.parent)
        held |= {dependency for dependency in resource.depends_on if dependency in live}  # what its handler knows
        held.discard(address)
        found[address] = tuple(sorted(held))
    return found


def _references(identity: Mapping[str, Any]) -> dict[str, Any]:
    """Identity fields other than the resource's own ARN."""
    return {key: value for key, value in identity.items() if key != "arn"}


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value, stream suffixes removed."""
    if isinstance(value, str):
        yield plain_arn(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)



def with_dependencies(addresses: Sequence[str], depends_on: Mapping[str, Sequence[str]]) -> set[str]:
    """``--target`` closure: the addresses given and everything they depend on."""
    wanted: set[str] = set()
    stack = list(addresses)
    while stack:
        address = stack.pop()
        if address in wanted:
            continue
        wanted.add(address)
        stack.extend(depends_on.get(address, ()))
    return wanted
