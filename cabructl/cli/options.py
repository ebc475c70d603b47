"""Options shared by many commands, declared once so every command spells them alike."""

from __future__ import annotations

from typing import Any, Callable

import click

F = Callable[..., Any]


def topology_options(func: F) -> F:
    """``-f/--file`` and ``--env``: which topology, and which of its environments."""
    func = click.option(
        "--env",
        "env",
        default=None,
        metavar="ENV",
        help="Environment from the file's `environments:` section (default: its `environment:`).",
    )(func)
    func = click.option(
        "-f",
        "--file",
        "file",
        default="topology.yaml",
        show_default=True,
        type=click.Path(dir_okay=False),
        envvar="CABRUCTL_FILE",
        help="The topology file.",
    )(func)
    return func


def aws_options(func: F) -> F:
    """Overrides of boto3's own configuration chain; unset flags leave the chain alone."""
    func = click.option(
        "--local",
        "local",
        is_flag=True,
        help="Talk to a running `cabructl local serve` endpoint (found via its state file).",
    )(func)
    func = click.option("--endpoint-url", default=None, metavar="URL", help="Override AWS_ENDPOINT_URL for every service.")(func)
    func = click.option("--profile", default=None, metavar="NAME", help="Override AWS_PROFILE.")(func)
    func = click.option("--region", default=None, metavar="REGION", help="Override AWS_REGION and the topology's region.")(func)
    return func
