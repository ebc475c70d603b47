"""publish, loadtest, dlq: the agent SDK from the command line (parse, call, print).

Only click is imported with this module — ``cabructl --help`` stays fast; the
SDK, boto3 and jsonschema load inside the commands. The work itself lives in
``cabructl.agents``.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, Callable

import click

from cabructl.cli import EXIT_ERROR, EXIT_OK, run_command
from cabructl.cli.options import aws_options, aws_settings, topology_options

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.operations.dlq import DeadLetter, DeadLetterQueue, RedriveReport
    from cabructl.agents.loadtest import LoadReport
    from cabructl.agents.results import BatchResult
    from cabructl.aws import Aws
    from cabructl.topology.model import Topology

# Bounds of a load test: it runs against an endpoint that may be real AWS.
MAX_LOAD_AGENTS = 100
MAX_EVENTS_PER_AGENT = 100_000
MAX_LOAD_SECONDS = 3600
CLI_AGENT_ID = "cabructl-cli"
MAX_ERRORS_SHOWN = 3
BODY_SHOWN = 80  # characters of a malformed DLQ message shown by `dlq show`


def aws_from_options(region: str | None, profile: str | None, endpoint_url: str | None, local: bool, topology: "Topology") -> "Aws":
    """The Aws of the shared ``--region/--profile/--endpoint-url/--local`` flags, defaulting to the topology's region."""
    from cabructl.aws import Aws

    return Aws(aws_settings(region, profile, endpoint_url, local, topology.region))


def _connect(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None,
             local: bool) -> tuple["Topology", "Aws"]:
    from cabructl.topology import load_topology

    topology = load_topology(file, env)
    return topology, aws_from_options(region, profile, endpoint_url, local, topology)


def _echo_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, default=str))


# -- publish -------------------------------------------------------------------------------------
@click.command()
@topology_options
@aws_options
@click.option("--agent", metavar="NAME", help="The topology agent publishing; its declared event type is the default.")
@click.option("--detail", metavar="JSON|@FILE|-", help="The event's detail: JSON text, @file or - for stdin.")
@click.option("--detail-type", metavar="TYPE", help="Schema name or detail-type (needed when the agent declares several).")
@click.option("--entries", metavar="FILE", help="Events in the PutEvents entries format (as for `aws events put-events --entries`).")
@click.option("--correlation-id", metavar="ID", help="Correlation id for every event that has none (default: one per event).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@run_command
def publish(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
            agent: str | None, detail: str | None, detail_type: str | None, entries: str | None, correlation_id: str | None,
            as_json: bool) -> int:
    """Publish validated events to the bus.

    \b
      cabructl publish --agent monitor --detail @event.json
      cabructl publish --entries test-event.json

    Every event is checked against its schema in topology.yaml first; if any is
    invalid nothing is sent and the command exits 1. Sampling and the hourly
    budget (SDK guards for agents) do not apply to an operator's publish.
    """
    from cabructl.agents import EventBridgeAgent
    from cabructl.agents.errors import EventInputError
    from cabructl.agents.operations import detail_event, events_from_entries, naming, publish_events, read_json_argument

    if (detail is None) == (entries is None):
        raise EventInputError("give either --detail (with --agent or --detail-type) or --entries")
    topology, aws = _connect(file, env, region, profile, endpoint_url, local)
    # Without --agent the operator publishes for whichever agents the entries belong to.
    client = EventBridgeAgent(CLI_AGENT_ID, agent=agent, topology=topology, aws=aws, guards=False, any_agent=agent is None)
    if entries is not None:
        path = entries.removeprefix("file://")
        document = read_json_argument("@" + path)
        with naming(path):
            events = events_from_entries(document, client.catalog)
    else:
        events = [detail_event(client.catalog, read_json_argument(str(detail)), agent=agent, detail_type=detail_type)]
    result = publish_events(client, events, correlation_id=correlation_id)
    if as_json:
        _echo_json(result.to_json())
    else:
        _echo_results(result)
    return EXIT_OK if result.all_published else EXIT_ERROR


def _echo_results(result: "BatchResult") -> None:
    for item in result:
        if item.success:
            click.echo(f"{item.event_id}  {item.detail_type}  (correlation {item.correlation_id})")
        else:
            click.echo(f"{item.status.value}: {item.detail_type}: {item.error}", err=True)
    click.echo(f"{result.published} of {len(result)} published", err=True)


# -- loadtest ------------------------------------------------------------------------------------
@click.command()
@topology_options
@aws_options
@click.option("--agents", type=click.IntRange(1, MAX_LOAD_AGENTS), default=10, show_default=True, help="Simulated agents (threads).")
@click.option("--events-per-agent", type=click.IntRange(1, MAX_EVENTS_PER_AGENT), default=1000, show_default=True)
@click.option("--duration", type=click.FloatRange(0.1, MAX_LOAD_SECONDS), default=60, show_default=True,
              help="Stop after this many seconds, sent or not.")
@click.option("--rate", type=click.FloatRange(0, min_open=True), default=None, help="Events per second over all agents (default: as fast as possible).")
@click.option("--batch/--no-batch", default=True, show_default=True, help="10 events per PutEvents call, or one call per event like the seed.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the generated events.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@run_command
def loadtest(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
             agents: int, events_per_agent: int, duration: float, rate: float | None, batch: bool, seed: int, as_json: bool) -> int:
    """Simulate agent load and report throughput, latency and cost.

    Each simulated agent publishes realistic events generated from its schemas
    (validated, batched, retried like any agent). The report projects the
    measured rate to a month with the topology's pricing profile and says which
    agents would exceed their declared hourly volume.
    """
    from cabructl.agents.loadtest import LoadSpec, LoadTest

    topology, aws = _connect(file, env, region, profile, endpoint_url, local)
    spec = LoadSpec(agents, events_per_agent, duration, rate, batch, seed)
    target = aws.settings.endpoint_url or f"AWS {aws.region}"
    if not as_json:
        click.echo(f"loadtest: {agents} agents × {events_per_agent:,} events, {'batched' if batch else 'one call per event'}, "
                   f"at most {duration:g} s, against {target}", err=True)
    with _Progress(spec.agents * spec.events_per_agent, show=not as_json) as advance:
        report = LoadTest(topology, aws, spec, on_progress=advance).run()
    if as_json:
        _echo_json(report.to_json())
    else:
        click.echo(_load_summary(report))
    return EXIT_OK if report.failed == 0 else EXIT_ERROR


class _Progress:
    """click's progress bar on a terminal; nothing (not even carriage returns) in pipes and logs."""

    def __init__(self, total: int, show: bool) -> None:
        self.bar = click.progressbar(length=total, label="publishing", file=sys.stderr) if show and sys.stderr.isatty() else None

    def __enter__(self) -> Callable[[int], None]:
        if self.bar is None:
            return lambda done: None
        self.bar.__enter__()
        return self.bar.update

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _load_summary(report: "LoadReport") -> str:
    latency = report.latency_ms
    cost = report.cost
    matched = f" + matched ${cost.matched_usd:,.2f}" if cost.matched_usd is not None else " (rule matches not priced)"
    budget = "" if cost.budget_usd is None else f"; budget ${cost.budget_usd:,.2f}: {'OVER' if cost.over_budget else 'within'}"
    lines = [
        f"published    {report.published:,} of {report.planned:,} ({report.failed:,} failed, {report.not_sent:,} not sent in time)",
        f"throughput   {report.events_per_second:,.1f} events/s over {report.elapsed:.1f} s",
        f"PutEvents    {report.put_events_calls:,} calls ({report.calls_per_event:.2f} per event)",
        f"latency      p50 {latency['p50']:.1f} ms  p95 {latency['p95']:.1f} ms  p99 {latency['p99']:.1f} ms (per publish call)",
        f"cost         ${cost.total_usd:,.2f}/month at this rate: published ${cost.published_usd:,.2f}{matched}{budget}",
        f"             {cost.monthly_events:,.0f} events and {report.matches_per_event:.2f} rule matches per event; prices: {cost.pricing}",
    ]
    lines += [f"errors       {count:,} × {error}" for error, count in list(report.errors.items())[:MAX_ERRORS_SHOWN]]
    for agent in report.agents:
        verdict = "BREACHES its declared volume" if agent.breaches else "within its declared volume"
        lines.append(f"limit        {agent.agent}: {agent.per_hour:,.0f}/h vs {agent.declared_per_hour:,}/h "
                     f"({agent.declared_per_day:,}/day) declared — {verdict}")
    return "\n".join(lines)


# -- dlq -------------------------------------------------------------------------------------------
def _queue_options(func: Any) -> Any:
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)
    func = click.option("--max", "max_messages", type=click.IntRange(1, 10_000), default=100, show_default=True,
                        help="Read at most this many messages per queue.")(func)
    func = click.option("--wait", "wait_seconds", type=click.IntRange(0, 20), default=20, show_default=True,
                        help="Long-poll wait of the first receive, seconds.")(func)
    func = click.option("--all", "all_queues", is_flag=True, help="Every dead-letter queue of the topology.")(func)
    func = click.argument("queue", required=False, metavar="[QUEUE]")(func)
    func = aws_options(func)
    return topology_options(func)


def _queues(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
            queue: str | None, all_queues: bool, *, required: bool) -> tuple["Topology", "Aws", list["DeadLetterQueue"]]:
    topology, aws = _queue_setup(file, env, region, profile, endpoint_url, local, queue, all_queues, required=required)
    return topology, aws, _resolve(topology, aws, queue, all_queues, required=required)


def _queue_setup(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
                 queue: str | None, all_queues: bool, *, required: bool) -> tuple["Topology", "Aws"]:
    """The arguments checked and the topology loaded: everything before the first AWS call."""
    from cabructl.operations.dlq import DeadLetterError

    if required and queue is None and not all_queues:
        raise DeadLetterError("name a QUEUE (logical name from topology.yaml, or its URL) or give --all")
    if queue is not None and all_queues:
        raise DeadLetterError("give a QUEUE or --all, not both")
    return _connect(file, env, region, profile, endpoint_url, local)


def _resolve(topology: "Topology", aws: "Aws", queue: str | None, all_queues: bool, *, required: bool) -> list["DeadLetterQueue"]:
    from cabructl.operations.dlq import resolve_queues

    queues = resolve_queues(topology, aws, queue, all_queues)
    if required and all_queues:  # with --all, a queue not created yet holds nothing: say so and go on
        for missing in (item for item in queues if item.url is None):
            click.echo(f"{missing.logical}: missing (run `cabructl apply`), skipped", err=True)
        queues = [item for item in queues if item.url is not None]
    return queues


@click.group()
def dlq() -> None:
    """Review and redrive dead-letter queues (QUEUE: logical name in topology.yaml, or a URL)."""


@dlq.command("list")
@_queue_options
@run_command
def list_(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
          queue: str | None, all_queues: bool, wait_seconds: int, max_messages: int, as_json: bool) -> int:
    """How many failed events each dead-letter queue holds (all of them by default)."""
    from cabructl.operations.dlq import queue_depth

    _, aws, queues = _queues(file, env, region, profile, endpoint_url, local, queue, all_queues, required=False)
    rows = [(item, queue_depth(aws, item)) for item in queues]
    if as_json:
        _echo_json([{"queue": item.logical or item.name, "name": item.name, "url": item.url, "used_by": list(item.used_by),
                     "messages": depth[0] if depth else None, "in_flight": depth[1] if depth else None} for item, depth in rows])
        return EXIT_OK
    for item, depth in rows:
        counts = "missing (run `cabructl apply`)" if depth is None else f"{depth[0]:,} messages ({depth[1]:,} in flight)"
        users = f"  ← {', '.join(item.used_by)}" if item.used_by else ""
        click.echo(f"{item.logical or item.name}: {counts}{users}")
    return EXIT_OK


@dlq.command()
@_queue_options
@run_command
def show(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
         queue: str | None, all_queues: bool, wait_seconds: int, max_messages: int, as_json: bool) -> int:
    """Each failed event and why it is here; messages stay in the queue.

    A letter's kind says who gave up: `delivery` (EventBridge could not deliver it: the
    error, rule and target it attached), `consumer` (a consumer dead-lettered it itself:
    its reason, its queue, how often it had received it) or `redrive` (SQS moved it after
    its queue's max_receives). `dlq redrive` sends the first kind to its target and the
    other two back to their source queue.
    """
    from cabructl.operations.dlq import peek

    _, aws, queues = _queues(file, env, region, profile, endpoint_url, local, queue, all_queues, required=True)
    found = {item.name: peek(aws, item, wait_seconds=wait_seconds, max_messages=max_messages) for item in queues}
    if as_json:
        _echo_json({name: [letter.to_json() for letter in letters] for name, letters in found.items()})
        return EXIT_OK
    for item in queues:
        letters = found[item.name]
        click.echo(f"{item.logical or item.name}: {len(letters)} failed event(s)")
        for letter in letters:
            click.echo(_letter_text(letter, item))
    return EXIT_OK


def _letter_text(letter: "DeadLetter", queue: "DeadLetterQueue") -> str:
    """One letter: the event, what kind of failure put it here, and that kind's reason and counts."""
    from cabructl.constants import CONSUMER_AGENT_ATTRIBUTE
    from cabructl.operations.dlq import CONSUMER, DELIVERY, KIND_MEANINGS

    event = letter.event
    attributes = letter.attributes
    if event is not None:
        what = f"{event['detail-type']} from {event['source']} ({event.get('id', '?')})"
    else:
        what = f"malformed message {letter.message_id}: {letter.malformed}\n    body    {letter.body[:BODY_SHOWN]!r}"
    lines = [f"- {what}", f"    kind    {letter.kind}: {KIND_MEANINGS[letter.kind]}"]
    if letter.kind == DELIVERY:
        lines += [f"    error   {attributes.get('ERROR_CODE', '?')}: {attributes.get('ERROR_MESSAGE', '')}",
                  f"    rule    {attributes.get('RULE_ARN', '?')}",
                  f"    target  {attributes.get('TARGET_ARN', '?')}",
                  f"    retries {attributes.get('RETRY_ATTEMPTS', '?')} ({attributes.get('EXHAUSTED_RETRY_CONDITION', 'no condition given')}); "
                  f"received {letter.receive_count} time(s) from the DLQ"]
        return "\n".join(lines)
    lines.append(f"    reason  {letter.reason}")
    if letter.kind == CONSUMER:
        lines.append(f"    consumer {attributes.get(CONSUMER_AGENT_ATTRIBUTE, 'not said')}")
    lines.append(f"    from    {letter.source_queue or _unnamed_source(queue)}")
    at_source = f"; {letter.receives_at_source} at its queue when the consumer gave up" if letter.receives_at_source is not None else ""
    lines.append(f"    receives {letter.receive_count} in all{at_source}")
    return "\n".join(lines)


def _unnamed_source(queue: "DeadLetterQueue") -> str:
    """The source queue when the letter names none: the one queue that redrives here, if only one does."""
    if len(queue.redriven_from) == 1:
        return f"{queue.redriven_from[0]} (the one queue that redrives here; SQS did not say)"
    return "not said" + (f" (queues that redrive here: {', '.join(queue.redriven_from)})" if queue.redriven_from else "")


def _stdin_is_terminal() -> bool:
    """The confirmation rule of apply, import and destroy: a person at a terminal answers, or --yes.

    A piped ``y`` is not consent: scripts say --yes, so a stray pipe never moves messages.
    """
    return sys.stdin.isatty()


@dlq.command()
@_queue_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")  # needed without a terminal: see _stdin_is_terminal
@click.option("--via-bus", is_flag=True,
              help="Publish the events to the bus again instead (every matching rule fires): for events whose target is gone.")
@run_command
def redrive(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
            queue: str | None, all_queues: bool, wait_seconds: int, max_messages: int, as_json: bool, yes: bool,
            via_bus: bool) -> int:
    """Deliver failed events again, each to the target that failed; a message is deleted only after its delivery succeeded.

    Each dead letter names its rule and target (RULE_ARN, TARGET_ARN); the event
    goes to that target only, rendered with that target's input settings, so the
    other targets of the same event receive nothing twice. A letter whose rule
    or target no longer exists stays in the queue; --via-bus publishes the
    events to the bus instead, where every matching rule fires again.
    """
    from cabructl.agents import EventBridgeAgent
    from cabructl.operations.dlq import RedriveReport
    from cabructl.operations.dlq import redrive as redrive_queue

    topology, aws = _queue_setup(file, env, region, profile, endpoint_url, local, queue, all_queues, required=True)
    if not yes and not _stdin_is_terminal():  # before any AWS call: without consent nothing is read, nothing moves
        click.echo("dlq redrive needs confirmation: run it in a terminal or pass --yes; nothing was moved.", err=True)
        return EXIT_ERROR
    queues = _resolve(topology, aws, queue, all_queues, required=True)
    names = ", ".join(item.logical or item.name for item in queues)
    where = f"to {topology.bus.name}" if via_bus else "to the targets that failed"
    if not yes and not click.confirm(f"Redrive the events in {names} {where}?", err=True):
        click.echo("redrive cancelled; nothing was moved.", err=True)
        return EXIT_ERROR
    client = EventBridgeAgent(CLI_AGENT_ID, topology=topology, aws=aws, guards=False, any_agent=True)  # every agent's letters
    reports: list[RedriveReport] = []
    finished = False
    try:
        for item in queues:
            reports.append(RedriveReport(item))
            redrive_queue(client, item, wait_seconds=wait_seconds, max_messages=max_messages, report=reports[-1], via_bus=via_bus)
        finished = True
    finally:  # what already moved is reported, also when an AWS error stops the redrive half-way
        _echo_redrive(reports, as_json, finished)
    return EXIT_OK if all(not report.failed for report in reports) else EXIT_ERROR


def _echo_redrive(reports: list["RedriveReport"], as_json: bool, finished: bool) -> None:
    if as_json:
        _echo_json([report.to_json() for report in reports])
        return
    for report in reports:
        click.echo(f"{report.queue.logical or report.queue.name}: {len(report.redriven)} redriven, {len(report.failed)} left in the queue")
        for letter, reason in report.failed:
            click.echo(f"  kept {letter.message_id}: {reason}", err=True)
    if not finished:
        click.echo("redrive stopped early (see the error below); messages not yet redriven are still in their queue", err=True)
