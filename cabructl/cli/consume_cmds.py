"""consume: a queue's events through a handler of the team's own, from the command line (parse, call, print).

The work is the SDK's ``EventBridgeAgent.run``; this module imports the handler, prints
one line per message and the summary. Only click is imported with the module.
"""

from __future__ import annotations

import importlib
import json
import threading
from typing import TYPE_CHECKING, Any, Callable

import click

from cabructl.cli import EXIT_OK, run_command
from cabructl.cli.options import aws_options, aws_settings, topology_options

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.agents import Consumed, ConsumerStats

CLI_CONSUMER_ID = "cabructl-consume"
MAX_WORKERS = 64


def load_handler(spec: str) -> Callable[..., Any]:
    """``module:callable`` → the callable, found from the current directory as ``local serve --function`` does;
    a spec that names nothing callable is a usage error (exit 64)."""
    import os
    import sys

    module_name, _, attribute = spec.strip().partition(":")
    if not module_name or not attribute:
        raise click.BadParameter(f'"{spec}": expected module:callable, e.g. handlers.deploy:handle', param_hint="--handler")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # the console script, unlike `python -m`, leaves the current directory out
    try:
        handler: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            handler = getattr(handler, part)
    except (ImportError, AttributeError) as error:
        raise click.BadParameter(f'cannot import "{spec}": {error} (the module must be importable from the current '
                                 f"directory or PYTHONPATH)", param_hint="--handler") from None
    if not callable(handler):
        raise click.BadParameter(f'"{spec}" is not callable', param_hint="--handler")
    return handler


@click.command()
@click.argument("queue")
@topology_options
@aws_options
@click.option("--handler", "handler_spec", required=True, metavar="module:callable",
              help="Called as handler(event, context) for every valid, new event (imported from the current directory).")
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS), default=1, show_default=True,
              help="Handler threads; on a FIFO queue one message group runs on one at a time, in order.")
@click.option("--max-messages", type=click.IntRange(min=1), default=None, metavar="N", help="Stop after receiving N messages.")
@click.option("--idle-exit", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Stop after this many seconds without a message (also shortens the long poll to fit).")
@click.option("--agent-id", default=CLI_CONSUMER_ID, show_default=True, metavar="ID",
              help="Who consumes: recorded on what is dead-lettered, and the agent metrics are reported for.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per message (with its outcome), then the summary counts as the last line.")
@run_command
def consume(queue: str, file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None,
            local: bool, handler_spec: str, workers: int, max_messages: int | None, idle_exit: float | None,
            agent_id: str, as_json: bool) -> int:
    """Consume a queue's events with a handler, exactly once per event id.

    \b
      cabructl consume cicd-changes --handler deploy:handle --workers 4
      cabructl consume cicd-changes --handler deploy:handle --idle-exit 5 --local

    QUEUE is a logical name from topology.yaml or a queue URL. Every event is
    validated against its schema first; one that fails (or cannot be parsed) goes
    at once to the queue's dead-letter queue with the reason. A message is deleted
    only after the handler returned; one whose handler raised comes back after the
    visibility timeout, and after the queue's max_receives SQS moves it to the
    dead-letter queue. Ctrl-C or SIGTERM stops receiving and lets running handlers
    finish (30 s at most). Prints one line per message and a summary.
    """
    handler = load_handler(handler_spec)
    from cabructl.agents import EventBridgeAgent
    from cabructl.topology import load_topology

    topology = load_topology(file, env)
    from cabructl.aws import Aws

    aws = Aws(aws_settings(region, profile, endpoint_url, local, topology.region))
    agent = EventBridgeAgent(agent_id, topology=topology, aws=aws, guards=False)
    printer = _Printer(as_json)
    stats = agent.run(queue, workers, handler=handler, max_messages=max_messages, idle_exit=idle_exit, observer=printer.line)
    printer.summary(stats)
    return EXIT_OK


class _Printer:
    """One line per message, from any worker thread without interleaving."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self._lock = threading.Lock()

    def line(self, consumed: "Consumed") -> None:
        context = consumed.context
        record = {"outcome": consumed.outcome, "detail_type": consumed.detail_type, "message_id": consumed.message_id,
                  "event_id": context.event_id if context else None,
                  "correlation_id": context.correlation_id if context else None,
                  "receive_count": context.receive_count if context else None, "error": consumed.error}
        if self.as_json:
            text = json.dumps(record)
        else:
            text = f"{consumed.outcome:<13} {consumed.detail_type}  {record['event_id'] or consumed.message_id}"
            if record["correlation_id"]:
                text += f"  (correlation {record['correlation_id']})"
            if consumed.error:
                text += f": {consumed.error}"
        with self._lock:
            click.echo(text)

    def summary(self, stats: "ConsumerStats") -> None:
        counts = {"handled": stats.handled, "duplicates": stats.duplicates, "failed": stats.failed,
                  "dead_lettered": stats.dead_lettered, "left": stats.busy + stats.undeliverable, "received": stats.received,
                  "sqs_calls": stats.sqs_calls}
        if self.as_json:
            click.echo(json.dumps(counts))  # the last line; message lines are the ones with an "outcome"
            return
        click.echo(f"{stats.handled} handled, {stats.duplicates} duplicates skipped, {stats.failed} failed, "
                   f"{stats.dead_lettered} dead-lettered ({stats.received} received, {stats.sqs_calls} SQS calls)", err=True)
