"""tail: what a rule matches, live (parse, call, print).

The work lives in :mod:`cabructl.operations.tail`; only click loads with this module.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from cabructl.cli import EXIT_OK, run_command
from cabructl.cli.options import aws_options, aws_settings, topology_options

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.operations.tail import Tail, TailEvent

DETAIL_SHOWN = 160  # characters of the compact detail a text line shows


@click.command()
@topology_options
@aws_options
@click.argument("rule", metavar="RULE")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per event: the event as delivered.")
@click.option("--duration", type=click.FloatRange(1, min_open=False), default=None, metavar="SECONDS",
              help="Stop after this many seconds (default: until Ctrl-C or SIGTERM).")
@click.option("--lease-seconds", type=click.FloatRange(1), default=None, envvar="CABRUCTL_TAIL_LEASE_SECONDS", hidden=True,
              help="How long the tail's resources are left alone without a renewal (tests).")
@run_command
def tail(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
         rule: str, as_json: bool, duration: float | None, lease_seconds: float | None) -> int:
    """Print, as they arrive, the events RULE (a logical name in topology.yaml) matches on the live bus.

    \b
      cabructl tail failed-tests
      cabructl tail critical-issues --json --duration 60

    For "my events are not being received": if the tail prints an event, the rule
    matches it and the problem is past the rule (its targets, their permissions,
    their dead-letter queue); if it prints nothing, the event or the pattern is
    wrong (`cabructl test-event` says why). The tail adds a temporary queue, whose
    policy lets only this rule send, and a temporary target to the rule, and
    removes both, target first, when it stops: Ctrl-C, SIGTERM or --duration.
    A rule that already has 5 targets (AWS's limit) is refused and nothing is
    created. A tail killed with SIGKILL leaves both behind: after its 3-minute
    lease, `cabructl plan` shows them as deletions; while a tail runs, `plan`
    leaves them alone and `drift` lists them as ephemeral, not as drift.
    """
    from cabructl.aws import Aws
    from cabructl.operations.tail import Tail, run
    from cabructl.topology import load_topology

    topology = load_topology(file, env)
    aws = Aws(aws_settings(region, profile, endpoint_url, local, topology.region))
    session = Tail(topology, aws, rule, lease_seconds=lease_seconds)
    outcome = run(session, lambda event: click.echo(_json_line(event) if as_json else _text_line(event)),
                  duration=duration, on_started=_started)
    removed = ", ".join(outcome.removed) or "nothing"
    click.echo(f"tail: stopped ({outcome.stopped_by}); {outcome.events} event(s) printed; removed {removed}", err=True)
    return EXIT_OK


def _started(session: "Tail") -> None:
    click.echo(f"tail: listening to rule {session.rule.name} through queue {session.queue_name} and target "
               f"{session.target_id}; Ctrl-C stops and removes both", err=True)


def _json_line(event: "TailEvent") -> str:
    if event.event is None:
        return json.dumps({"body": event.body}, separators=(",", ":"))
    return json.dumps(event.event, separators=(",", ":"), ensure_ascii=False)


def _text_line(event: "TailEvent") -> str:
    """time, detail-type, source, id and the detail on one line, shortened."""
    found: dict[str, Any] | None = event.event
    if found is None:
        return f"(not JSON) {event.body[:DETAIL_SHOWN]!r}"
    detail = json.dumps(found.get("detail"), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if len(detail) > DETAIL_SHOWN:
        detail = detail[:DETAIL_SHOWN - 1] + "…"
    return f"{found.get('time', '?')}  {found.get('detail-type', '?')}  {found.get('source', '?')}  {found.get('id', '?')}  {detail}"
