"""The apply's pre-flight: every write's ``unready`` is asked before the first write, and any answer stops it.

A fake kind stands for any handler that needs something from outside the topology (a
connection's secret); the engine knows no kind, so neither does this test.
"""

from __future__ import annotations

from typing import Any

import pytest

from cabructl.engine import Action, Change
from cabructl.engine.apply import NotReady, apply_changes
from cabructl.resources import Handler, Resource


class Needy(Handler):
    """Writes record themselves; ``unready`` says what each resource's ``needs`` attribute lacks."""

    kind = "test.needy"

    def __init__(self) -> None:
        self.written: list[str] = []
        self.asked: list[str] = []

    def unready(self, aws: Any, resource: Resource) -> str | None:
        self.asked.append(resource.address)
        return resource.attributes.get("needs")

    def create(self, aws: Any, resource: Resource) -> None:
        self.written.append(resource.address)

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        self.written.append(desired.address)

    def delete(self, aws: Any, live: Resource) -> None:
        self.written.append(live.address)


def change(name: str, action: Action, needs: str | None = None) -> Change:
    resource = Resource(f"test.needy.{name}", Needy.kind, name, {"needs": needs} if needs else {})
    before = None if action is Action.CREATE else resource
    after = None if action is Action.DELETE else resource
    return Change(resource.address, Needy.kind, action, before, after)


def test_every_problem_is_named_and_nothing_is_written() -> None:
    handler = Needy()
    changes = [change("gone", Action.DELETE), change("a", Action.CREATE, "VAR_A is not set"), change("b", Action.UPDATE),
               change("c", Action.REPLACE, "VAR_C is not set")]
    with pytest.raises(NotReady) as refused:
        apply_changes(None, changes, {Needy.kind: handler}, workers=1)
    assert str(refused.value).splitlines()[1:] == ["  test.needy.a: VAR_A is not set", "  test.needy.c: VAR_C is not set"]
    assert handler.written == [] and handler.asked == ["test.needy.a", "test.needy.b", "test.needy.c"]  # deletes need nothing


def test_a_ready_apply_writes_as_before() -> None:
    handler = Needy()
    result = apply_changes(None, [change("a", Action.CREATE), change("gone", Action.DELETE)], {Needy.kind: handler}, workers=1)
    assert result.ok and handler.written == ["test.needy.gone", "test.needy.a"]
