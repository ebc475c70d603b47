"""Drift reports as text (terminals and cron mail), JSON (machines) and markdown (issues, PR comments).

The summary line is the report's own (:meth:`DriftReport.summary_line`), so the
log line, the notified issue and these renderings all say the same thing. Values
are shortened exactly as plans shorten them.
"""

from __future__ import annotations

import json
from typing import Any

from cabructl.engine.drift import ChangedResource, DriftCheck, DriftReport, UnmanagedResource
from cabructl.output.plan import short_value
from cabructl.output.style import ACTION_COLOURS, paint

NEXT_STEPS = ("`cabructl apply` makes AWS match the file again (it deletes owned unmanaged resources); "
              "`cabructl import ADDRESS` writes the live value into the file instead.")

# A drift category and the plan action that would undo it share a colour.
_COLOURS = {"changed": ACTION_COLOURS["update"], "missing": ACTION_COLOURS["create"], "unmanaged": ACTION_COLOURS["delete"]}
_TITLES = {
    "changed": "Changed (live AWS differs from the file)",
    "missing": "Missing (declared, not in AWS)",
    "unmanaged": "Unmanaged (in AWS, not declared)",
}


def summary_line(check: DriftCheck, *, colour: bool = False) -> str:
    """The single line for stdout, with the notification when one was published."""
    line = check.report.summary_line()
    if check.notified is not None:
        line += f"; notified {check.notified.severity} issue {check.notified.event_id}"
    return paint(line, "yellow" if check.report.has_drift else None, colour, bold=True)


def error_line(reference: str, where: str | None) -> str:
    """The summary line of a run that failed: still one greppable line on stdout."""
    return f"cabructl drift: ERROR {reference}" + (f" ({where})" if where else "") + "; details on stderr"


def render_drift(report: DriftReport, output_format: str, *, colour: bool = False) -> str:
    """The details in ``text``, ``json`` or ``markdown``; colour only ever applies to text."""
    if output_format == "json":
        return render_json(report)
    if output_format == "markdown":
        return render_markdown(report)
    return render_text(report, colour)


def render_json(report: DriftReport) -> str:
    return json.dumps(report.to_json(), indent=2, default=str)


# -- text -------------------------------------------------------------------------------------

def render_text(report: DriftReport, colour: bool = False) -> str:
    if not report.has_drift:
        return "\n".join([f"Live AWS matches {report.topology} ({report.environment} in {report.region})."]
                         + _ephemeral_lines(report, colour))
    lines: list[str] = []
    for category in ("changed", "missing", "unmanaged"):
        items = getattr(report, category)
        if not items:
            continue
        lines.append(paint(f"{_TITLES[category]}:", _COLOURS[category], colour, bold=True))
        for item in items:
            lines.extend(_text_item(category, item, colour))
        lines.append("")
    lines += _ephemeral_lines(report, colour)
    if report.ephemeral:
        lines.append("")
    lines.append(NEXT_STEPS.replace("`", ""))
    return "\n".join(lines)


def _ephemeral_lines(report: DriftReport, colour: bool) -> list[str]:
    """Temporary resources of running commands: said, so nobody hunts them, and marked as no drift."""
    if not report.ephemeral:
        return []
    lines = [paint(f"{EPHEMERAL_TITLE}:", None, colour, bold=True)]
    return lines + [f"  {item.address}  ({item.name}; {item.message})" for item in report.ephemeral]


def _text_item(category: str, item: Any, colour: bool) -> list[str]:
    head = paint(f"  {item.address}", _COLOURS[category], colour)
    if isinstance(item, ChangedResource):
        return [head] + [f"      {attribute.path}: declared {short_value(attribute.declared)}, live {short_value(attribute.live)}"
                         for attribute in item.attributes]
    if isinstance(item, UnmanagedResource):
        return [f"{head}  ({item.name}; {_ownership(item)})"]
    return [head]


EPHEMERAL_TITLE = "Ephemeral (a running command's temporary resources; not drift)"


def _ownership(item: UnmanagedResource) -> str:
    if item.owned:
        return "owned: the next apply deletes it"
    return "not owned: cabructl never touches it"


# -- markdown ---------------------------------------------------------------------------------

def render_markdown(report: DriftReport) -> str:
    """For an issue or a pull-request comment: a heading, one table per category."""
    title = "No drift" if not report.has_drift else ", ".join(f"{n} {category}" for category, n in report.summary().items())
    lines = [f"### cabructl drift: {title}", "",
             f"`{report.project}/{report.environment}` in `{report.region}`, topology `{report.topology}`.", ""]
    if report.changed:
        lines += [f"#### {_TITLES['changed']}", "", "| Address | Attribute | Declared | Live |", "|---|---|---|---|"]
        lines += [f"| `{item.address}` | `{a.path}` | {_cell(a.declared)} | {_cell(a.live)} |"
                  for item in report.changed for a in item.attributes]
        lines.append("")
    if report.missing:
        lines += [f"#### {_TITLES['missing']}", "", "| Address | Kind |", "|---|---|"]
        lines += [f"| `{item.address}` | {item.kind} |" for item in report.missing]
        lines.append("")
    if report.unmanaged:
        lines += [f"#### {_TITLES['unmanaged']}", "", "| Address | Name | Ownership |", "|---|---|---|"]
        lines += [f"| `{item.address}` | `{item.name}` | {_ownership(item)} |" for item in report.unmanaged]
        lines.append("")
    if report.ephemeral:
        lines += [f"#### {EPHEMERAL_TITLE}", "", "| Address | Name | Made by | Lease until |", "|---|---|---|---|"]
        lines += [f"| `{item.address}` | `{item.name}` | `{item.made_by}` | {item.to_json()['lease_until']} |"
                  for item in report.ephemeral]
        lines.append("")
    if report.has_drift:
        lines.append(f"**Next steps:** {NEXT_STEPS}")
    return "\n".join(lines).rstrip() + "\n"


def _cell(value: Any) -> str:
    """A value in a table cell: code-formatted, pipes escaped so the table holds."""
    return "`" + short_value(value).replace("|", "\\|").replace("`", "'") + "`"


# -- import -----------------------------------------------------------------------------------

def render_import(prepared: Any) -> str:
    """What an import writes (key, before → after, base or override, file:line) and what it cannot."""
    lines = [f"cabructl import will write into {prepared.editor.file}:"]
    for value in prepared.values:
        written = value.written
        where = f"environments.{prepared.environment} override" if written.in_override else "base document"
        note = f"  [{value.address}; {where}; {prepared.editor.file}:{written.line}:{written.column}]"
        lines += [f"  {change}{note}" for change in _written_changes(written)]
    if not prepared.values:
        lines.append("  (nothing)")
    lines += [f"  not imported: {item.address} {item.attribute}: {item.reason}" for item in prepared.skipped]
    if prepared.adopt:
        lines.append(f"then take over (tag as managed by this topology) and apply: {', '.join(prepared.adopt)}")
    if not prepared.editor.faithful:
        lines.append("note: ruamel.yaml cannot reproduce this file's layout exactly; review `git diff` for moved lines")
    return "\n".join(lines)


def _written_changes(written: Any) -> list[str]:
    """One line per changed value; a structure edited in place (a pattern) shows its changed leaves."""
    from cabructl.engine.plan import attribute_changes
    from cabructl.topology.writer import MISSING

    key = ".".join(str(part) for part in written.path)
    if written.before is MISSING and isinstance(written.after, dict):
        return [f"+ {key} (new declaration)"]
    if written.before is MISSING:
        return [f"+ {key}: {short_value(written.after)}"]
    if written.after is MISSING:
        return [f"- {key} (removed; was {short_value(written.before)})"]
    if isinstance(written.before, dict) and isinstance(written.after, dict):
        return [f"~ {key}.{leaf.path}: {short_value(leaf.before)} → {short_value(leaf.after)}"
                for leaf in attribute_changes(written.before, written.after)]
    return [f"~ {key}: {short_value(written.before)} → {short_value(written.after)}"]
