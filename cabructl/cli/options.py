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


def aws_settings(region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
                 topology_region: str | None = None) -> Any:
    """AwsSettings from the flags: a flag beats the topology, which beats boto3's chain.

    The topology's region says where its resources live, like a Terraform provider
    block; ``--region`` overrides it. ``--local`` finds a running
    ``cabructl local serve`` and gives this command's AWS boundary the endpoint's fake
    credentials (never the process environment), so nothing need be exported.
    """
    from cabructl.aws import AwsSettings
    from cabructl.errors import CabructlError

    if local and not endpoint_url:
        from cabructl.local import running_endpoint

        endpoint_url = running_endpoint()
        if endpoint_url is None:
            raise CabructlError("--local: no local endpoint is running", hint="start one with `cabructl local serve` (or run `cabructl demo`)")
    _note_ignored_region(region, topology_region)
    if local:
        from cabructl.local.server import FAKE_CREDENTIAL

        return AwsSettings(region=region or topology_region, endpoint_url=endpoint_url,
                           credentials=(FAKE_CREDENTIAL, FAKE_CREDENTIAL))
    return AwsSettings(region=region or topology_region, profile=profile, endpoint_url=endpoint_url)


def _note_ignored_region(flag: str | None, topology_region: str | None) -> None:
    """Say so when an exported region loses to the topology's, instead of surprising anyone."""
    import os

    exported = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not flag and topology_region and exported and exported != topology_region:
        click.echo(f"note: the topology's region {topology_region} applies; the exported {exported} does not "
                   f"(--region overrides the topology)", err=True)
