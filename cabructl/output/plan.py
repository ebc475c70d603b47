"""Plans as text (Terraform's symbols) and JSON (the DESIGN contract)."""

from __future__ import annotations

import json
from typing import Any

from cabructl.engine.plan import Action, Change, Plan
from cabructl.output.style import ACTION_COLOURS, paint

SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.DELETE: "-"}
MAX_VALUE_CHARS = 100


def render_plan(plan: Plan, *, colour: bool = False, verb: str = "apply") -> str:
    """What a person reads before typing ``yes``."""
    lines: list[str] = []
    for conflict in plan.conflicts:
        lines.append(paint(f"! {conflict.address}: {conflict.message}", "red", colour, bold=True))
    for kept in plan.kept:
        lines.append(paint(f"= {kept.address}: {kept.message}", "yellow", colour, bold=True))
    for item in plan.ephemeral:
        lines.append(f"· {item.address}: {item.message}")
    if plan.empty:
        lines.append("No changes. Live AWS matches the topology." if not plan.conflicts else "No changes can be made until the conflicts are resolved.")
        return "\n".join(lines)
    lines.append(f"cabructl will {verb} these changes to {plan.environment} in {plan.region}:")
    lines.append("")
    for change in plan.changes:
        lines.extend(_render_change(change, colour))
    lines.append("")
    lines.append(paint(summary_line(plan), None, colour, bold=True))
    return "\n".join(lines)


def summary_line(plan: Plan) -> str:
    counts = plan.summary()
    return (f"Plan: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['replace']} to replace, {counts['delete']} to delete.")


def _render_change(change: Change, colour: bool) -> list[str]:
    action = change.action
    head = f"{SYMBOLS[action]} {change.address}"
    notes = []
    if change.explanation:
        notes.append(change.explanation)
    if change.data_loss:
        notes.append(f"destroys {change.data_loss}")
    if notes:
        head += f"  ({'; '.join(notes)})"
    lines = [paint(head, ACTION_COLOURS[action.value], colour)]
    if action is Action.CREATE and change.after is not None:
        lines.append(f"      name: {change.after.name}")
        for key, value in change.after.attributes.items():
            if value not in (None, {}, []):
                lines.append(f"      {key}: {short_value(value)}")
    elif action is Action.DELETE and change.before is not None:
        lines.append(f"      name: {change.before.name}")
    else:
        for item in change.diff:
            marker = "  # forces replacement" if item.path.split(".")[0].split("[")[0] in change.replace_fields else ""
            lines.append(f"      {item.path}: {_transition(item.before, item.after)}{marker}")
    return lines


def _transition(before: Any, after: Any) -> str:
    """``old → new``; an added or removed value reads as such rather than as ``null``."""
    if before is None and after is not None:
        return f"+ {short_value(after)}"
    if after is None and before is not None:
        return f"- {short_value(before)} (removed)"
    return f"{short_value(before)} → {short_value(after)}"


def short_value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def plan_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2, sort_keys=False, default=str)
