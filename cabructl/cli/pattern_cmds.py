"""test-event and routes: offline answers to "where does this event go?"."""

from __future__ import annotations

import json
from typing import Any

import click

from cabructl.cli import EXIT_CHANGES, EXIT_OK, run_command
from cabructl.cli.options import topology_options


@click.command("test-event")
@click.argument("event_file", required=False, type=click.Path(allow_dash=True))  # read_json_argument reports a missing file
@topology_options
@click.option("--source", default=None, help="Event source (instead of EVENT_FILE).")
@click.option("--detail-type", default=None, help="Event detail-type (instead of EVENT_FILE).")
@click.option("--detail", default="{}", show_default=True, help="Event detail as JSON, or @FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print the routes as JSON.")
@run_command
def test_event(event_file: str | None, file: str, env: str | None, source: str | None, detail_type: str | None,
               detail: str, as_json: bool) -> int:
    """Show which rules an event fires, which targets receive it, and what each receives (offline).

    EVENT_FILE is a full event envelope (or a list of them) or a PutEvents
    entries file, as for `aws events put-events --entries file://…`
    (Source, DetailType, Detail as a JSON string, EventBusName). Or give
    --source, --detail-type and --detail. Each target's line is followed by
    the payload it would receive: the event, or what its input, input_path
    or input_transformer makes of it. Exit 0 when every event matches at
    least one rule, 2 when one matches none.
    """
    # (docs/cli.md is generated from this help.) An event PutEvents would refuse —
    # wrong types, too deep, too large, by publish's limits — is an error, exit 1.
    from cabructl.agents.operations import naming, read_json_argument
    from cabructl.output.routes import render_event_routes
    from cabructl.policy.routes import envelope, events_from_document, route_events
    from cabructl.topology import load_topology

    topology = load_topology(file, env)
    if event_file:
        origin = "stdin" if event_file == "-" else event_file
        document = read_json_argument("-" if event_file == "-" else "@" + event_file)
        with naming(origin):
            events = events_from_document(topology, document, origin)
        labels = _event_labels(origin, document, len(events))
    elif source and detail_type:
        events = [envelope(topology, source, detail_type, read_json_argument(detail, "--detail"))]
        labels = ["--source/--detail-type/--detail"]
    else:
        raise click.UsageError("give EVENT_FILE, or both --source and --detail-type")
    _refuse_what_put_events_refuses(events, labels)
    routes = route_events(topology, events)
    if as_json:
        click.echo(json.dumps([route.to_json() for route in routes], indent=2))
    else:
        click.echo(render_event_routes(routes))
    return EXIT_OK if all(route.rules for route in routes) else EXIT_CHANGES


def _event_labels(origin: str, document: Any, count: int) -> list[str]:
    """How messages name each event: its position in the file's list, or the file itself."""
    if isinstance(document, dict) and isinstance(document.get("Entries"), list):
        return [f"{origin}: Entries[{index}]" for index in range(count)]
    if isinstance(document, list):
        return [f"{origin}[{index}]" for index in range(count)]
    return [origin] * count


def _refuse_what_put_events_refuses(events: list[dict[str, Any]], labels: list[str]) -> None:
    """An event PutEvents would refuse is delivered nowhere; saying where it *would* go misleads."""
    from cabructl.agents.entries import envelope_problems
    from cabructl.agents.errors import EventInputError

    problems = [f"{label}: {problem}" for label, event in zip(labels, events) for problem in envelope_problems(event)]
    if problems:
        raise EventInputError("\n".join(problems), hint="PutEvents refuses such an event, so it reaches no rule")


@click.command()
@topology_options
@click.option("--format", "output_format", type=click.Choice(["text", "json", "mermaid"]), default="text", show_default=True,
              help="mermaid draws agents → bus → rules → targets → DLQs.")
@run_command
def routes(file: str, env: str | None, output_format: str) -> int:
    """For every agent, the rules its events can match and where they go (offline).

    Warns about rules no declared agent can trigger, and about rules so broad
    that they match every event on the bus.
    """
    from cabructl.output.routes import render_mermaid, render_routes_text
    from cabructl.policy.routes import route_table
    from cabructl.topology import load_topology

    topology = load_topology(file, env)
    report = route_table(topology)
    if output_format == "json":
        click.echo(json.dumps(report.to_json(topology), indent=2))
    elif output_format == "mermaid":
        click.echo(render_mermaid(topology, report))
    else:
        click.echo(render_routes_text(topology, report))
    return EXIT_OK
