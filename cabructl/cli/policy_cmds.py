"""``cabructl policy check`` (offline, for CI) and ``cabructl cost`` (actual usage from CloudWatch).

Only click is imported here at import time; the model, the checks and boto3 load
when a command runs, so ``cabructl --help`` stays fast.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import click

from cabructl.cli import EXIT_ERROR, EXIT_OK, run_command
from cabructl.cli.options import aws_options, aws_settings, topology_options

FORMATS = ("text", "json", "github", "markdown")
DEFAULT_DAYS = 7
# CloudWatch keeps one-hour datapoints 455 days; a longer window would read nothing.
MAX_DAYS = 455


def pricing_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--pricing", "pricing", default=None, metavar="PROFILE",
                        help="Pricing profile from policies/pricing.yaml (default: the topology's budget.pricing).")(func)


def free_tier_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--free-tier/--no-free-tier", "free_tier", default=None,
                        help="Deduct AWS's monthly free-tier allowances (pricing.yaml free_tier), or not; default: the "
                             "profile's own free_tier flag, off in the built-in profiles (the whole account shares them).")(func)


@click.group()
def policy() -> None:
    """Cost and safety policy checks, offline: budget, alarm, retention, delivery, quotas."""


@policy.command("check")
@topology_options
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: cost table and FILE:LINE findings; json: one document; github: workflow annotations; "
                   "markdown: a PR comment.")
@pricing_option
@free_tier_option
@click.option("--explain", is_flag=True, default=False,
              help="Text format: add every line item's worked formula (quantity × price = USD), service by service.")
@click.option("--against", "against", default=None, metavar="GIT_REF",
              help="Also compare each event schema with its version at this git revision (e.g. the pull request's base) "
                   "and fail on changes its `compatibility` mode forbids (SCHEMA001).")
@run_command
def check(file: str, env: str | None, output_format: str, pricing: str | None, free_tier: bool | None, explain: bool,
          against: str | None) -> int:
    """Prove, from topology.yaml alone, that the topology stays in budget and can deliver its events.

    Projects a month of traffic (worst case and expected) under the pricing
    profile and prices every service the topology provisions (EventBridge,
    CloudWatch Logs, SQS, SNS, CloudWatch, KMS, DynamoDB) for its region; both
    totals are shown, and the gate uses the one `budget.scope` names
    (eventbridge by default, or backbone). What the model does not price is
    listed. Then it runs the checks policies/policy.yaml enables. No AWS call is
    made. With --against, a schema change that breaks its consumers (a new
    required field under `backward`, a new enum value under `forward`, …) is an
    error at the schema's line. Exit 0 when no finding is an error, 1 otherwise.
    """
    from cabructl.output.policy import RENDERERS, render_text
    from cabructl.policy import evaluate_policy
    from cabructl.topology import load_topology
    from cabructl.topology.revision import load_topology_at

    topology = load_topology(file, env)
    baseline = load_topology_at(file, env, against) if against else None
    report = evaluate_policy(topology, pricing, baseline=baseline, free_tier=free_tier)
    click.echo(render_text(report, explain=True) if explain and output_format == "text" else RENDERERS[output_format](report))
    return EXIT_OK if report.ok else EXIT_ERROR


@click.command()
@topology_options
@aws_options
@click.option("--days", type=click.IntRange(1, MAX_DAYS), default=DEFAULT_DAYS, show_default=True,
              help="How many past days of CloudWatch metrics to read.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pricing_option
@free_tier_option
@run_command
def cost(file: str, env: str | None, region: str | None, profile: str | None, endpoint_url: str | None, local: bool,
         days: int, output_format: str, pricing: str | None, free_tier: bool | None) -> int:
    """Actual usage from CloudWatch against the model and the budget, service by service.

    Reads the last N days of rule matches and published events, prices them
    with the same profile as `policy check`, and projects the month: events so
    far, projected month, events left in the budget, and a warning once the
    projection passes the alert share. Per service it sets what CloudWatch
    counted (AWS/Events, AWS/Logs IncomingBytes, AWS/SQS messages sent,
    received, deleted and empty receives, AWS/SNS publishes and deliveries,
    AWS/DynamoDB write units) beside the model's projection for the same window,
    and their ratio; also beside the model at the observed publish rate. Per
    agent type, it adds the events the agent SDK counted (EventsPublished in the
    topology's agent metrics namespace) and what they cost, or says that no SDK
    metrics exist for the window.
    """
    from cabructl.aws import Aws, describe_aws_error, is_botocore_error
    from cabructl.output.policy import render_usage, usage_data
    from cabructl.policy.report import project
    from cabructl.policy.service_usage import observe
    from cabructl.policy.usage import usage_report
    from cabructl.topology import load_topology

    topology = load_topology(file, env)
    model, policy_set = project(topology, pricing, free_tier=free_tier)
    aws = Aws(aws_settings(region, profile, endpoint_url, local, topology.region))
    try:
        observed, readings = observe(aws, topology, model, policy_set.model, days)
    except Exception as error:
        if is_botocore_error(error):
            raise describe_aws_error(error, "reading the services' and the agent SDK's metrics (cloudwatch:GetMetricData)") from error
        raise
    report = usage_report(observed, model, topology, tuple(readings))
    click.echo(json.dumps(usage_data(report), indent=2) if output_format == "json" else render_usage(report))
    return EXIT_OK
