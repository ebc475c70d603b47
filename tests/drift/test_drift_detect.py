"""drift against a live deployment: every kind of out-of-band change, reported exactly.

One deployment (module scope) receives the changes a person with console access
might make; each test then checks one part of the report. Tests here only read
(``--notify`` adds an event to the bus, which changes no resource).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cabructl.agents.drift_issue import drift_issue_publisher
from cabructl.engine.drift import DriftReport, check_drift, detect_drift
from cabructl.resources.cloudwatch_dashboard import RULE_GRAPHS
from cabructl.topology import load_topology
from drift_support import RENAMED_WIDGET, Deploy, Deployment, make_drift
from support import ROOT, TOPOLOGY

# address → (attribute path, declared, live): exactly what drift must say for each change below.
# Declared values come from the real topology, so the test follows edits to topology.yaml.
DECLARED = load_topology(str(TOPOLOGY))
EXPECTED_CHANGED = {
    "events.rule.critical-issues": [("pattern.detail.severity[1]", "HIGH", None)],
    "sqs.queue.cicd-changes": [("retention", DECLARED.queues["cicd-changes"].retention, 604_800)],
    "events.target.failed-tests/failed-tests-queue": [("retry.attempts", DECLARED.rules["failed-tests"].targets[0].retry.attempts, 1)],
    "cloudwatch.alarm.cost_alarm": [("threshold", float(DECLARED.cost_alarm.threshold), 9000.0)],
    "sns.topic.critical-alerts": [("tags.Owner", DECLARED.tags["Owner"], "someone-else")],
    "cloudwatch.dashboard.dashboard": [("body.widgets[0].properties.title", RULE_GRAPHS[0][0], RENAMED_WIDGET)],
}
EXPECTED_MISSING = {
    "sqs.queue.test-investigation": "sqs.queue",
    "events.rule.test-results-routing": "events.rule",
    "events.target.test-results-routing/test-results-logs": "events.target",
}
EXTRA_TARGET = "events.target.code-change-routing/hand-added"
# address → (kind, logical AWS name without the prefix, owned)
EXPECTED_UNMANAGED = {
    EXTRA_TARGET: ("events.target", None, True),                             # owned through its rule
    "events.rule.by-hand": ("events.rule", "by-hand", False),                # added to the bus by hand
    "sqs.queue.product-requests": ("sqs.queue", "product-requests", False),  # its ownership tags removed
}
SUMMARY = re.compile(r"^cabructl drift: DRIFT 6 changed, 3 missing, 3 unmanaged \((drift-[0-9a-f]{8})/prod sa-east-1\)$")


def make_unmanaged(deployment: Deployment) -> None:
    """Resources drift reports but apply will not touch (they would be conflicts for apply)."""
    deployment.client("events").put_rule(Name=deployment.prefix + "by-hand", EventBusName=deployment.bus,
                                         EventPattern=json.dumps({"source": ["cabruca.agents.monitor"]}))
    deployment.client("sqs").untag_queue(QueueUrl=deployment.queue_url("product-requests"),
                                         TagKeys=["managed-by", "cabructl:topology"])


@pytest.fixture(scope="module")
def drifted(module_deploy: Deploy) -> Deployment:
    deployment = module_deploy()
    make_drift(deployment)
    make_unmanaged(deployment)
    return deployment


@pytest.fixture(scope="module")
def report(drifted: Deployment) -> DriftReport:
    return detect_drift(drifted.engine())


# -- the three categories, exactly ----------------------------------------------------------------

@pytest.mark.parametrize("address", sorted(EXPECTED_CHANGED))
def test_each_out_of_band_change_is_reported_attribute_by_attribute(report: DriftReport, address: str) -> None:
    changed = report.changed_at(address)
    assert changed is not None, f"{address} not reported as changed: {report.to_json()['drift']}"
    assert [(a.path, a.declared, a.live) for a in changed.attributes] == EXPECTED_CHANGED[address]


def test_changed_lists_nothing_else(report: DriftReport) -> None:
    assert sorted(item.address for item in report.changed) == sorted(EXPECTED_CHANGED)


def test_deleted_resources_are_missing(report: DriftReport) -> None:
    assert {item.address: item.kind for item in report.missing} == EXPECTED_MISSING


def test_unmanaged_lists_extra_targets_hand_made_rules_and_untagged_resources(drifted: Deployment, report: DriftReport) -> None:
    expected = [{"address": address, "kind": kind, "name": drifted.prefix + name if name else "hand-added", "owned": owned}
                for address, (kind, name, owned) in sorted(EXPECTED_UNMANAGED.items())]
    assert [item.to_json() for item in report.unmanaged] == expected


def test_drift_only_reads_and_the_cookbook_grants_every_read(drifted: Deployment) -> None:
    aws = drifted.aws()
    check = check_drift(drifted.engine(aws), timeout=60)
    assert check.report.has_drift
    assert aws.calls.writes == 0, aws.calls.write_calls()
    granted = (ROOT / "docs" / "cookbook.md").read_text(encoding="utf-8")
    iam_prefix = {"resourcegroupstaggingapi": "tag"}  # botocore's service name → the IAM action prefix
    assert [f"{service}:{operation}" for service, operation in sorted(aws.calls.counts)
            if f'"{iam_prefix.get(service, service)}:{operation}"' not in granted] == []


# -- the command --------------------------------------------------------------------------------

def test_cli_exits_2_with_one_greppable_summary_line_then_the_details(drifted: Deployment) -> None:
    result = drifted.cli("drift")
    assert result.exit_code == 2, result.output
    first, *details = result.stdout.splitlines()
    assert SUMMARY.match(first), first
    assert "\x1b[" not in result.stdout  # no colour without a TTY
    text = "\n".join(details)
    assert "Changed (live AWS differs from the file):" in text
    assert f"      retention: declared {DECLARED.queues['cicd-changes'].retention}, live 604800" in text
    assert f"  {EXTRA_TARGET}  (hand-added; owned: the next apply deletes it)" in text
    assert result.stderr == ""


def test_json_details_go_to_output_file_and_stdout_keeps_only_the_summary(drifted: Deployment, tmp_path: Path) -> None:
    out = tmp_path / "drift.json"
    result = drifted.cli("drift", "--format", "json", "--output", str(out))
    assert result.exit_code == 2, result.output
    assert len(result.stdout.splitlines()) == 1 and SUMMARY.match(result.stdout.strip())
    document = json.loads(out.read_text(encoding="utf-8"))
    assert set(document) == {"format_version", "topology", "environment", "region", "drift", "summary"}
    assert (document["format_version"], document["environment"], document["region"]) == (1, "prod", "sa-east-1")
    assert document["summary"] == {"changed": 6, "missing": 3, "unmanaged": 3}
    queue = next(item for item in document["drift"]["changed"] if item["address"] == "sqs.queue.cicd-changes")
    assert queue == {"address": "sqs.queue.cicd-changes", "kind": "sqs.queue",
                     "attributes": [{"path": "retention", "declared": DECLARED.queues["cicd-changes"].retention, "live": 604800}]}
    assert {"address": "sqs.queue.test-investigation", "kind": "sqs.queue"} in document["drift"]["missing"]
    assert {"address": EXTRA_TARGET, "kind": "events.target", "name": "hand-added", "owned": True} in document["drift"]["unmanaged"]


def test_json_on_stdout_is_one_document_and_the_summary_line_goes_to_stderr(drifted: Deployment) -> None:
    result = drifted.cli("drift", "--format", "json")
    assert json.loads(result.stdout)["summary"]["changed"] == 6
    assert SUMMARY.match(result.stderr.splitlines()[0])


def test_markdown_suits_an_issue_comment(drifted: Deployment) -> None:
    result = drifted.cli("drift", "--format", "markdown")
    markdown = result.stdout.split("\n", 1)[1]
    assert markdown.startswith("### cabructl drift: 6 changed, 3 missing, 3 unmanaged\n")
    assert "| Address | Attribute | Declared | Live |" in markdown
    assert f"| `sqs.queue.cicd-changes` | `retention` | `{DECLARED.queues['cicd-changes'].retention}` | `604800` |" in markdown
    assert "| `sqs.queue.test-investigation` | sqs.queue |" in markdown
    assert "**Next steps:**" in markdown


def test_notify_publishes_one_high_issue_to_the_bus_and_it_is_routed(drifted: Deployment) -> None:
    from jsonschema import Draft202012Validator, FormatChecker

    from cabructl.topology.openapi import detail_json_schema

    aws = drifted.aws()
    engine = drifted.engine(aws)
    check = check_drift(engine, timeout=60, notifier=drift_issue_publisher(engine.topology, aws))
    assert check.notified is not None and check.notified.severity == "HIGH"  # missing resources
    assert aws.calls.write_calls() == ["events:PutEvents"] and aws.calls.writes == 1
    detail = _logged_detail(drifted, check.notified.event_id)
    schema = drifted.topology.schemas["IssueDetectionEvent"]
    Draft202012Validator(detail_json_schema(schema.type, schema.content, schema.name), format_checker=FormatChecker()).validate(detail)
    assert (detail["agentId"], detail["issueType"], detail["severity"]) == ("cabructl-drift", "INFRASTRUCTURE", "HIGH")
    assert detail["description"] == check.report.summary_line()
    assert set(detail["affectedResources"]) == set(EXPECTED_CHANGED) | set(EXPECTED_MISSING) | set(EXPECTED_UNMANAGED)
    assert detail["suggestedActions"] == ["cabructl apply", "cabructl import ADDRESS"]
    assert re.search(r"[+-]\d\d:\d\d$|Z$", detail["timestamp"])


def _logged_detail(deployment: Deployment, event_id: str) -> dict[str, Any]:
    """The event as the issue-detection rule delivered it to the agents log group."""
    group = deployment.topology.log_groups["agents"].name
    events = deployment.client("logs").filter_log_events(logGroupName=group)["events"]
    delivered = [json.loads(event["message"]) for event in events]
    found = [event for event in delivered if event.get("id") == event_id]
    assert found, f"event {event_id} not delivered to {group}: {delivered}"
    return found[0]["detail"]


def test_notify_prints_the_event_on_the_summary_line(drifted: Deployment) -> None:
    result = drifted.cli("drift", "--notify", "--output", "/dev/null")
    assert result.exit_code == 2, result.output
    assert re.match(r"^cabructl drift: DRIFT .*; notified HIGH issue \S+$", result.stdout.strip())
