"""drift and import: report out-of-band changes (for cron and CI), or accept them into the file."""

from __future__ import annotations

import sys
from typing import Any

import click

from cabructl.cli import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, run_command
from cabructl.cli.options import aws_options, topology_options

DEFAULT_TIMEOUT = 300.0


def _workers_option(func: Any) -> Any:
    return click.option("--workers", type=click.IntRange(1, 32), default=None, help="Parallel AWS calls (default 8).")(func)


@click.command()
@topology_options
@aws_options
@click.option("--format", "output_format", type=click.Choice(("text", "json", "markdown")), default="text", show_default=True,
              help="Format of the details (json: format_version 1; markdown: for an issue or PR comment).")
@click.option("--output", "output", type=click.Path(dir_okay=False, writable=True), default=None, metavar="FILE",
              help="Write the details to FILE; stdout then carries only the summary line.")
@click.option("--notify", is_flag=True,
              help="On drift, publish one Issue Detection Event to the bus: HIGH for missing resources or "
                   "unmanaged rules/targets, else MEDIUM.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT, show_default=True,
              metavar="SECONDS", help="Give up with exit 1 after this long; AWS calls in flight are abandoned.")
@_workers_option
@run_command
def drift(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
          output_format: str, output: str | None, notify: bool, timeout: float, workers: int | None) -> int:
    """Report where live AWS no longer matches topology.yaml (read-only; for cron and CI).

    Changed: declared and live differ, attribute by attribute. Missing: declared,
    not in AWS. Unmanaged: in AWS, not declared (owned ones the next apply
    deletes, unowned ones in the topology's namespace cabructl never touches).

    \b
    stdout starts with one summary line for log scanners:
      cabructl drift: DRIFT 3 changed, 1 missing, 1 unmanaged (cabruca-segmentation/prod sa-east-1)
      cabructl drift: OK no drift (cabruca-segmentation/prod sa-east-1)
      cabructl drift: ERROR <reference> (…); details on stderr
    then the details, unless --output is given (with --format json and no
    --output, stdout is the JSON document alone and the line goes to stderr). Exit codes: 0 no drift, 2 drift,
    1 error or timeout. Never prompts; never writes to AWS except the --notify event.
    """
    from cabructl.cli.engine_cmds import engine_from_options
    from cabructl.agents.drift_issue import drift_issue_publisher
    from cabructl.engine.drift import check_drift
    from cabructl.output.drift import error_line, render_drift, summary_line
    from cabructl.output.style import use_colour

    where = None
    try:
        engine = engine_from_options(file, env, region, profile, endpoint_url, local, workers)
        where = f"{engine.topology.owner_tag} {engine.aws.region}"
        notifier = drift_issue_publisher(engine.topology, engine.aws) if notify else None
        check = check_drift(engine, timeout=timeout, notifier=notifier)
    except Exception as error:  # noqa: BLE001 - only adds the summary line; run_command reports it
        click.echo(error_line(getattr(error, "reference", "internal-error"), where))
        raise
    colour = use_colour()
    # With --format json on stdout, stdout is one JSON document (DESIGN's contract); the
    # summary line, which the document repeats, goes to stderr for the log scanner.
    summary_to_stderr = output_format == "json" and not output
    click.echo(summary_line(check, colour=colour and not summary_to_stderr), err=summary_to_stderr)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(render_drift(check.report, output_format).rstrip("\n") + "\n")
    else:
        click.echo(render_drift(check.report, output_format, colour=colour))
    return EXIT_CHANGES if check.report.has_drift else EXIT_OK


@click.command(name="import")
@click.argument("addresses", nargs=-1, metavar="[ADDRESS]...")
@topology_options
@aws_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed without a TTY).")
@_workers_option
@run_command
def import_(addresses: tuple[str, ...], file: str, env: str | None, region: str | None, profile: str | None,
            endpoint_url: str | None, local: bool, yes: bool, workers: int | None) -> int:
    """Write live values back into topology.yaml, accepting drift on purpose.

    For each ADDRESS that drift reports as changed, the live values go where the
    file declares them, keeping its comments, order, quotes and flow style, and
    durations in the file's unit. With --env, a value goes to the environment's
    override section when that section overrides the key, else to the base
    document. Without ADDRESS, every changed resource is imported.

    An unmanaged rule (with its targets) or an extra target on a managed rule is
    declared in `rules:`; a rule cabructl does not own is then taken over (tagged)
    with an apply limited to it. Asks for confirmation unless --yes; refuses
    without a TTY. Exit codes: 0 imported and no drift left there, 2 drift left
    on an imported address (e.g. an attribute that cannot be imported), 1 error.
    """
    from cabructl.cli.engine_cmds import engine_from_options
    from cabructl.engine.drift import detect_drift
    from cabructl.engine.importing import commit_import, finish_import, prepare_import
    from cabructl.output.apply import render_progress, render_result
    from cabructl.output.drift import render_import
    from cabructl.output.plan import render_plan
    from cabructl.output.style import use_colour

    engine = engine_from_options(file, env, region, profile, endpoint_url, local, workers)
    prepared = prepare_import(engine, detect_drift(engine), addresses)
    click.echo(render_import(prepared))
    if prepared.empty:
        click.echo("Nothing to import; the file was not changed.")
        return EXIT_CHANGES if prepared.skipped else EXIT_OK
    if not _confirmed(yes):
        return EXIT_ERROR
    topology = commit_import(prepared, env)
    click.echo(f"Wrote {prepared.editor.file}.")
    if not _policy_allows(topology) and prepared.declared:
        click.echo("Nothing was taken over: apply refuses a topology that breaks its policy.", err=True)
        return EXIT_ERROR
    outcome = finish_import(engine, prepared, topology, progress=render_progress(click.echo))
    if outcome.adoption is not None:
        click.echo(render_plan(outcome.adoption, colour=use_colour(), verb="apply"))
    if outcome.applied is not None:
        click.echo(render_result(outcome.applied, verb="apply"))
        if not outcome.applied.ok:
            return EXIT_ERROR
    click.echo(outcome.remaining.summary_line())
    still = outcome.still_drifting([value.address for value in prepared.values])
    if still:
        click.echo("Still drifting after the import: " + ", ".join(still) + " (see `cabructl drift`).")
        return EXIT_CHANGES
    return EXIT_OK


def _policy_allows(topology: Any) -> bool:
    """Live values may break the cost or retention policy; the file now says so, and apply
    refuses until it is fixed. Say it now rather than at the next apply."""
    from cabructl.cli.engine_cmds import echo_policy, policy_report

    report = policy_report(topology)
    if not report.ok:
        echo_policy(report)
        click.echo("warning: the imported values break the policy; `cabructl apply` refuses until they are fixed.", err=True)
    return bool(report.ok)


def _confirmed(yes: bool) -> bool:
    """A person types `yes`; scripts pass --yes; anything else writes nothing."""
    if yes:
        return True
    if not sys.stdin.isatty():
        click.echo("import needs confirmation: run it in a terminal or pass --yes; nothing was written.", err=True)
        return False
    answer = click.prompt("\nWrite these values (and take over what is listed)? Only 'yes' will be accepted",
                          default="", show_default=False)
    if answer.strip() != "yes":
        click.echo("Import cancelled; nothing was written.")
        return False
    return True
