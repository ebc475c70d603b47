"""Progress lines while applying and the closing report of what was done."""

from __future__ import annotations

import threading
from typing import Callable

from cabructl.engine.apply import ApplyResult
from cabructl.engine.plan import Action, Change

_DOING = {Action.CREATE: ("creating", "created"), Action.UPDATE: ("updating", "updated"),
          Action.REPLACE: ("replacing", "replaced"), Action.DELETE: ("deleting", "deleted")}


def render_progress(echo: Callable[[str], None]) -> Callable[[str, Change, float], None]:
    """A thread-safe progress callback: one line when a write starts, one when it ends."""
    lock = threading.Lock()

    def progress(event: str, change: Change, seconds: float) -> None:
        doing, done = _DOING[change.action]
        if event == "start":
            line = f"{change.address}: {doing}…"
        elif event == "done":
            line = f"{change.address}: {done} after {seconds:.1f}s"
        else:
            line = f"{change.address}: FAILED after {seconds:.1f}s"
        with lock:
            echo(line)

    return progress


def render_result(result: ApplyResult, *, verb: str = "apply") -> str:
    """What was done, what failed and why, what was not attempted."""
    lines = [""]
    if result.ok:
        lines.append(f"{verb.capitalize()} complete: {len(result.done)} change{'s' if len(result.done) != 1 else ''} made.")
        return "\n".join(lines)
    lines.append(f"{verb.capitalize()} stopped: {len(result.done)} done, {len(result.failed)} failed, "
                 f"{len(result.not_attempted)} not attempted.")
    for outcome in result.failed:
        lines.append(f"  failed        {outcome.change.address}: {outcome.error}")
    for outcome in result.done:
        lines.append(f"  done          {outcome.change.address} ({outcome.change.action.value})")
    for change in result.not_attempted:
        lines.append(f"  not attempted {change.address} ({change.action.value})")
    lines.append("Run apply again once the cause is fixed; it continues from here.")
    return "\n".join(lines)
