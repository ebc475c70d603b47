"""Plan text as a person reads it: Terraform's symbols, each changed attribute, a summary, colour only when asked."""

from __future__ import annotations

import pytest

from cabructl.engine.plan import Action, Change, Plan, Reason, attribute_changes
from cabructl.output.plan import render_plan
from cabructl.output.style import use_colour
from cabructl.resources.base import Resource


def resource(address: str, **attributes: object) -> Resource:
    return Resource(address, address.rsplit(".", 2)[0], address.rsplit(".", 1)[1], attributes)


def change(action: Action, before: Resource | None, after: Resource | None, **extra: object) -> Change:
    diff = attribute_changes(before.attributes if before else {}, after.attributes if after else {})
    address = (after or before).address  # type: ignore[union-attr]
    return Change(address, (after or before).kind, action, before, after, diff, **extra)  # type: ignore[union-attr,arg-type]


PLAN = Plan("topology.yaml", "prod", "sa-east-1", (
    change(Action.CREATE, None, resource("sqs.queue.new", retention=60)),
    change(Action.UPDATE, resource("events.rule.r", pattern={"detail": {"severity": ["HIGH"]}}, state="ENABLED"),
           resource("events.rule.r", pattern={"detail": {"severity": ["HIGH", "MEDIUM"]}}, state="DISABLED")),
    change(Action.REPLACE, resource("sqs.queue.q", fifo=False), resource("sqs.queue.q", fifo=True),
           reason=Reason.CANNOT_UPDATE, replace_fields=("fifo",), data_loss="3 messages"),
    change(Action.DELETE, resource("logs.group.old", retention_days=7), None),
))


def test_text_shows_every_change_with_its_symbol_and_attributes() -> None:
    text = render_plan(PLAN)
    assert "cabructl will apply these changes to prod in sa-east-1:" in text
    assert "+ sqs.queue.new\n      name: new\n      retention: 60" in text
    assert '~ events.rule.r\n      pattern.detail.severity[1]: + "MEDIUM"\n      state: "ENABLED" → "DISABLED"' in text
    assert "-/+ sqs.queue.q  (fifo cannot change in place; destroys 3 messages)\n      fifo: false → true  # forces replacement" in text
    assert "- logs.group.old\n      name: old" in text
    assert text.endswith("Plan: 1 to create, 1 to update, 1 to replace, 1 to delete.")
    assert "\x1b[" not in text


def test_colour_only_when_asked_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "\x1b[" in render_plan(PLAN, colour=True)

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())  # type: ignore[arg-type]
    monkeypatch.delenv("NO_COLOR")
    assert use_colour(Tty())  # type: ignore[arg-type]


def test_an_empty_plan_says_so() -> None:
    empty = Plan("topology.yaml", "prod", "sa-east-1", ())
    assert render_plan(empty) == "No changes. Live AWS matches the topology."
