"""Graph-ordered batches (Sceptre's launch order, Terraform's destroy edges).

Writes run batch by batch, in parallel within a batch; a resource waits for
every resource it depends on that is also being written. Deletes run in the
reverse of the handlers' kind order (targets before rules, rules before the bus).
"""

from __future__ import annotations

from typing import Mapping, Sequence, TypeVar

from cabructl.engine.plan import Action, Change

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


def delete_batches(changes: Sequence[Change], kind_order: Mapping[str, int]) -> list[list[Change]]:
    """Deletes and the delete half of replaces, dependents first (reverse kind order)."""
    removing = [change for change in changes if change.action in (Action.DELETE, Action.REPLACE)]
    by_rank: dict[int, list[Change]] = {}
    for change in removing:
        by_rank.setdefault(kind_order.get(change.kind, 0), []).append(change)
    return [sorted(by_rank[rank], key=lambda change: change.address) for rank in sorted(by_rank, reverse=True)]


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
