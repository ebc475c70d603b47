"""``cabructl publish | loadtest | dlq`` through click's runner, against moto in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cabructl.cli import cli
from cabructl.topology import Topology

from agent_backbone import Backbone
from agent_samples import failed_event, issue, send_dead_letter
from support import TOPOLOGY


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, [*args, "-f", str(TOPOLOGY)], input=input, catch_exceptions=False)


@pytest.fixture
def detail_file(tmp_path: Path) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(issue(description="from the cli").to_detail()), encoding="utf-8")
    return path


def entries_file(tmp_path: Path, details: list[dict[str, Any]], bus: str | None = None) -> Path:
    entries = [{"Source": "cabruca.agents.monitor", "DetailType": "Issue Detection Event", "Detail": json.dumps(detail),
                **({"EventBusName": bus} if bus else {})} for detail in details]
    path = tmp_path / "test-event.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def test_publish_a_detail_for_an_agent(backbone: Backbone, detail_file: Path) -> None:
    result = run("publish", "--agent", "monitor", "--detail", f"@{detail_file}")
    assert result.exit_code == 0, result.output
    [event] = backbone.received()
    assert event["id"] in result.output and event["detail"]["description"] == "from the cli"


def test_publish_entries_in_the_put_events_format(backbone: Backbone, tmp_path: Path) -> None:
    path = entries_file(tmp_path, [issue(description=str(n)).to_detail() for n in range(3)], bus=backbone.bus)
    result = run("publish", "--entries", str(path), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["summary"]["published"] == 3
    assert sorted(e["id"] for e in backbone.received()) == sorted(r["event_id"] for r in document["results"])


def test_an_invalid_detail_exits_1_naming_the_field_and_sends_nothing(backbone: Backbone, tmp_path: Path) -> None:
    detail = {**issue().to_detail(), "severity": "SEVERE"}
    result = run("publish", "--detail-type", "Issue Detection Event", "--detail", json.dumps(detail))
    assert result.exit_code == 1
    assert "detail.severity: 'SEVERE' is not one of ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']" in result.output
    assert backbone.received() == []


def test_one_bad_entry_refuses_the_whole_file(backbone: Backbone, tmp_path: Path) -> None:
    details = [issue().to_detail(), {**issue().to_detail(), "issueId": "nope"}, issue().to_detail()]
    result = run("publish", "--entries", str(entries_file(tmp_path, details)))
    assert result.exit_code == 1
    assert "nothing was sent" in result.output and "entries[1]: invalid Issue Detection Event: detail.issueId: 'nope' is not a 'uuid'" in result.output
    assert backbone.received() == []


def test_an_entry_the_topology_does_not_declare_is_refused(backbone: Backbone, tmp_path: Path) -> None:
    path = tmp_path / "entries.json"
    path.write_text(json.dumps([{"Source": "someone.else", "DetailType": "Thing", "Detail": "{}"}]), encoding="utf-8")
    result = run("publish", "--entries", str(path))
    assert result.exit_code == 1 and 'entries[0]: the topology declares no schema for source "someone.else"' in result.output


def test_publish_needs_exactly_one_kind_of_input(backbone: Backbone) -> None:
    result = run("publish", "--agent", "monitor")
    assert result.exit_code == 1 and "give either --detail" in result.output


def test_loadtest_reports_throughput_latency_cost_and_limits(backbone: Backbone) -> None:
    result = run("loadtest", "--agents", "4", "--events-per-agent", "20", "--duration", "30")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "published    80 of 80 (0 failed, 0 not sent in time)" in out
    assert "PutEvents    8 calls (0.10 per event)" in out
    assert "latency      p50 " in out and " p99 " in out
    assert '"seed" profile of' in out and "matched $" in out
    assert "limit        monitor:" in out and "BREACHES its declared volume" in out


def test_loadtest_without_batching_is_one_call_per_event(backbone: Backbone) -> None:
    result = run("loadtest", "--agents", "2", "--events-per-agent", "5", "--no-batch", "--json")
    report = json.loads(result.stdout)
    assert (report["published"], report["put_events_calls"], report["calls_per_event"]) == (10, 10, 1.0)
    assert report["cost"]["pricing"].startswith('"seed" profile')


def test_loadtest_stops_at_its_duration(backbone: Backbone) -> None:
    result = run("loadtest", "--agents", "1", "--events-per-agent", "1000", "--rate", "20", "--duration", "0.5", "--json")
    report = json.loads(result.stdout)
    assert 0 < report["published"] < 1000 and report["not_sent"] == 1000 - report["attempted"]


@pytest.fixture
def dlq_url(topology: Topology, backbone: Backbone) -> str:
    url = backbone.aws.client("sqs").create_queue(QueueName=topology.queues["eventbridge-dlq"].name)["QueueUrl"]
    send_dead_letter(backbone.aws, url, json.dumps(failed_event(issue(description="dead").to_detail())), error_code="NO_PERMISSIONS")
    return url


def test_dlq_list_counts_messages_per_queue(dlq_url: str) -> None:
    result = run("dlq", "list")
    assert result.exit_code == 0, result.output
    assert "eventbridge-dlq: 1 messages (0 in flight)  ← issue-detection-routing/issue-logs" in result.output
    assert "critical-events-dlq: missing (run `cabructl apply`)" in result.output


def test_dlq_show_prints_the_reason(dlq_url: str) -> None:
    result = run("dlq", "show", "eventbridge-dlq", "--wait", "0")
    assert result.exit_code == 0, result.output
    assert "Issue Detection Event from cabruca.agents.monitor" in result.output
    assert "error   NO_PERMISSIONS: Log group does not exist" in result.output and "retries 3 (MaximumRetryAttempts)" in result.output


def test_dlq_show_needs_a_queue(dlq_url: str) -> None:
    assert "name a QUEUE" in run("dlq", "show").output


def test_dlq_redrive_via_the_bus_asks_at_a_terminal_then_republishes(backbone: Backbone, dlq_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from cabructl.cli import agent_cmds

    monkeypatch.setattr(agent_cmds, "_stdin_is_terminal", lambda: True)
    declined = run("dlq", "redrive", "eventbridge-dlq", "--wait", "0", input="n\n")
    assert declined.exit_code == 1 and backbone.received() == []
    result = run("dlq", "redrive", "--all", "--wait", "0", "--via-bus", input="y\n")
    assert result.exit_code == 0, result.output
    assert "eventbridge-dlq: 1 redriven, 0 left in the queue" in result.output
    assert [e["detail"]["description"] for e in backbone.received()] == ["dead"]


def test_loadtest_reports_why_events_failed(topology: Topology, backbone: Backbone) -> None:
    backbone.aws.client("events").delete_event_bus(Name=topology.bus.name)
    result = run("loadtest", "--agents", "1", "--events-per-agent", "10")
    assert result.exit_code == 1
    assert "errors       10 × ResourceNotFoundException: Event bus cabruca-agents-bus does not exist." in result.stdout
