"""replay: send a window of the archive to the bus again (parse, call, print).

The work lives in :mod:`cabructl.operations.replay`; only click loads with this
module, the rest inside the commands.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, Callable

import click

from cabructl.cli import EXIT_ERROR, EXIT_OK, run_command
from cabructl.cli.options import aws_options, aws_settings, topology_options

if TYPE_CHECKING:  # pragma: no cover
    import datetime as _dt

    from cabructl.aws import Aws
    from cabructl.operations.replay import ReplayEstimate, ReplayRequest, ReplayStatus
    from cabructl.topology.model import Topology

F = Callable[..., Any]


class TimeParam(click.ParamType):
    """TIME: ISO 8601 or relative (-2h, now, yesterday…); a bad one is a usage error (exit 64)."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from cabructl.operations.times import TimeFormatError, parse_time

        if not isinstance(value, str):
            return value
        try:
            return parse_time(value, _now(ctx))
        except TimeFormatError as error:
            self.fail(str(error), param, ctx)


def _now(ctx: click.Context | None) -> "_dt.datetime":
    """One clock reading per command, so `--to now` is never later than the check of it."""
    from cabructl.operations.times import utc_now

    if ctx is None:
        return utc_now()
    root = ctx.find_root()
    root.meta.setdefault("cabructl.now", utc_now())
    return root.meta["cabructl.now"]


def _common(func: F) -> F:
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)
    func = aws_options(func)
    return topology_options(func)


def _connect(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None,
             local: bool) -> tuple["Topology", "Aws"]:
    from cabructl.aws import Aws
    from cabructl.topology import load_topology

    topology = load_topology(file, env)
    return topology, Aws(aws_settings(region, profile, endpoint_url, local, topology.region))


def _echo_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, default=str))


def _stdin_is_terminal() -> bool:
    """The consent rule of apply and `dlq redrive`: a person at a terminal answers, or --yes."""
    return sys.stdin.isatty()


def _stderr_is_terminal() -> bool:
    """A progress bar only where a person watches; logs get plain lines."""
    return sys.stderr.isatty()


@click.group()
def replay() -> None:
    """Replay archived events to the bus (to chosen rules), list, watch and cancel replays."""


@replay.command("start")
@_common
@click.option("--from", "start", required=True, type=TimeParam(), help="Start of the window (inclusive).")
@click.option("--to", "end", required=True, type=TimeParam(), help="End of the window (exclusive); not in the future.")
@click.option("--rule", "rules", multiple=True, metavar="RULE", help="A rule (logical name) to replay to; repeatable. Default: every rule.")
@click.option("--name", default=None, metavar="NAME", help="Replay name (default: {prefix}replay-<UTC timestamp>).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed without a terminal).")
@click.option("--wait", "wait_", is_flag=True, help="Watch the replay until it completes; FAILED or CANCELLED exits 1.")
@click.option("--poll-seconds", default=5.0, show_default=True, type=click.FloatRange(min=0.0), help="Seconds between status reads with --wait.")
@click.option("--allow-over-budget", is_flag=True, help="Start even when the month's projection plus the replay exceeds the budget.")
@run_command
def start(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
          as_json: bool, start: "_dt.datetime", end: "_dt.datetime", rules: tuple[str, ...], name: str | None, yes: bool,
          wait_: bool, poll_seconds: float, allow_over_budget: bool) -> int:
    """Replay the archive's events of [--from, --to) to the bus, to the chosen rules only.

    \b
      cabructl replay start --from -2h --to now --rule feature-request-routing
      cabructl replay start --from 2026-03-01T09:00Z --to 2026-03-01T10:00Z --wait

    TIME is ISO 8601 (no offset means UTC) or -30m, -2h, -1d, now, today,
    yesterday. Refused, with nothing started: a window that does not run forward,
    ends in the future or starts before the archive's retention; a missing
    archive; a replay that would take the month over budget (unless
    --allow-over-budget). The estimate is printed before confirming.
    """
    from cabructl.operations import replay as operation

    now = _now(click.get_current_context())
    topology, aws = _connect(file, env, region, profile, endpoint_url, local)
    request = operation.prepare(aws, topology, start, end, rules, name, now)
    estimate = operation.estimate(aws, topology, request)
    click.echo(_estimate_text(request, estimate), err=True)
    if not allow_over_budget:
        operation.refuse_over_budget(estimate)
    if not yes and not _stdin_is_terminal():
        click.echo("replay start needs confirmation: run it in a terminal or pass --yes; nothing was started.", err=True)
        return EXIT_ERROR
    if not yes and not click.confirm(f"Start replay {request.name}?", err=True):
        click.echo("replay cancelled; nothing was started.", err=True)
        return EXIT_ERROR
    current = operation.start(aws, request)
    if wait_:
        current = operation.wait(aws, request.name, _progress_reporter(as_json), interval=poll_seconds)
    if as_json:
        _echo_json({"replay": current.to_json(), "rules": list(request.rules), "estimate": estimate.to_json()})
    else:
        click.echo(_status_text(current))
    return EXIT_ERROR if current.state in ("FAILED", "CANCELLED") else EXIT_OK


def _estimate_text(request: "ReplayRequest", estimate: "ReplayEstimate") -> str:
    from cabructl.operations.times import iso

    budget = "no budget" if estimate.budget_usd is None else (
        f"projected month ${estimate.month_usd or 0:.2f} + replay = "
        f"${(estimate.month_usd or 0) + estimate.cost.total:.2f} of the ${estimate.budget_usd:.2f} budget")
    return (f"replay {request.name}: {iso(request.start)} → {iso(request.end)} from {request.archive_name} "
            f"to {', '.join(request.rules)}\n"
            f"estimate: {estimate.events:,.0f} event(s) ({estimate.basis}), ${estimate.cost.total:,.6f}; {budget}")


def _progress_reporter(as_json: bool) -> Callable[["ReplayStatus"], None]:
    """A click progress bar on a terminal; plain lines (on stderr, so --json stays one document) otherwise."""
    if _stderr_is_terminal() and not as_json:
        bar = click.progressbar(length=1000, label="replaying", file=sys.stderr)
        shown = [0]

        def advance(current: "ReplayStatus") -> None:
            step = int(current.progress * 1000) - shown[0]
            if step > 0:
                bar.update(step)
                shown[0] += step
            if current.done:
                bar.render_finish()
        return advance

    def line(current: "ReplayStatus") -> None:
        click.echo(f"{current.name}: {current.state} {current.progress:.0%}", err=True)
    return line


def _status_text(current: "ReplayStatus") -> str:
    from cabructl.operations.times import iso

    reason = f" ({current.reason})" if current.reason else ""
    return (f"{current.name}: {current.state}{reason}  window {iso(current.start)} → {iso(current.end)}  "
            f"replayed to {iso(current.last_replayed) or '-'} ({current.progress:.0%})")


@replay.command("list")
@_common
@run_command
def list_(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
          as_json: bool) -> int:
    """The replays of the topology's archive."""
    from cabructl.operations.replay import list_replays

    topology, aws = _connect(file, env, region, profile, endpoint_url, local)
    found = list_replays(aws, topology)
    if as_json:
        _echo_json([item.to_json() for item in found])
        return EXIT_OK
    for item in found:
        click.echo(_status_text(item))
    if not found:
        click.echo("no replays")
    return EXIT_OK


@replay.command("status")
@_common
@click.argument("name")
@run_command
def status(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
           as_json: bool, name: str) -> int:
    """One replay's state and progress through its window."""
    from cabructl.operations.replay import status as read_status

    _, aws = _connect(file, env, region, profile, endpoint_url, local)
    current = read_status(aws, name)
    if as_json:
        _echo_json(current.to_json())
    else:
        click.echo(_status_text(current))
    return EXIT_OK


@replay.command("cancel")
@_common
@click.argument("name")
@run_command
def cancel(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
           as_json: bool, name: str) -> int:
    """Cancel a running replay (events already replayed stay delivered)."""
    from cabructl.operations.replay import cancel as cancel_replay

    _, aws = _connect(file, env, region, profile, endpoint_url, local)
    state = cancel_replay(aws, name)
    if as_json:
        _echo_json({"name": name, "state": state})
    else:
        click.echo(f"{name}: {state}")
    return EXIT_OK
