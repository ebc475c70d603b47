"""export and docs: the topology for the people and tools around the backbone (offline)."""

from __future__ import annotations

import click

from cabructl.cli import EXIT_OK, run_command
from cabructl.cli.options import topology_options


@click.group("export")
def export() -> None:
    """Export the topology for other tools (offline: the file and policies/ only).

    \b
      cabructl export asyncapi -o asyncapi.yaml        AsyncAPI 3.0 (AsyncAPI tools, EventCatalog)
      cabructl export cloudformation -o template.yaml  a CloudFormation template
    """


@export.command("asyncapi")
@topology_options
@click.option("-o", "--output", default=None, metavar="FILE", type=click.Path(dir_okay=False),
              help="Write the document to FILE (all or nothing) instead of standard output.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default=None,
              help="Output format (default: json for a FILE ending in .json, else yaml).")
@click.option("--pricing", default=None, metavar="PROFILE", help="Pricing profile of the projected volumes (default: the budget's).")
@run_command
def asyncapi(file: str, env: str | None, output: str | None, fmt: str | None, pricing: str | None) -> int:
    """Write an AsyncAPI 3.0.0 document of the topology.

    The bus is the server; each event type is a channel with one message
    (payload: the full event, detail being the registry's schema converted
    to an AsyncAPI schema; a generated example). Each agent that publishes
    a type has a `send` operation (its declared volume in x-cabructl-volume),
    each target a rule routes it to a `receive` operation (the rule and its
    pattern in x-cabructl-rule). Validate it with `asyncapi validate`.
    """
    from cabructl.exports.asyncapi import asyncapi_document, render
    from cabructl.exports.facts import load_catalogue

    chosen = fmt or ("json" if output and output.lower().endswith(".json") else "yaml")
    text = render(asyncapi_document(load_catalogue(file, env, pricing)), chosen)
    return _emit(text, output, f"AsyncAPI 3.0.0, {chosen}")


@export.command("cloudformation")
@topology_options
@click.option("-o", "--output", default=None, metavar="FILE", type=click.Path(dir_okay=False),
              help="Write the template to FILE (all or nothing) instead of standard output.")
@run_command
def cloudformation(file: str, env: str | None, output: str | None) -> int:
    """Write a CloudFormation template of the backbone.

    One YAML template with every resource cabructl would create: the
    desired state `cabructl plan` compares with AWS, computed offline: bus, archive, registry and schemas, rules and their
    targets, queues, topics and their policies, log groups and the Logs
    resource policy, dashboard, alarm, IAM policies and the targets role,
    Lambda permissions, connections (secrets as NoEcho parameters), API
    destinations, the bus policy, KMS keys, the idempotency table; the
    topology's outputs become stack outputs. Deploy it with
    `aws cloudformation deploy` (see docs/catalogue.md for what a stack
    does not do that `cabructl apply` does).
    """
    from cabructl.exports.cloudformation import cloudformation_template, render_template
    from cabructl.topology import load_topology

    template = cloudformation_template(load_topology(file, env))
    return _emit(render_template(template), output, f"CloudFormation, {len(template['Resources'])} resources")


def _emit(text: str, output: str | None, what: str) -> int:
    """An export to standard output, or to ``output`` all or nothing (saying so on stderr)."""
    if output is None:
        click.echo(text, nl=False)
        return EXIT_OK
    from cabructl.exports.catalogue.files import write_file_atomically

    write_file_atomically(output, text)
    click.echo(f"wrote {output} ({what})", err=True)
    return EXIT_OK


@click.command("docs")
@topology_options
@click.option("-o", "--output", "directory", default="catalogue", show_default=True, metavar="DIR",
              type=click.Path(file_okay=False), help="The folder to write the site to (replaced whole).")
@click.option("--pricing", default=None, metavar="PROFILE", help="Pricing profile of the cost pages (default: the budget's).")
@run_command
def docs(file: str, env: str | None, directory: str, pricing: str | None) -> int:
    """Write a static, browsable catalogue of the topology's events to DIR.

    One page per event type (schema table, example, publishers, rules and
    targets, cost share, schema version), agent, rule, target and dead-letter
    queue; the routing diagram; a cost page; a page per environment. Plain
    HTML and CSS: no server, no script, nothing fetched when it is viewed.
    The pages describe --env (default: the file's environment); every
    environment of the file gets its own summary page. DIR is built beside
    itself and swapped in whole; a folder cabructl did not write is refused.
    """
    from cabructl.exports.catalogue import write_catalogue
    from cabructl.exports.facts import load_catalogue, load_environments

    catalogue = load_catalogue(file, env, pricing)
    pages = write_catalogue(catalogue, load_environments(file, catalogue, pricing), directory)
    click.echo(f"wrote {pages} pages to {directory}/ (open {directory}/index.html)")
    return EXIT_OK
