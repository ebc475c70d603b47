"""``cabructl local``: the embedded local AWS endpoint (moto on loopback, plus cabructl's additions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cabructl.cli import run_command
from cabructl.cli.options import topology_options

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")

# Not 4566, so a local endpoint never shadows (or is mistaken for) a running LocalStack.
DEFAULT_PORT = 4590


@click.group()
def local() -> None:
    """Run the embedded local AWS endpoint: moto, with EventBridge delivery that fails like AWS."""


@local.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind; others are refused.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--region",
    default=None,
    metavar="REGION",
    help="Region to export for clients (default: the topology's, if the file loads; the endpoint serves every region).",
)
@topology_options
@click.option(
    "--allow-origin",
    "allow_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages from this origin (e.g. http://localhost:3000) call the endpoint; repeatable. "
         "Other browser origins are refused.",
)
@click.option(
    "--fail",
    "failures",
    multiple=True,
    metavar="TARGET_ID[=ERROR_CODE]",
    help="Fail every delivery to the target with this id (the `id` in topology.yaml), with one of AWS's DLQ "
         "error codes (default INTERNAL_ERROR, which is retried); repeatable. "
         "At runtime: PUT/DELETE /_cabructl/failures/TARGET_ID on the endpoint.",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True, max=1),
    default=None,
    metavar="SCALE",
    help="Compress AWS's retry backoff and event ages by this factor (default 0.01: a minute of backoff takes 0.6 s).",
)
@click.option(
    "--function",
    "functions",
    multiple=True,
    metavar="NAME=module:callable",
    help="Run the Lambda function NAME (created in the endpoint's Lambda) by calling this Python callable "
         "in-process with (event, context), as Lambda's Python runtime does; repeatable. "
         "Every invocation is listed by `cabructl local invocations`.",
)
@click.option("--log-requests", is_flag=True, help="Print one line per AWS call.")
@run_command
def serve(host: str, port: int, region: str | None, file: str, env: str | None, allow_origins: tuple[str, ...],
          failures: tuple[str, ...], time_scale: float | None, functions: tuple[str, ...], log_requests: bool) -> int:
    """Serve AWS on loopback in the foreground until Ctrl-C or SIGTERM.

    Prints the environment a client needs; other cabructl commands find the
    endpoint with --local. AWS_REGION is printed only when a region is known
    (--region, or the topology's), since commands take the topology's anyway.

    EventBridge on this endpoint behaves as on AWS where it matters to a
    rehearsal: rules match with cabructl's matcher (the one `test-event` uses);
    each target gets its Input, InputPath or InputTransformer rendering; a target
    whose resource policy does not let events.amazonaws.com deliver for the rule
    fails with NO_PERMISSIONS, and so does a stream, state machine, bus or API
    destination target without a role that trusts EventBridge and allows it;
    failures are retried per the target's retry policy and then sent to its
    dead-letter queue with RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE;
    AWS/Events metrics land in the local CloudWatch. Lambda functions run the
    Python handlers given with --function; API destinations are called only on
    loopback addresses (any other host is refused and the delivery fails).
    """
    from cabructl.local.server import DEFAULT_REGION, LocalAws, LocalEndpointError, stop_signals
    from cabructl.local.state import published, running_endpoint

    region = region or _topology_region(file, env)
    already = running_endpoint()
    if already:
        raise LocalEndpointError(
            f"a local endpoint is already running at {already}",
            hint="stop it first, or set CABRUCTL_LOCAL_STATE to run another one",
        )
    handlers = _functions(functions)
    local_aws = LocalAws(host, port, region or DEFAULT_REGION, log_requests=log_requests, allowed_origins=allow_origins,
                         failures=_failures(failures), time_scale=time_scale, functions=handlers)
    with stop_signals() as wait_for_stop, local_aws as aws:
        with published(aws.endpoint_url, region) as state_file:
            click.echo(_banner(_client_env(aws.env(), region), state_file, sorted(aws.allowed_origins), aws.failures.listing(),
                               sorted(handlers)))
            wait_for_stop()
    click.echo("# cabructl local: stopped", err=True)
    return 0


def _running_endpoint() -> str:
    from cabructl.local.server import LocalEndpointError
    from cabructl.local.state import running_endpoint

    found = running_endpoint()
    if found is None:
        raise LocalEndpointError("--local: no local endpoint is running", hint="start one with `cabructl local serve`")
    return found


def _failures(options: tuple[str, ...]) -> dict[str, str]:
    """``--fail`` values as target id → error code; a bad one is a usage error (exit 64)."""
    from cabructl.local.failures import FailureSpecError, parse_failure

    try:
        return dict(parse_failure(option) for option in options)
    except FailureSpecError as error:
        raise click.BadParameter(f"{error} ({error.hint})" if error.hint else str(error), param_hint="--fail") from None


def _functions(options: tuple[str, ...]) -> dict[str, Any]:
    """``--function`` values as function name → callable; a bad one is a usage error (exit 64)."""
    from cabructl.local.invocations import FunctionSpecError, parse_function

    try:
        return dict(parse_function(option) for option in options)
    except FunctionSpecError as error:
        raise click.BadParameter(f"{error} ({error.hint})" if error.hint else str(error), param_hint="--function") from None


@local.command()
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@click.option("--endpoint-url", default=None, metavar="URL",
              help="The local endpoint (default: the running `cabructl local serve`); loopback only.")
@run_command
def invocations(as_json: bool, endpoint_url: str | None) -> int:
    """List what the local endpoint invoked: every Lambda function invocation (handled, raised, or with no
    handler registered), with its event, and every API destination request (refused ones included)."""
    import json

    from cabructl.local.invocations import fetch_invocations, invocation_lines

    record = fetch_invocations(endpoint_url or _running_endpoint())
    click.echo(json.dumps(record, indent=2) if as_json else "\n".join(invocation_lines(record)))
    return 0


def _topology_region(file: str, env: str | None) -> str | None:
    """The topology's region, which every later command uses whatever AWS_REGION says.

    The default ./topology.yaml is optional here (serving needs no topology), so a
    missing or invalid one just means no region; a file named with -f, CABRUCTL_FILE
    or --env must load, as in every other command.
    """
    import os

    from click.core import ParameterSource

    from cabructl.errors import CabructlError
    from cabructl.topology import load_topology

    source = click.get_current_context().get_parameter_source("file")
    optional = source == ParameterSource.DEFAULT and env is None
    if optional and not os.path.isfile(file):
        return None
    try:
        return load_topology(file, env).region
    except CabructlError:
        if optional:
            return None
        raise


def _client_env(env: dict[str, str], region: str | None) -> dict[str, str]:
    """Without a known region, leave the user's own AWS_REGION alone rather than export a guess."""
    return env if region else {name: value for name, value in env.items() if name not in REGION_VARIABLES}


def _banner(env: dict[str, str], state_file: Path, allowed_origins: list[str], failing: list[dict[str, str]],
            functions: list[str]) -> str:
    """Every line is valid shell, so the whole block can be pasted."""
    import shlex

    lines = [f"# cabructl local: AWS endpoint on {env['AWS_ENDPOINT_URL']} (bound to loopback only)"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in env.items()]
    if "AWS_REGION" not in env:
        lines.append("# no AWS_REGION: each command uses its topology's region (--region overrides it)")
    browsers = ", ".join(allowed_origins) if allowed_origins else "none (--allow-origin ORIGIN admits a web console)"
    lines.append(f"# browser pages allowed: {browsers}")
    lines += [f"# deliveries to target {item['target_id']} fail with {item['error_code']} (--fail)" for item in failing]
    lines += [f"# Lambda function {name} runs its Python handler here (--function; see `cabructl local invocations`)"
              for name in functions]
    lines.append(f"# other cabructl commands use it with --local (state file: {state_file}); Ctrl-C stops it")
    return "\n".join(lines)


@click.command()
@click.option("-f", "--file", "file", default="topology.yaml", show_default=True, type=click.Path(dir_okay=False),
              envvar="CABRUCTL_FILE", help="The topology file.")
@click.option("--env", "env", default=None, metavar="ENV", help="Environment from the file's `environments:` section.")
@click.option("--json", "as_json", is_flag=True, help="Print the delivery report as JSON at the end.")
@click.option("--local", "use_running", is_flag=True,
              help="Run on the endpoint of a running `cabructl local serve` (it stays up: `cabructl cost --local` then "
                   "reports what the demo published) instead of one of the demo's own.")
@run_command
def demo(file: str, env: str | None, as_json: bool, use_running: bool) -> int:
    """See the whole system work locally, in seconds, with no AWS account.

    Starts a local AWS endpoint on a free loopback port, applies the topology,
    publishes one event per agent type plus a CRITICAL issue and a FAILED test
    run through the agent SDK, shows where each event landed (log group, SNS
    topic through a subscribed queue, each SQS queue), runs a second plan that
    must show no changes, and stops the endpoint. Before that second plan it
    prints the AWS/Events metrics the local CloudWatch holds for each rule
    (matched events, invocations, failed invocations, events sent to a DLQ).
    Exit 1 if any event did not arrive where its rules say it should.
    """
    from cabructl.local.demo import result_json, run_demo

    result = run_demo(file, click.echo, env=env, endpoint_url=_running_endpoint() if use_running else None)
    if as_json:
        click.echo(result_json(result))
    verdict = "every event arrived where its rules send it" if result.ok else "some events did not arrive as expected"
    for line in result.unexpected:
        click.echo(f"unexpected delivery: {line}", err=True)
    click.echo(f"\nDemo finished in {result.seconds:.1f}s: {verdict}.")
    return 0 if result.ok else 1
