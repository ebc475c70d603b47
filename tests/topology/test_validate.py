"""`cabructl validate`: the real topology passes; each bad input names its file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from cabructl.topology import check_topology, load_topology
from support import TOPOLOGY, edit_topology, line_of


def run_validate(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", "-f", str(path), *args])
    return result.exit_code, result.output


def errors_of(path: Path, env: str | None = None) -> list[str]:
    _, diagnostics = check_topology(str(path), env)
    return [d.render() for d in diagnostics if d.severity == "error"]


def test_real_topology_is_valid() -> None:
    code, output = run_validate(TOPOLOGY)
    assert code == 0, output
    assert "valid (cabruca-segmentation/prod, 6 rules, 4 schemas, 4 agents)" in output


def test_real_topology_model_has_the_seed_facts() -> None:
    topology = load_topology(str(TOPOLOGY))
    assert topology.bus.name == "cabruca-agents-bus"
    assert topology.bus.archive is not None and topology.bus.archive.name == "cabruca-segmentation-prod-events-arch"
    assert len(topology.bus.archive.name) <= 48 and topology.bus.archive.retention_days == 7
    assert topology.registry is not None and topology.registry.name == "cabruca-segmentation-prod-agent-schemas"
    assert topology.log_groups["agents"].name == "/aws/events/cabruca-segmentation-prod/agents"
    assert topology.log_groups["agents"].retention_days == 7
    assert topology.queues["eventbridge-dlq"].name == "cabruca-segmentation-prod-eventbridge-dlq"
    assert (topology.queues["eventbridge-dlq"].retention, topology.queues["eventbridge-dlq"].visibility_timeout) == (14 * 86400, 300)
    assert (topology.queues["critical-events-dlq"].retention, topology.queues["critical-events-dlq"].visibility_timeout) == (4 * 86400, 60)
    assert all(q.receive_wait == 20 and q.encryption == "sqs" for q in topology.queues.values())
    assert sorted(topology.rules) == sorted(["issue-detection-routing", "critical-issues", "feature-request-routing",
                                             "code-change-routing", "test-results-routing", "failed-tests"])
    assert all(rule.state == "ENABLED" and rule.targets for rule in topology.rules.values())
    sns_target = topology.rules["critical-issues"].targets[0]
    assert (sns_target.kind, sns_target.retry.attempts, sns_target.retry.max_age_seconds, sns_target.dead_letter) == ("topic", 5, 1800, "critical-events-dlq")
    volumes = {name: (agent.per_day, agent.per_hour) for name, agent in topology.agents.items()}
    assert volumes == {"monitor": (50000, 2100), "product": (5000, 200), "developer": (20000, 850), "tester": (30000, 1250)}
    assert topology.budget is not None and (topology.budget.monthly_usd, topology.budget.alert_ratio) == (10, 0.9)
    assert set(topology.outputs) == {"event_bus_name", "event_bus_arn", "schema_registry_name", "dlq_url", "critical_dlq_url",
                                     "agent_event_publisher_policy_arn", "agent_publisher_policy_arns", "critical_alerts_topic_arn"}
    assert topology.publisher_policy is not None and topology.publisher_policy.publish == "none"  # no agent publishes as another


def test_dev_environment_overrides_region_names_budget_and_volumes() -> None:
    topology = load_topology(str(TOPOLOGY), "dev")
    assert (topology.environment, topology.region, topology.bus.name) == ("dev", "us-east-1", "cabruca-agents-bus-dev")
    assert topology.queues["eventbridge-dlq"].name == "cabruca-segmentation-dev-eventbridge-dlq"
    assert topology.log_groups["agents"].name == "/aws/events/cabruca-segmentation-dev/agents"
    assert topology.budget is not None and topology.budget.monthly_usd == 5
    assert topology.agents["monitor"].per_day == 5000
    assert topology.tags["Environment"] == "dev"


def test_unknown_environment_names_the_known_ones() -> None:
    code, output = run_validate(TOPOLOGY, "--env", "prdo")
    assert code == 1
    assert 'unknown environment "prdo"; the file defines: dev, prod' in output
    assert 'did you mean "prod"?' in output


def test_json_format_lists_diagnostics(topology_copy: Path) -> None:
    edit_topology(topology_copy, "retention: 7d\n\nagents:", "retention: 8d\n\nagents:")
    code, output = run_validate(topology_copy, "--format", "json")
    document = json.loads(output)
    assert code == 1 and document["valid"] is False
    assert document["diagnostics"][0]["line"] == line_of(topology_copy, "retention: 8d")
    assert document["diagnostics"][0]["path"] == "log_groups.agents.retention"


# Each case: (id, text to replace, replacement, fragment of the line the error must name, message fragment)
SEMANTIC_CASES = [
    ("dangling-dlq", "dead_letter: critical-events-dlq", "dead_letter: critcal-events-dlq", "critcal-events-dlq",
     'no queue "critcal-events-dlq" — did you mean "critical-events-dlq"?'),
    ("dangling-topic", "topic: critical-alerts", "topic: critical-alert", "topic: critical-alert", 'no topic "critical-alert"'),
    ("agent-unknown-schema", "events: [IssueDetectionEvent]", "events: [IssueDetectionEvnt]", "IssueDetectionEvnt", 'no schema "IssueDetectionEvnt"'),
    ("alarm-unknown-topic", "actions: [critical-alerts]", "actions: [alerts]", "actions: [alerts]", 'no topic "alerts"'),
    ("output-unknown-queue", "dlq_url: queues.eventbridge-dlq.url", "dlq_url: queues.eventbridge.url", "queues.eventbridge.url", 'no resource "queues.eventbridge"'),
    ("log-retention-not-allowed", "retention: 7d\n\nagents:", "retention: 10d\n\nagents:", "retention: 10d", "log retention must be one of"),
    ("sqs-retention-too-long", "retention: 14d\n    visibility_timeout: 5m", "retention: 15d\n    visibility_timeout: 5m", "retention: 15d", "outside AWS's range 60s–1209600s"),
    ("sqs-visibility-too-long", "visibility_timeout: 1m", "visibility_timeout: 13h", "visibility_timeout: 13h", "visibility timeout 46800s"),
    ("sqs-receive-wait-too-long", "receive_wait: 20s\n    encryption: sqs\n  critical", "receive_wait: 21s\n    encryption: sqs\n  critical", "receive_wait: 21s", "receive wait 21s"),
    ("retry-attempts", "retry: {attempts: 5, max_age: 30m}", "retry: {attempts: 186, max_age: 30m}", "attempts: 186", "retry attempts 186"),
    ("retry-age-too-short", "retry: {attempts: 5, max_age: 30m}", "retry: {attempts: 5, max_age: 59s}", "max_age: 59s", "retry max age 59s"),
    ("rule-name-too-long", "  failed-tests:\n", "  failed-tests-" + "x" * 40 + ":\n", "failed-tests-xxx", "rule name"),
    ("archive-name-too-long", 'name: "{prefix}events-arch"', 'name: "{prefix}events-archive-of-agents"', "events-archive-of-agents", "AWS allows at most 48"),
    ("queue-name-bad-characters", "  cicd-changes:\n    retention", "  cicd.changes:\n    retention", "cicd.changes:", "queue name"),
    ("pattern-scalar-leaf", "severity: [CRITICAL, HIGH]", "severity: CRITICAL", "severity: CRITICAL", "severity"),
    ("pattern-unknown-operator", "severity: [{exists: true}]", "severity: [{exist: true}]", "severity: [{exist: true}]", "exist"),
]


# Cases that needed multi-line edits of the real topology live as fixtures now
# (tests/fixtures/topologies/bad: dangling-log-group, duplicate-target-id, fifo-dead-letter,
# role-on-a-logs-target), pinned by their validate.txt snapshots.
@pytest.mark.parametrize("old,new,line_fragment,message", [case[1:] for case in SEMANTIC_CASES], ids=[case[0] for case in SEMANTIC_CASES])
def test_semantic_errors_name_the_line(topology_copy: Path, old: str, new: str, line_fragment: str, message: str) -> None:
    edit_topology(topology_copy, old, new)
    errors = errors_of(topology_copy)
    expected_line = line_of(topology_copy, line_fragment)
    matching = [error for error in errors if message in error]
    assert matching, f"no error containing {message!r} in {errors}"
    assert any(f"topology.yaml:{expected_line}:" in error for error in matching), f"expected line {expected_line}: {matching}"


def test_too_many_targets_and_rules(topology_copy: Path) -> None:
    extra_targets = "".join(f"      - id: extra-{n}\n        queue: cicd-changes\n" for n in range(5))
    edit_topology(topology_copy, "        dead_letter: eventbridge-dlq\n\n  critical-issues:",
                  "        dead_letter: eventbridge-dlq\n" + extra_targets + "\n  critical-issues:")
    assert any("6 targets; a rule takes at most 5" in error for error in errors_of(topology_copy))


def test_openapi_required_field_must_be_declared(topology_copy: Path) -> None:
    schema_file = topology_copy.parent / "schemas" / "IssueDetectionEvent.yaml"
    edit_topology(schema_file, "required: [issueId, timestamp, severity, agentId, issueType, description]",
                  "required: [issueId, timestamp, severity, agentId, issueType, descripton]")
    errors = errors_of(topology_copy)
    line = line_of(schema_file, "descripton")
    assert any('required field "descripton" is not declared' in e and f"IssueDetectionEvent.yaml:{line}:" in e for e in errors), errors


def test_all_errors_are_reported_at_once_and_sorted(topology_copy: Path) -> None:
    edit_topology(topology_copy, "topic: critical-alerts", "topic: nope")
    edit_topology(topology_copy, "retention: 7d\n\nagents:", "retention: 8d\n\nagents:")
    edit_topology(topology_copy, "dead_letter: critical-events-dlq", "dead_letter: nope")
    errors = errors_of(topology_copy)
    assert len(errors) == 3
    lines = [int(error.split(":")[1]) for error in errors]
    assert lines == sorted(lines)
