"""Policy results for people and machines: text, JSON, GitHub annotations, markdown, one paragraph.

Every renderer reads the same :func:`report_data`, so the formats can never disagree
about a number. The cost command's actual-usage report is rendered here too.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Sequence

from cabructl.policy.report import Finding, PolicyReport
from cabructl.output.bill import (agents_table, bill_data, explain_lines, not_modelled_lines, readings_data, readings_table,
                                  scope_line, services_table)
from cabructl.policy.traffic import CASES, EXPECTED, WORST
from cabructl.policy.units import count, money, plural, usd

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.policy.usage import UsageReport

FORMAT_VERSION = 2  # 2: every service's bill (services, totals_usd, per_agent_usd, not_modelled, scope)
CASE_TITLES = {WORST: "worst case", EXPECTED: "expected"}


# -- data ----------------------------------------------------------------------------------
def report_data(report: PolicyReport) -> dict[str, Any]:
    """The JSON contract: budget, projection per case, per agent, per rule, findings (and more)."""
    model = report.model
    return {
        "format_version": FORMAT_VERSION,
        "file": report.file,
        "project": report.project,
        "environment": report.environment,
        "pricing": model.profile.to_json(),
        "days_per_month": model.parameters.days_per_month,
        "budget_usd": report.budget_usd,
        "alert_ratio": report.alert_ratio,
        "alert_usd": report.budget_usd * report.alert_ratio if report.budget_usd is not None and report.alert_ratio is not None else None,
        "projected_monthly_usd": {case: report.projected(case) for case in CASES},
        "cost_breakdown_usd": {case: model.total(case).to_json() for case in CASES},
        "events_per_month": {"published": model.published, "rule_matches": {case: model.rule_matches(case) for case in CASES}},
        "per_agent": {
            name: {
                "events_per_month": agent.published,
                "event_bytes": agent.event_bytes,
                "chunks_per_event": agent.chunks,
                "rule_matches": dict(agent.matches),
                "cost_usd": {case: agent.cost[case].total for case in CASES},
            }
            for name, agent in model.agents.items()
        },
        "per_rule": {
            name: {
                "targets": rule.targets,
                "matched_events": dict(rule.matched),
                "matched_by_agent": {agent: dict(counts) for agent, counts in rule.by_agent.items() if any(counts.values())},
                "cost_usd": dict(rule.cost),
            }
            for name, rule in model.rules.items()
        },
        "schemas": {name: {"event_bytes": size.bytes, "basis": size.basis} for name, size in model.schema_sizes.items()},
        "limits": _limits_data(report),
        **bill_data(report),
        "ok": report.ok,
        "findings": [finding.to_json() for finding in report.findings],
    }


def _limits_data(report: PolicyReport) -> dict[str, Any] | None:
    limits = report.limits
    if limits is None:
        return None
    return {"matches_per_event": limits.matches_per_event, "usd_per_million_events": limits.usd_per_million_events,
            "events_per_month": limits.per_month, "events_per_day": limits.per_day, "events_per_hour": limits.per_hour,
            "declared_per_day": limits.declared_per_day, "declared_per_hour": limits.declared_per_hour}


# -- text ----------------------------------------------------------------------------------
def render_text(report: PolicyReport, *, explain: bool = False) -> str:
    """The cost tables (EventBridge per agent and rule, every service, every agent's share), the projection
    against the budget, what is not modelled, each finding with file:line, a verdict. ``explain`` adds
    every line item's worked formula."""
    data = report_data(report)
    sections = [_heading(data), _table(*_agent_table(data)), _table(*_rule_table(data)), _projection_line(data)]
    if data["services"]:
        sections += [_table(*services_table(data)), _table(*agents_table(data)), scope_line(data, data["budget_usd"])]
        sections += ["\n".join(explain_lines(data))] if explain else []
        sections += ["\n".join(not_modelled_lines(data))] if data["not_modelled"] else []
    if data["limits"]:
        sections.append(_limits_line(data))
    sections.append("\n".join(finding.render() for finding in report.findings) or "no findings")
    sections.append(_verdict(report))
    return "\n\n".join(sections)


def _heading(data: dict[str, Any]) -> str:
    pricing = data["pricing"]
    budget = "no budget" if data["budget_usd"] is None else f"budget {usd(data['budget_usd'])} a month, {_alert(data)}"
    return (f"{data['file']} ({data['project']}/{data['environment']}, {pricing['region']}): {budget}\n"
            f"pricing {pricing['name']}: {pricing['description']}; {data['days_per_month']:g} days a month")


Table = tuple[list[str], list[list[str]]]


def _agent_table(data: dict[str, Any]) -> Table:
    headers = ["agent", "events/month", "bytes", "chunks", "matches worst", "matches expected", "worst USD", "expected USD"]
    rows = [[name, count(a["events_per_month"]), count(a["event_bytes"]), str(a["chunks_per_event"]),
             count(a["rule_matches"][WORST]), count(a["rule_matches"][EXPECTED]),
             money(a["cost_usd"][WORST]), money(a["cost_usd"][EXPECTED])] for name, a in data["per_agent"].items()]
    events = data["events_per_month"]
    rows.append(["total", count(events["published"]), "", "", count(events["rule_matches"][WORST]),
                 count(events["rule_matches"][EXPECTED]), money(data["cost_breakdown_usd"][WORST]["total_usd"]),
                 money(data["cost_breakdown_usd"][EXPECTED]["total_usd"])])
    return headers, rows


def _rule_table(data: dict[str, Any]) -> Table:
    headers = ["rule", "targets", "matched worst", "matched expected", "worst USD", "expected USD"]
    rows = [[name, str(r["targets"]), count(r["matched_events"][WORST]), count(r["matched_events"][EXPECTED]),
             money(r["cost_usd"][WORST]), money(r["cost_usd"][EXPECTED])] for name, r in data["per_rule"].items()]
    return headers, rows


def _projection_line(data: dict[str, Any]) -> str:
    parts = [f"{CASE_TITLES[case]} {usd(data['projected_monthly_usd'][case])}{_share(data, case)}" for case in CASES]
    return ("projected month: " if data["scope"] == "eventbridge" else "projected month, whole backbone: ") + ", ".join(parts)


def _share(data: dict[str, Any], case: str) -> str:
    return "" if not data["budget_usd"] else f" ({data['projected_monthly_usd'][case] / data['budget_usd']:.0%} of budget)"


def _limits_line(data: dict[str, Any]) -> str:
    limits = data["limits"]
    return (f"the budget pays for {count(limits['events_per_month'])} events a month, {count(limits['events_per_day'])} a day, "
            f"{count(limits['events_per_hour'])} an hour (at {limits['usd_per_million_events']:.2f} USD per million events, "
            f"{limits['matches_per_event']:g} rule match{'' if limits['matches_per_event'] == 1 else 'es'} each); the agents declare {count(limits['declared_per_day'])} a day, "
            f"{count(limits['declared_per_hour'])} an hour")


def _alert(data: dict[str, Any]) -> str:
    return f"alert at {data['alert_ratio']:.0%} ({usd(data['alert_usd'])})"


def _verdict(report: PolicyReport) -> str:
    errors, warnings = len(report.errors), len(report.warnings)
    return f"policy check: {'passed' if report.ok else 'failed'} ({plural(errors, 'error')}, {plural(warnings, 'warning')})"


# -- JSON, GitHub, markdown --------------------------------------------------------------------
def render_json(report: PolicyReport) -> str:
    return json.dumps(report_data(report), indent=2)


def render_github(report: PolicyReport) -> str:
    """Workflow commands: one ``::error``/``::warning`` annotation per finding, then the verdict."""
    lines = [_annotation(finding) for finding in report.findings]
    data = report_data(report)
    lines.append(f"{_projection_line(data)}; {_verdict(report)}")
    return "\n".join(lines)


def _annotation(finding: Finding) -> str:
    properties = ",".join(f"{key}={_escape_property(str(value))}" for key, value in
                          (("file", finding.file), ("line", finding.line), ("col", finding.column), ("title", finding.id)))
    message = finding.message + (f" — {finding.hint}" if finding.hint else "")
    return f"::{finding.severity} {properties}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_markdown(report: PolicyReport) -> str:
    """A PR comment: verdict, projection, the two tables, the findings."""
    data = report_data(report)
    lines = [f"### cabructl policy check: {'passed' if report.ok else 'failed'} — {data['project']}/{data['environment']}", "",
             f"{_projection_line(data)} under the `{data['pricing']['name']}` prices, {data['days_per_month']:g} days a month; "
             + ("no budget." if data["budget_usd"] is None else f"budget {usd(data['budget_usd'])}, {_alert(data)}."),
             "", _markdown_table(*_agent_table(data)), "", _markdown_table(*_rule_table(data)), ""]
    if data["services"]:
        lines += [_markdown_table(*services_table(data)), "", _markdown_table(*agents_table(data)), "",
                  scope_line(data, data["budget_usd"]), ""]
        lines += [line.replace("  - ", "- ", 1) for line in not_modelled_lines(data)] + ([""] if data["not_modelled"] else [])
    if data["limits"]:
        lines += [_limits_line(data) + ".", ""]
    lines += [f"- **{f.severity}** `{f.id}` `{f.file}:{f.line}` `{_path(f)}`: {f.message}" + (f" — {f.hint}" if f.hint else "")
              for f in report.findings] or ["No findings."]
    return "\n".join(lines)


def _path(finding: Finding) -> str:
    return finding.to_json()["path"]


def render_paragraph(report: PolicyReport) -> str:
    """One paragraph under a plan: the projection, the findings that matter, and whether apply may write."""
    data = report_data(report)
    text = f"Policy ({data['pricing']['name']} prices): {_projection_line(data)}"
    text += "" if data["budget_usd"] is None else f", against a budget of {usd(data['budget_usd'])}"
    if data["scope"] != "backbone" and data["totals_usd"]:
        text += f" (the whole backbone: {usd(data['totals_usd']['backbone'][WORST])} worst case)"
    text += f"; {plural(len(report.errors), 'error')}, {plural(len(report.warnings), 'warning')}"
    if report.findings:
        text += ": " + "; ".join(f"{f.id} {_path(f)} ({f.file}:{f.line})" for f in (report.errors or report.warnings))
    verdict = "apply may write." if report.ok else "apply will not write until the errors are fixed (details: cabructl policy check)."
    return f"{text}. {verdict}"


# -- shared formatting ---------------------------------------------------------------------------
RENDERERS: dict[str, Callable[[PolicyReport], str]] = {
    "text": render_text, "json": render_json, "github": render_github, "markdown": render_markdown,
}


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """The first ``left`` columns (names) left-aligned, the numbers right-aligned, widths from the content."""
    widths = [max(len(str(row[index])) for row in [headers, *rows]) for index in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) if index < left else cell.rjust(width)
                         for index, (cell, width) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(headers), *(line(row) for row in rows)])


def _markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    align = ["---"] + ["---:"] * (len(headers) - 1)
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [headers, align, *rows])


# -- actual usage (cabructl cost) -------------------------------------------------------------
def usage_data(report: "UsageReport") -> dict[str, Any]:
    observed = report.observed
    return {
        "format_version": FORMAT_VERSION,
        "bus": observed.bus,
        "days": observed.days,
        "pricing": report.profile_name,
        "days_per_month": report.days_per_month,
        "published_events": report.published,
        "published_basis": report.published_basis,
        "rule_matches": report.rule_matches,
        "rule_matches_by_rule": dict(observed.rule_matches),
        "bus_matched_events": observed.bus_matched,
        "cost_so_far_usd": report.cost_so_far.total,
        "projected_month": {"events": report.projected_events, "usd": report.projected_usd},
        "budget_usd": report.budget_usd,
        "alert_usd": report.alert_usd,
        "budget_events_per_month": report.budget_events,
        "remaining_events": report.remaining_events,
        "over_alert": report.over_alert,
        "per_agent": {
            "source": f"EventsPublished in {observed.metrics_namespace} (the agent SDK's metrics)",
            "sdk_metrics_found": bool(observed.agent_published),
            "agents": {agent.agent: {"published_events": agent.published, "cost_usd": agent.usd} for agent in report.agents},
        },
        "services": readings_data(report.readings),
    }


def render_usage(report: "UsageReport") -> str:
    """Events so far, the projected month, what is left in the budget, and a warning past the alert share."""
    observed = report.observed
    rows = [
        ["published events", count(report.published), report.published_basis],
        ["rule matches", count(report.rule_matches), "MatchedEvents per rule of the bus"],
        ["cost so far", usd(report.cost_so_far.total), f"{report.profile_name} prices"],
        ["projected month", f"{count(report.projected_events)} events, {usd(report.projected_usd)}",
         f"{observed.days} days scaled to {report.days_per_month:g}"],
    ]
    if report.budget_usd is not None and report.budget_events is not None and report.remaining_events is not None:
        rows.append(["budget", f"{usd(report.budget_usd)} = {count(report.budget_events)} events a month",
                     f"{count(report.remaining_events)} more events a month fit at this mix"])
    widths = [max(len(row[index]) for row in rows) for index in range(2)]
    lines = [f"bus {observed.bus}: the last {plural(observed.days, 'day')} of AWS/Events metrics", ""]
    lines += [f"  {label.ljust(widths[0])}  {value.ljust(widths[1])}  {note}" for label, value, note in rows]
    if report.over_alert and report.alert_usd is not None:
        lines += ["", f"warning: the projected month ({usd(report.projected_usd)}) is past the alert share of the budget ({usd(report.alert_usd)})"]
    lines += ["", *_agent_usage_lines(report)]
    if report.readings:
        lines += ["", f"per service: CloudWatch's sums for these {plural(observed.days, 'day')} beside the model's expected case "
                      "for the same window, and beside the model at the observed publish rate (PutEventsEntriesCount)",
                  _table(*readings_table(report.readings), left=3)]
    return "\n".join(lines)


def _agent_usage_lines(report: "UsageReport") -> list[str]:
    """Per agent type, from the SDK's EventsPublished; said plainly when the window holds none."""
    observed = report.observed
    if not observed.agent_published:
        return [f"per agent: no SDK metrics in {observed.metrics_namespace} for these {plural(observed.days, 'day')} "
                "(agents publish them with telemetry=\"emf\" or \"put_metric_data\", or CABRUCTL_AGENT_METRICS)"]
    width = max(len(agent.agent) for agent in report.agents)
    lines = [f"per agent (EventsPublished in {observed.metrics_namespace}, {report.profile_name} prices):"]
    for agent in report.agents:
        shown = "no data" if agent.published is None else f"{count(agent.published)} events  {usd(agent.usd)}"
        lines.append(f"  {agent.agent.ljust(width)}  {shown}")
    return lines


def render_schema_verdicts(verdicts: Any) -> str:
    """Beside each new schema version: whether its consumers keep working (the registry's latest is the old one)."""
    lines = []
    for name, mode, forbidden in verdicts:
        if mode == "none":
            lines.append(f"schema {name}: new version (compatibility: none, not checked)")
        elif not forbidden:
            lines.append(f"schema {name}: new version is {mode} compatible with the registry's latest")
        else:
            lines.append(f"schema {name}: new version breaks {mode} compatibility ({len(forbidden)} change(s), SCHEMA001 below)")
    return "\n".join(lines)
