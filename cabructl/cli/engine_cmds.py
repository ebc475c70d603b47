"""plan, apply, destroy, outputs: thin commands over the engine pipeline."""

from __future__ import annotations

import sys
from typing import Any

import click

from cabructl.cli import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, run_command
from cabructl.cli.options import aws_options, aws_settings, topology_options

# --timeout defaults: a plan only reads (drift's 300 s); apply and destroy also write, and a
# write may wait out AWS's propagation for a minute or two (Aws.settle), so they get 600 s.
PLAN_TIMEOUT = 300.0
WRITE_TIMEOUT = 600.0
WRITE_TIMEOUT_HINT = ("writes already made stay made; `cabructl plan` shows what is left and the next apply "
                      "continues from there. Raise --timeout if AWS is only slow, or check the endpoint")


def engine_from_options(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None,
            local: bool, workers: int | None = None) -> Any:
    from cabructl.aws import Aws
    from cabructl.engine import Engine
    from cabructl.topology import load_topology

    topology = load_topology(file, env)
    settings = aws_settings(region, profile, endpoint_url, local, topology.region)
    return Engine(topology, Aws(settings), workers=workers)


def policy_report(topology: Any, plan: Any = None, allow_breaking: tuple[str, ...] = ()) -> Any:
    """The policy result for the gate (offline: no AWS call); with a plan, each schema it updates is
    also checked against the registry's latest version under its compatibility mode."""
    from cabructl.policy import evaluate_policy

    gated = schema_gate(topology, plan, allow_breaking) if plan is not None else None
    return gated if gated is not None else evaluate_policy(topology)


def echo_schema_verdicts(topology: Any, plan: Any) -> None:
    """One line per schema the plan gives a new version: compatible with the registry's latest, or not."""
    from cabructl.output.policy import render_schema_verdicts
    from cabructl.policy.compatibility import schema_verdicts
    from cabructl.resources.schemas_schema import live_baseline

    baseline = live_baseline(topology, plan.changes)
    if baseline is not None:
        click.echo("")
        click.echo(render_schema_verdicts(schema_verdicts(baseline, topology)))


def schema_gate(topology: Any, plan: Any, allow_breaking: tuple[str, ...]) -> Any:
    """The policy report with the schema compatibility gate, or None when the plan versions no schema
    (the offline gate before the plan already said everything else)."""
    from cabructl.policy import evaluate_policy
    from cabructl.resources.schemas_schema import live_baseline

    baseline = live_baseline(topology, plan.changes)
    return evaluate_policy(topology, baseline=baseline, allow_breaking=allow_breaking) if baseline is not None else None


def allow_breaking_option(func: Any) -> Any:
    return click.option("--allow-breaking-schema", "allow_breaking", multiple=True, metavar="NAME",
                        help="Let this schema's new version through the compatibility gate although its mode forbids "
                             "the change (repeatable).")(func)


def echo_policy(report: Any, *, details: bool = False) -> None:
    """The policy paragraph under a plan; every finding spelled out when apply is refused."""
    click.echo("")
    from cabructl.output.policy import render_paragraph

    click.echo(render_paragraph(report))
    if details:
        for finding in (*report.errors, *report.warnings):
            click.echo(f"  {finding.render()}")


def timeout_option(default: float) -> Any:
    """``--timeout SECONDS``, as drift spells it: the whole command's AWS work is bounded by it."""
    return click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=default, show_default=True,
                        metavar="SECONDS", help="Give up with exit 1 after this long waiting on AWS; AWS calls "
                        "in flight are abandoned.")


def command_deadline(engine: Any, seconds: float, verb: str) -> Any:
    """The one time budget of a command's AWS work (plan, writes, the re-read after them)."""
    from cabructl.deadline import DEFAULT_HINT, Deadline

    return Deadline(seconds, engine.aws, doing=verb, hint=DEFAULT_HINT if verb == "plan" else WRITE_TIMEOUT_HINT)


def plan_options(func: Any) -> Any:
    func = click.option("--target", "targets", multiple=True, metavar="ADDRESS",
                        help="Limit to this address and what it depends on (repeatable).")(func)
    func = click.option("--adopt", "adopt", multiple=True, metavar="ADDRESS",
                        help="Take over an existing unmanaged resource at this address, tagging it (repeatable).")(func)
    func = click.option("--workers", type=click.IntRange(1, 32), default=None, help="Parallel AWS calls (default 8).")(func)
    return func


@click.command()
@topology_options
@aws_options
@plan_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON document (format_version 1).")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Save the plan; `cabructl apply FILE` applies exactly it.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none, 1 on error.")
@allow_breaking_option
@timeout_option(PLAN_TIMEOUT)
@run_command
def plan(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
         targets: tuple[str, ...], adopt: tuple[str, ...], workers: int | None, as_json: bool, out: str | None,
         detailed_exitcode: bool, allow_breaking: tuple[str, ...], timeout: float) -> int:
    """Show what apply would change in live AWS, and the policy result.

    Reads live AWS (never writes). Symbols: + create, ~ update, -/+ replace,
    - delete. With --detailed-exitcode: 0 no changes, 2 changes, 1 error.
    `--out FILE` saves the plan with a checksum and a fingerprint of live AWS:
    `apply FILE` refuses it once the file or anything it touches has changed.
    """
    from cabructl.deadline import waiting_line
    from cabructl.output.plan import plan_json, render_plan
    from cabructl.policy.compatibility import SCHEMA_CHECK_ID
    from cabructl.output.style import use_colour

    engine = engine_from_options(file, env, region, profile, endpoint_url, local, workers)
    result = command_deadline(engine, timeout, "plan").run(lambda: engine.plan(targets=targets, adopt=adopt),
                                                           progress=waiting_line())
    report = policy_report(engine.topology, result, allow_breaking)
    if out and not result.conflicts:
        engine.save_plan(result, out)
    if as_json:
        click.echo(plan_json(result))
    else:
        click.echo(render_plan(result, colour=use_colour()))
        echo_schema_verdicts(engine.topology, result)
        # A schema's compatibility is judged against live AWS: `policy check` alone cannot show it, so spell it out.
        echo_policy(report, details=any(finding.id == SCHEMA_CHECK_ID for finding in report.findings))
        if out and result.conflicts:
            click.echo(f"\nThe plan was not saved to {out}: a plan with conflicts cannot be applied.", err=True)
        elif out:
            click.echo(f"\nSaved the plan to {out}; apply exactly it with: cabructl apply {out}")
    if result.conflicts or not report.ok:
        return EXIT_ERROR
    return EXIT_CHANGES if detailed_exitcode and not result.empty else EXIT_OK


@click.command()
@click.argument("planfile", required=False, type=click.Path())
@topology_options
@aws_options
@plan_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (needed without a TTY).")
@click.option("--allow-data-loss", is_flag=True, help="Allow deleting or replacing queues, archives and log groups that hold data.")
@allow_breaking_option
@timeout_option(WRITE_TIMEOUT)
@run_command
def apply(planfile: str | None, file: str, env: str | None, region: str | None, profile: str | None,
          endpoint_url: str | None, local: bool, targets: tuple[str, ...], adopt: tuple[str, ...], workers: int | None,
          auto_approve: bool, allow_data_loss: bool, allow_breaking: tuple[str, ...], timeout: float) -> int:
    """Make live AWS match topology.yaml (or apply a plan saved with `plan --out`).

    Shows the plan and asks for `yes` unless --auto-approve; refuses without a
    TTY. Refuses any write when the policy has an error, when the plan has
    conflicts, or when data would be lost without --allow-data-loss. Writes run
    in dependency order, independent ones in parallel; a failure stops the apply
    and the next apply converges from where it stopped. --timeout bounds the
    planning and the writes together, not the time at the prompt. A schema
    whose new content breaks its `compatibility` mode against the registry's
    latest version is refused unless --allow-breaking-schema NAME.
    """
    from cabructl.deadline import waiting_line

    engine = engine_from_options(file, env, region, profile, endpoint_url, local, workers)
    report = policy_report(engine.topology)
    if not report.ok:
        echo_policy(report, details=True)
        click.echo("Apply refused: the topology breaks its policy; nothing was changed.", err=True)
        return EXIT_ERROR
    deadline = command_deadline(engine, timeout, "apply")
    the_plan = deadline.run(lambda: engine.load_plan(planfile) if planfile else engine.plan(targets=targets, adopt=adopt),
                            progress=waiting_line())
    schemas_report = schema_gate(engine.topology, the_plan, allow_breaking)
    if schemas_report is not None and not schemas_report.ok:  # it needs the registry's versions: after the plan
        echo_policy(schemas_report, details=True)
        click.echo("Apply refused: a schema change breaks its consumers; nothing was changed "
                   "(--allow-breaking-schema NAME lets it through).", err=True)
        return EXIT_ERROR
    return _confirm_and_apply(engine, the_plan, auto_approve=auto_approve, allow_data_loss=allow_data_loss, verb="apply",
                              deadline=deadline)


@click.command()
@topology_options
@aws_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (needed without a TTY).")
@click.option("--allow-data-loss", is_flag=True, help="Allow deleting queues, archives and log groups that hold data.")
@click.option("--workers", type=click.IntRange(1, 32), default=None, help="Parallel AWS calls (default 8).")
@timeout_option(WRITE_TIMEOUT)
@run_command
def destroy(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
            auto_approve: bool, allow_data_loss: bool, workers: int | None, timeout: float) -> int:
    """Delete everything this topology owns, dependents first. Never touches what it does not own.

    A bus or registry that holds a resource the topology does not own (a rule
    added by hand) is kept: everything else is deleted, the reason is printed,
    and the exit code is 1. --timeout bounds the planning and the deletes together, not the time at the prompt.
    """
    from cabructl.deadline import waiting_line

    engine = engine_from_options(file, env, region, profile, endpoint_url, local, workers)
    deadline = command_deadline(engine, timeout, "destroy")
    return _confirm_and_apply(engine, deadline.run(lambda: engine.plan(destroy=True), progress=waiting_line()),
                              auto_approve=auto_approve, allow_data_loss=allow_data_loss, verb="destroy", deadline=deadline)


def _confirm_and_apply(engine: Any, the_plan: Any, *, auto_approve: bool, allow_data_loss: bool, verb: str,
                       deadline: Any) -> int:
    from cabructl.deadline import waiting_line
    from cabructl.output.apply import render_result, render_progress
    from cabructl.output.plan import render_plan
    from cabructl.output.style import use_colour

    colour = use_colour()
    click.echo(render_plan(the_plan, colour=colour, verb=verb))
    if the_plan.conflicts:
        return EXIT_ERROR
    if the_plan.empty:
        return _report_kept(the_plan)
    engine.preflight(the_plan)  # what would stop the apply is said before the question
    if not auto_approve:
        if not sys.stdin.isatty():
            click.echo(f"\n{verb} needs confirmation: run it in a terminal or pass --auto-approve.", err=True)
            return EXIT_ERROR
        question = ("Do you want to destroy every resource listed above?" if verb == "destroy"
                    else "Do you want to apply these changes?")
        answer = click.prompt(f"\n{question} Only 'yes' will be accepted", default="", show_default=False)
        if answer.strip() != "yes":
            click.echo(f"{verb.capitalize()} cancelled; nothing was changed.")
            return EXIT_ERROR
    click.echo("")
    # No waiting line while writing: the progress lines on stdout already show life.
    result = deadline.run(lambda: engine.apply(the_plan, allow_data_loss=allow_data_loss, progress=render_progress(click.echo)))
    click.echo(render_result(result, verb=verb))
    if not result.ok:
        return EXIT_ERROR
    inconsistent = deadline.run(lambda: engine.verify([outcome.change for outcome in result.done], destroy=verb == "destroy"),
                                progress=waiting_line())
    if inconsistent:
        click.echo("cabructl bug: live state differs from the plan right after apply for: " + ", ".join(inconsistent)
                   + " — please report it.", err=True)
        return EXIT_ERROR
    return _report_kept(the_plan)


def _report_kept(the_plan: Any) -> int:
    """Containers kept because they hold what cabructl does not own: said, and exit 1 (not done)."""
    for item in the_plan.kept:
        click.echo(f"Kept {item.address}: {item.message}", err=True)
    return EXIT_ERROR if the_plan.kept else EXIT_OK


@click.command()
@topology_options
@aws_options
@click.option("--json", "as_json", is_flag=True, help="Print the outputs as a JSON object.")
@run_command
def outputs(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None,
            local: bool, as_json: bool) -> int:
    """Print the topology's outputs (bus ARN, DLQ URLs, policy ARN…) from live AWS."""
    import json

    from cabructl.resources.outputs import missing, resolve_outputs

    engine = engine_from_options(file, env, region, profile, endpoint_url, local)
    desired = engine.desired()
    values = resolve_outputs(engine.topology.outputs, engine.live(desired), desired)
    if as_json:
        click.echo(json.dumps(values, indent=2))
    else:  # a map output (one policy per agent) prints one line per entry, as name.key
        lines: list[tuple[str, Any]] = []
        for name, value in values.items():
            lines += [(f"{name}.{key}", item) for key, item in value.items()] if isinstance(value, dict) else [(name, value)]
        width = max((len(label) for label, _ in lines), default=0)
        for label, item in lines:
            click.echo(f"{label:<{width}} = {item if item is not None else '(not created)'}")
    return EXIT_ERROR if missing(values) else EXIT_OK
