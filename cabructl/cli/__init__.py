"""The ``cabructl`` command line: click commands only (parse, call, print).

Commands live one group per module under ``cabructl/cli/`` and are imported
lazily, so ``cabructl --help`` loads click and nothing else. Exceptions become
exit codes in exactly one place, :func:`run_command`.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any, Callable

import click

from cabructl import __version__

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2  # plan --detailed-exitcode, drift, test-event: changes / drift / no match
EXIT_USAGE = 64  # sysexits' EX_USAGE: a mistyped command line never reads as "changes found"

# name -> (module, attribute, one-line help); the help is repeated here so that
# `cabructl --help` need not import every command module.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("cabructl.cli.topology_cmds", "validate", "Check topology.yaml: schema, references and AWS limits."),
    "schema": ("cabructl.cli.topology_cmds", "schema", "Print the JSON Schema of topology.yaml (for editors)."),
    "summary": ("cabructl.cli.topology_cmds", "summary", "Summarise the topology: resources, agents, budget."),
    "plan": ("cabructl.cli.engine_cmds", "plan", "Show what apply would change in live AWS."),
    "apply": ("cabructl.cli.engine_cmds", "apply", "Make live AWS match topology.yaml."),
    "destroy": ("cabructl.cli.engine_cmds", "destroy", "Delete everything the topology owns."),
    "outputs": ("cabructl.cli.engine_cmds", "outputs", "Print the topology's outputs from live AWS."),
    "drift": ("cabructl.cli.drift_cmds", "drift", "Report where live AWS no longer matches topology.yaml."),
    "import": ("cabructl.cli.drift_cmds", "import_", "Write live values back into topology.yaml."),
    "test-event": ("cabructl.cli.pattern_cmds", "test_event", "Show which rules and targets an event reaches."),
    "routes": ("cabructl.cli.pattern_cmds", "routes", "Show, per agent, the rules and targets its events reach."),
    "policy": ("cabructl.cli.policy_cmds", "policy", "Cost and safety policy checks (offline)."),
    "cost": ("cabructl.cli.policy_cmds", "cost", "Actual usage from CloudWatch against the budget."),
    "publish": ("cabructl.cli.agent_cmds", "publish", "Publish validated events to the bus."),
    "loadtest": ("cabructl.cli.agent_cmds", "loadtest", "Simulate agent load and report throughput and cost."),
    "dlq": ("cabructl.cli.agent_cmds", "dlq", "Review and redrive dead-letter queues."),
    "consume": ("cabructl.cli.consume_cmds", "consume", "Handle a queue's events, once per event id."),
    "tail": ("cabructl.cli.tail_cmds", "tail", "Print live what a rule matches on the bus."),
    "replay": ("cabructl.cli.replay_cmds", "replay", "Replay archived events to chosen rules; list, watch, cancel."),
    "export": ("cabructl.cli.export_cmds", "export", "Export an AsyncAPI document or CloudFormation template."),
    "docs": ("cabructl.cli.export_cmds", "docs", "Write a static, browsable event catalogue."),
    "local": ("cabructl.cli.local_cmds", "local", "Run the embedded local AWS endpoint."),
    "demo": ("cabructl.cli.local_cmds", "demo", "Run the whole system locally, end to end, in seconds."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when one is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        if ctx.resilient_parsing or _only_listing(ctx):
            return _HelpStub(name, help=COMMANDS[name][2])
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)


class _HelpStub(click.Command):
    """Stands in for a command while the group only prints its list of commands."""

    def get_short_help_str(self, limit: int = 45) -> str:  # noqa: D401 - click API
        return COMMANDS[self.name][2] if self.name else ""


def _only_listing(ctx: click.Context) -> bool:
    """True while click builds the group's own --help (commands are listed, not run)."""
    return ctx.meta.get("cabructl.listing", False)


class _Group(LazyGroup):
    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        """click's main, with usage errors mapped to :data:`EXIT_USAGE` in this one place.

        click exits 2 on a usage error (unknown option, bad value, missing argument, no
        command), the code ``plan --detailed-exitcode`` and ``drift`` use for "changes
        found": a cron job or a systemd unit with ``SuccessExitStatus=2`` would read a
        typo as success. Everything else click decides stays as click decides it.
        """
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            error.show()
            sys.exit(EXIT_USAGE)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(code if isinstance(code, int) else EXIT_OK)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        ctx.meta["cabructl.listing"] = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            ctx.meta["cabructl.listing"] = False


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="cabructl")
@click.option("--debug", is_flag=True, envvar="CABRUCTL_DEBUG", help="Re-raise errors with a traceback; log every AWS call.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Provision, check and watch an EventBridge backbone for autonomous agents.

    One file, topology.yaml, declares the bus, schemas, rules, targets,
    dead-letter queues, monitoring, IAM policy and budget. Typical flow:

    \b
      cabructl validate            check the file (offline)
      cabructl policy check        prove budget and delivery (offline, for CI)
      cabructl plan                diff the file against live AWS
      cabructl apply               make AWS match the file
      cabructl drift               report out-of-band changes (for cron)
      cabructl demo                see it all work on a local AWS endpoint

    AWS credentials, region and endpoint come from boto3's standard chain
    (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>);
    the --profile, --region and --endpoint-url flags only override it.
    """
    ctx.obj = {"debug": debug}
    if debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
        for noisy in ("botocore", "urllib3", "boto3"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def run_command(func: Callable[..., int | None]) -> Callable[..., int]:
    """Wrap a command body: its int return is the exit code; errors map to 1 here only.

    This is the one place exceptions become exit codes (pip's ``_run_wrapper``):
    a :class:`CabructlError` prints its message, anything else is a bug and says so.
    """
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        from cabructl.errors import CabructlError

        ctx = click.get_current_context()
        debug = bool((ctx.find_root().obj or {}).get("debug"))
        try:
            code = func(*args, **kwargs)
        except CabructlError as error:
            if debug:
                raise
            click.echo(_error_text(error), err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception:  # noqa: BLE001 - the single place unexpected errors are reported
            if debug:
                raise
            traceback.print_exc()
            click.echo("cabructl: internal error — this is a bug in cabructl, please report it with the traceback above.", err=True)
            ctx.exit(EXIT_ERROR)
        ctx.exit(code or EXIT_OK)

    return wrapper


def _error_text(error: Exception) -> str:
    from cabructl.errors import TopologyError

    if isinstance(error, TopologyError):
        return str(error)
    text = f"error[{getattr(error, 'reference', 'error')}]: {error}"
    hint = getattr(error, "hint", None)
    return f"{text}\nhint: {hint}" if hint else text


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="cabructl")

