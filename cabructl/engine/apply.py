"""Applying a plan: deletes (dependents first, the reversed graph), then writes (dependencies first).

Independent writes of one batch run in parallel. A write that still fails after
the retries stops the apply: running writes finish, nothing new starts, and the
result lists what was done, what failed and why, and what was not attempted.
The next apply converges from wherever this one stopped, because every verb is
idempotent (a missing resource on delete is success; create of what exists is
planned as an update).
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from cabructl.aws import error_summary
from cabructl.engine.graph import delete_batches, write_batches
from cabructl.engine.plan import Action, Change
from cabructl.errors import CabructlError
from cabructl.resources import Handler

Progress = Callable[[str, Change, float], None]  # (event: "start"|"done"|"failed", change, elapsed seconds)


class DataLossRefused(CabructlError):
    reference = "data-loss"


@dataclass
class Outcome:
    change: Change
    step: str  # "delete" or "write"
    seconds: float
    error: str | None = None


@dataclass
class ApplyResult:
    done: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    not_attempted: list[Change] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def refuse_data_loss(changes: Sequence[Change]) -> None:
    """Nothing lost without consent: deleting/replacing what holds data needs --allow-data-loss."""
    losing = [change for change in changes if change.data_loss]
    if losing:
        lines = [f"  {change.address} ({change.action.value}) holds {change.data_loss}" for change in losing]
        raise DataLossRefused(
            "refusing to destroy data:\n" + "\n".join(lines),
            hint="empty or export them first, or pass --allow-data-loss to accept the loss",
        )


class NotReady(CabructlError):
    """A write cannot start (a handler's ``unready``): raised before the first write, so nothing changed."""

    reference = "not-ready"


def refuse_unready(aws: Any, changes: Sequence[Change], handlers: Mapping[str, Handler]) -> None:
    """Nothing written unless every write can start: each handler's pre-flight (``unready``), before the first."""
    problems = [f"  {change.address}: {problem}" for change in changes
                if change.after is not None and change.action in (Action.CREATE, Action.UPDATE, Action.REPLACE)
                for problem in [handlers[change.kind].unready(aws, change.after)] if problem]
    if problems:
        raise NotReady("the apply cannot start; nothing was changed:\n" + "\n".join(problems),
                       hint="provide what is missing and apply again")


def apply_changes(
    aws: Any,
    changes: Sequence[Change],
    handlers: Mapping[str, Handler],
    *,
    workers: int = 8,
    progress: Progress | None = None,
) -> ApplyResult:
    """Run the plan's changes in graph order; stop at the first failed batch. Every write's
    pre-flight runs first: a write that cannot start fails the apply before anything is written."""
    refuse_unready(aws, changes, handlers)
    result = ApplyResult()
    steps: list[tuple[str, list[Change]]] = [("delete", batch) for batch in delete_batches(changes)]
    steps += [("write", batch) for batch in write_batches(changes)]
    for index, (step, batch) in enumerate(steps):
        _run_batch(aws, step, batch, handlers, workers, progress, result)
        if result.failed:
            failed = {outcome.change.address for outcome in result.failed}
            result.not_attempted = [c for _, later in steps[index + 1:] for c in later if c.address not in failed]
            break
    return result


def _run_batch(aws: Any, step: str, batch: list[Change], handlers: Mapping[str, Handler], workers: int,
               progress: Progress | None, result: ApplyResult) -> None:
    def run(change: Change) -> Outcome:
        started = time.monotonic()
        if progress:
            progress("start", change, 0.0)
        try:
            _execute(aws, step, change, handlers[change.kind])
        except Exception as error:  # noqa: BLE001 - reported per resource, the apply stops
            outcome = Outcome(change, step, time.monotonic() - started, error_summary(error))
            if progress:
                progress("failed", change, outcome.seconds)
            return outcome
        outcome = Outcome(change, step, time.monotonic() - started)
        if progress:
            progress("done", change, outcome.seconds)
        return outcome

    if workers <= 1 or len(batch) == 1:
        outcomes = [run(change) for change in batch]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(batch))) as pool:
            futures = [pool.submit(run, change) for change in batch]
            wait(futures, return_when=FIRST_EXCEPTION)
            outcomes = [future.result() for future in futures]
    for outcome in outcomes:
        (result.failed if outcome.error else result.done).append(outcome)


def _execute(aws: Any, step: str, change: Change, handler: Handler) -> None:
    """One resource's write. A replace is a delete in the delete phase, a create in the write phase."""
    if step == "delete":
        assert change.before is not None
        handler.delete(aws, change.before)
    elif change.action in (Action.CREATE, Action.REPLACE):
        assert change.after is not None
        handler.create(aws, change.after)
    elif change.action is Action.UPDATE:
        assert change.after is not None and change.before is not None
        if change.adopt:
            handler.adopt(aws, change.after, change.before)
        else:
            handler.update(aws, change.after, change.before, change.changed_attributes)

