"""Offline commands about the file itself: validate, schema, summary."""

from __future__ import annotations

import json

import click

from cabructl.cli import EXIT_ERROR, EXIT_OK, run_command
from cabructl.cli.options import topology_options


@click.command()
@topology_options
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one `FILE:LINE:COL: path: message` per problem; json: a list of diagnostics.")
@run_command
def validate(file: str, env: str | None, output_format: str) -> int:
    """Check topology.yaml: JSON Schema, references, AWS names and limits, patterns, schemas.

    Every problem is reported at once, sorted by position, as
    FILE:LINE:COL: path.to.key: message. Exit 0 when valid, 1 when not.
    """
    from cabructl.topology import check_topology

    topology, diagnostics = check_topology(file, env)
    errors = [d for d in diagnostics if d.severity == "error"]
    if output_format == "json":
        click.echo(json.dumps({"valid": not errors, "file": file, "environment": topology.environment if topology else env,
                               "diagnostics": [d.to_json() for d in diagnostics]}, indent=2))
    else:
        for diagnostic in diagnostics:
            click.echo(diagnostic.render(), err=True)
        if not errors and topology is not None:
            click.echo(f"{file}: valid ({topology.project}/{topology.environment}, {len(topology.rules)} rules, "
                       f"{len(topology.schemas)} schemas, {len(topology.agents)} agents)")
        else:
            click.echo(f"{file}: {len(errors)} error{'s' if len(errors) != 1 else ''}", err=True)
    return EXIT_ERROR if errors else EXIT_OK


@click.command()
@run_command
def schema() -> int:
    """Print the JSON Schema of topology.yaml.

    Editors use it for completion and inline errors: save it and point the
    first line of topology.yaml at it, e.g.
    `# yaml-language-server: $schema=topology.schema.json`.
    """
    from cabructl.topology import topology_schema

    click.echo(json.dumps(topology_schema(), indent=2))
    return EXIT_OK


@click.command()
@topology_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@run_command
def summary(file: str, env: str | None, as_json: bool) -> int:
    """Summarise the topology: names, rules and their targets, agents, budget."""
    from cabructl.output.summary import render_summary, summary_data
    from cabructl.topology import load_topology

    topology = load_topology(file, env)
    data = summary_data(topology)
    click.echo(json.dumps(data, indent=2) if as_json else render_summary(data))
    return EXIT_OK
