"""`cabructl test-event` and `cabructl routes`: offline routing with EventBridge semantics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from support import ROOT, TOPOLOGY, edit_topology


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def detail(**fields: object) -> str:
    return json.dumps(fields)


# (id, source, detail-type, detail, expected rules)
CASES = [
    ("critical-issue", "cabruca.agents.monitor", "Issue Detection Event", {"severity": "CRITICAL"}, ["issue-detection-routing", "critical-issues"]),
    ("low-issue", "cabruca.agents.monitor", "Issue Detection Event", {"severity": "LOW"}, ["issue-detection-routing"]),
    ("issue-without-severity", "cabruca.agents.monitor", "Issue Detection Event", {}, []),
    ("merged-change", "cabruca.agents.developer", "Code Change Event", {"status": "MERGED"}, ["code-change-routing"]),
    ("proposed-change", "cabruca.agents.developer", "Code Change Event", {"status": "PROPOSED"}, []),
    ("failed-run", "cabruca.agents.tester", "Test Results Event", {"status": "FAILED"}, ["test-results-routing", "failed-tests"]),
    ("feature-request", "cabruca.agents.product", "Feature Request Event", {"priority": "LOW"}, ["feature-request-routing"]),
    ("wrong-source", "cabruca.agents.tester", "Issue Detection Event", {"severity": "HIGH"}, []),
]


@pytest.mark.parametrize("source,detail_type,fields,rules", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_flags_route_an_event(source: str, detail_type: str, fields: dict, rules: list[str]) -> None:
    code, output = invoke("test-event", "-f", str(TOPOLOGY), "--source", source, "--detail-type", detail_type,
                          "--detail", json.dumps(fields), "--json")
    assert code == (0 if rules else 2)
    [route] = json.loads(output)
    assert route["rules"] == rules
    assert route["event"]["source"] == source and route["event"]["region"] == "sa-east-1" and route["event"]["id"]


def test_seed_entries_file_shows_targets_retry_and_dlq(tmp_path: Path) -> None:
    entries = [{"Source": "cabruca.agents.monitor", "DetailType": "Issue Detection Event",
                "Detail": json.dumps({"severity": "HIGH"}), "EventBusName": "cabruca-agents-bus"}]
    (tmp_path / "test-event.json").write_text(json.dumps(entries), encoding="utf-8")
    code, output = invoke("test-event", str(tmp_path / "test-event.json"), "-f", str(TOPOLOGY))
    assert code == 0
    assert "rule critical-issues" in output
    assert "SNS topic cabruca-segmentation-prod-critical-alerts (target critical-issues-sns); retry 5 times within 30m; " \
           "DLQ cabruca-segmentation-prod-critical-events-dlq" in output


def test_full_envelope_list_exits_2_when_one_matches_nothing(tmp_path: Path) -> None:
    events = [{"source": "cabruca.agents.product", "detail-type": "Feature Request Event", "detail": {}},
              {"source": "someone.else", "detail-type": "Other", "detail": {}}]
    (tmp_path / "events.json").write_text(json.dumps(events), encoding="utf-8")
    code, output = invoke("test-event", str(tmp_path / "events.json"), "-f", str(TOPOLOGY), "--json")
    assert code == 2
    assert [route["rules"] for route in json.loads(output)] == [["feature-request-routing"], []]


@pytest.mark.parametrize("content,message", [
    ("[1]", "an event must be a JSON object"),
    ('[{"Source": "x", "DetailType": "y", "Detail": "{bad"}]', "entries[0]: Detail is not valid JSON"),
    ('[{"Source": "x", "DetailType": "y", "Detail": "{}", "EventBusName": "other-bus"}]', "is not this topology's bus"),
    ('{"detail": {}}', "missing source, detail-type"),
    ("not json", "is not valid JSON"),
], ids=["not-an-object", "detail-not-json", "other-bus", "incomplete-envelope", "not-json"])
def test_bad_event_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "event.json").write_text(content, encoding="utf-8")
    code, output = invoke("test-event", str(tmp_path / "event.json"), "-f", str(TOPOLOGY))
    assert code == 1 and message in output and "Traceback" not in output


def test_routes_lists_each_agent_and_no_warning_for_the_real_topology() -> None:
    code, output = invoke("routes", "-f", str(TOPOLOGY), "--format", "json")
    document = json.loads(output)
    assert code == 0 and document["warnings"] == []
    by_agent = {route["agent"]: route["rules"] for route in document["agents"]}
    assert by_agent == {"monitor": ["issue-detection-routing", "critical-issues"], "product": ["feature-request-routing"],
                        "developer": ["code-change-routing"], "tester": ["test-results-routing", "failed-tests"]}


def test_routes_warns_about_unreachable_and_catch_all_rules(topology_copy: Path) -> None:
    edit_topology(topology_copy, "\n\nqueues:\n", """
  nobody-sends-this:
    pattern: {source: [cabruca.agents.ghost]}
    targets: [{id: t, queue: cicd-changes}]
  everything:
    pattern: {detail-type: [{prefix: ""}]}
    targets: [{id: t, queue: cicd-changes}]

queues:
""")
    code, output = invoke("routes", "-f", str(topology_copy))
    assert code == 0
    assert "warning: rule nobody-sends-this: no declared agent sends an event it can match" in output
    assert "warning: rule everything: matches events from any source — every event on the bus" in output


def test_docs_show_the_current_mermaid_diagram() -> None:
    _, diagram = invoke("routes", "-f", str(TOPOLOGY), "--format", "mermaid")
    assert diagram.strip() in (ROOT / "docs" / "routes.md").read_text(encoding="utf-8")
