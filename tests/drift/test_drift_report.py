"""The drift report as a value: classification from a plan, severity, summary line, renderings (no AWS)."""

from __future__ import annotations

import json
import time

import pytest

from cabructl.aws import Aws, AwsSettings
from cabructl.engine.drift import (
    ChangedResource,
    DriftedAttribute,
    DriftReport,
    DriftTimeout,
    MissingResource,
    UnmanagedResource,
    classify,
    drift_severity,
    run_within,
)
from cabructl.engine.plan import Action, AttributeChange, Change, Conflict, Plan
from cabructl.output.drift import render_drift
from cabructl.resources.base import Resource


def resource(address: str, kind: str, owned: bool = True, **attributes: object) -> Resource:
    return Resource(address, kind, address.rsplit(".", 1)[-1], attributes, owned=owned)


QUEUE = resource("sqs.queue.q", "sqs.queue", retention=60)
RULE = resource("events.rule.r", "events.rule")
HAND_RULE = resource("events.rule.by-hand", "events.rule", owned=False)
TAKEN = resource("sqs.queue.taken", "sqs.queue", owned=False)


def plan_of(*changes: Change, conflicts: tuple[Conflict, ...] = ()) -> Plan:
    return Plan("topology.yaml", "prod", "sa-east-1", tuple(changes), conflicts)


def test_plan_actions_and_unowned_live_resources_become_drift_categories() -> None:
    plan = plan_of(
        Change("sqs.queue.q", "sqs.queue", Action.UPDATE, QUEUE, QUEUE, (AttributeChange("retention", 60, 120),)),
        Change("sqs.queue.fifo", "sqs.queue", Action.REPLACE, QUEUE, QUEUE, (AttributeChange("fifo", True, False),)),
        Change("events.rule.gone", "events.rule", Action.CREATE, None, RULE),
        Change("events.rule.r", "events.rule", Action.DELETE, RULE, None),
        conflicts=(Conflict("sqs.queue.taken", "taken", "exists but is not managed"),),
    )
    live = {"events.rule.r": RULE, "events.rule.by-hand": HAND_RULE, "sqs.queue.taken": TAKEN, "sqs.queue.q": QUEUE}
    report = classify(plan, live, "proj")
    assert [item.to_json() for item in report.changed] == [
        {"address": "sqs.queue.fifo", "kind": "sqs.queue", "attributes": [{"path": "fifo", "declared": False, "live": True}]},
        {"address": "sqs.queue.q", "kind": "sqs.queue", "attributes": [{"path": "retention", "declared": 120, "live": 60}]},
    ]
    assert [item.to_json() for item in report.missing] == [{"address": "events.rule.gone", "kind": "events.rule"}]
    assert [item.to_json() for item in report.unmanaged] == [
        {"address": "events.rule.by-hand", "kind": "events.rule", "name": "by-hand", "owned": False},
        {"address": "events.rule.r", "kind": "events.rule", "name": "r", "owned": True},
        {"address": "sqs.queue.taken", "kind": "sqs.queue", "name": "taken", "owned": False},
    ]


def report_with(*, changed: int = 0, missing: int = 0, unmanaged_kinds: tuple[str, ...] = ()) -> DriftReport:
    return DriftReport(
        "proj", "topology.yaml", "prod", "sa-east-1",
        changed=tuple(ChangedResource(f"sqs.queue.c{i}", "sqs.queue", (DriftedAttribute("delay", 0, 5),)) for i in range(changed)),
        missing=tuple(MissingResource(f"sqs.queue.m{i}", "sqs.queue") for i in range(missing)),
        unmanaged=tuple(UnmanagedResource(f"{kind}.u{i}", kind, f"u{i}", True) for i, kind in enumerate(unmanaged_kinds)),
    )


@pytest.mark.parametrize(("name", "report", "severity"), [
    ("attribute changes only", report_with(changed=2), "MEDIUM"),
    ("a missing resource", report_with(changed=1, missing=1), "HIGH"),
    ("an unmanaged target", report_with(unmanaged_kinds=("events.target",)), "HIGH"),
    ("an unmanaged rule", report_with(unmanaged_kinds=("events.rule",)), "HIGH"),
    ("an unmanaged queue", report_with(changed=1, unmanaged_kinds=("sqs.queue",)), "MEDIUM"),
])
def test_severity_follows_the_kind_of_drift(name: str, report: DriftReport, severity: str) -> None:
    assert drift_severity(report) == severity


@pytest.mark.parametrize(("report", "line"), [
    (report_with(), "cabructl drift: OK no drift (proj/prod sa-east-1)"),
    (report_with(changed=3, missing=1, unmanaged_kinds=("events.rule",)),
     "cabructl drift: DRIFT 3 changed, 1 missing, 1 unmanaged (proj/prod sa-east-1)"),
])
def test_summary_line(report: DriftReport, line: str) -> None:
    assert report.summary_line() == line


def test_json_rendering_is_the_documented_document() -> None:
    document = json.loads(render_drift(report_with(changed=1), "json"))
    assert document == {
        "format_version": 1, "topology": "topology.yaml", "environment": "prod", "region": "sa-east-1",
        "drift": {"changed": [{"address": "sqs.queue.c0", "kind": "sqs.queue",
                               "attributes": [{"path": "delay", "declared": 0, "live": 5}]}],
                  "missing": [], "unmanaged": []},
        "summary": {"changed": 1, "missing": 0, "unmanaged": 0},
    }


def test_markdown_cells_escape_pipes_so_the_table_holds() -> None:
    report = DriftReport("proj", "topology.yaml", "prod", "sa-east-1",
                         changed=(ChangedResource("events.rule.r", "events.rule", (DriftedAttribute("description", "a|b", "c"),)),))
    assert '| `events.rule.r` | `description` | `"a\\|b"` | `"c"` |' in render_drift(report, "markdown")


def test_text_without_drift_says_so() -> None:
    assert render_drift(report_with(), "text") == "Live AWS matches topology.yaml (prod in sa-east-1)."


# -- run_within ---------------------------------------------------------------------------------

def test_run_within_returns_the_result_or_reraises_the_error() -> None:
    aws = Aws(AwsSettings(region="sa-east-1"))
    assert run_within(5, lambda: 42, aws) == 42
    with pytest.raises(ZeroDivisionError):
        run_within(5, lambda: 1 / 0, aws)


def test_run_within_gives_up_at_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(DriftTimeout):
        run_within(0.1, lambda: time.sleep(2), Aws(AwsSettings(region="sa-east-1")))
    assert time.monotonic() - started < 1
