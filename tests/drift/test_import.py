"""cabructl import: live values back into topology.yaml, as a person would have edited it."""

from __future__ import annotations

import json

import pytest

from cabructl.engine.drift import detect_drift
from cabructl.topology import load_topology
from drift_support import Deploy, Deployment, changed_lines



def import_(deployment: Deployment, *addresses: str, yes: bool = True) -> tuple[str, str, int, str]:
    """Run the command; returns (file before, file after, exit code, output)."""
    before = deployment.file.read_text(encoding="utf-8")
    result = deployment.cli("import", *addresses, *(["--yes"] if yes else []))
    return before, deployment.file.read_text(encoding="utf-8"), result.exit_code, result.output  # stdout and stderr


def raw(deployment: Deployment, *path: str) -> object:
    """A value as the file writes it (``4d``, ``7500``), so expectations follow edits to topology.yaml."""
    value: object = deployment.topology.document
    for key in path:
        value = value[key]  # type: ignore[index]
    return value


def test_import_one_address_then_the_rest_each_value_in_the_files_style(deploy: Deploy) -> None:
    deployment = deploy()
    retention = raw(deployment, "queues", "cicd-changes", "retention")
    threshold = raw(deployment, "monitoring", "cost_alarm", "threshold")
    cost_center = raw(deployment, "bus", "tags", "CostCenter")
    deployment.set_queue_attribute("cicd-changes", "MessageRetentionPeriod", "604800")
    deployment.put_pattern("critical-issues", {"source": ["cabruca.agents.monitor"], "detail-type": ["Issue Detection Event"],
                                               "detail": {"severity": ["CRITICAL"]}})
    target = deployment.target("failed-tests", "failed-tests-queue")
    deployment.put_target("failed-tests", {**target, "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 5400}})
    deployment.put_alarm_threshold(7000.0)  # values inside the cost and retention policy: apply runs below
    deployment.client("logs").put_retention_policy(logGroupName=deployment.topology.log_groups["agents"].name, retentionInDays=5)
    deployment.client("events").tag_resource(ResourceARN=f"arn:aws:events:sa-east-1:123456789012:event-bus/{deployment.bus}",
                                             Tags=[{"Key": "CostCenter", "Value": "Platform"}])
    deployment.retitle_dashboard_widget("Renamed by hand")

    # One address: exactly its line changes, and it no longer drifts.
    before, after, code, output = import_(deployment, "sqs.queue.cicd-changes")
    assert code == 0, output
    assert changed_lines(before, after) == [(f"    retention: {retention}", "    retention: 7d")]
    assert f'~ queues.cicd-changes.retention: "{retention}" → "7d"  [sqs.queue.cicd-changes; base document;' in output
    assert "Still drifting" not in output  # the import re-reads drift: the queue no longer drifts

    # No address: every changed resource; what cannot be written back is said, and left alone.
    before, after, code, output = import_(deployment)
    assert code == 0, output
    assert sorted(changed_lines(before, after)) == sorted([
        ("        severity: [CRITICAL, HIGH]", "        severity: [CRITICAL]"),
        ("        retry: {attempts: 3, max_age: 1h}", "        retry: {attempts: 1, max_age: 90m}"),
        (f"    threshold: {threshold}", "    threshold: 7000"),
        ("    retention: 7d", "    retention: 5d"),
        (f"    CostCenter: {cost_center}", "    CostCenter: Platform"),
    ])
    assert '~ rules.critical-issues.pattern.detail.severity[1]: "HIGH" → null  [events.rule.critical-issues;' in output
    assert ("not imported: cloudwatch.dashboard.dashboard body: generated from the rules, queues and bus; "
            "`cabructl apply` restores it") in output

    # apply restores the dashboard; nothing else is left to do.
    applied = deployment.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert deployment.cli("drift").exit_code == 0


def test_with_env_a_value_goes_to_the_override_that_sets_it(deploy: Deploy) -> None:
    deployment = deploy(("  prod: {}\n", "  prod:\n    queues:\n      cicd-changes: {retention: 2d}\n"), env="prod")
    deployment.set_queue_attribute("cicd-changes", "MessageRetentionPeriod", "259200")
    deployment.set_queue_attribute("product-requests", "MessageRetentionPeriod", "864000")

    before, after, code, output = import_(deployment, "sqs.queue.cicd-changes", "sqs.queue.product-requests")

    assert code == 0, output
    assert sorted(changed_lines(before, after)) == [
        ("      cicd-changes: {retention: 2d}", "      cicd-changes: {retention: 3d}"),
        ("    retention: 14d", "    retention: 10d"),
    ]
    assert "[sqs.queue.cicd-changes; environments.prod override;" in output
    assert "[sqs.queue.product-requests; base document;" in output
    assert deployment.cli("drift").exit_code == 0


def test_an_owned_rule_the_file_stopped_declaring_is_declared_again(deploy: Deploy) -> None:
    deployment = deploy()
    original = load_topology(str(deployment.file)).rules["failed-tests"]
    text = deployment.file.read_text(encoding="utf-8")
    start, end = text.index("  failed-tests:\n"), text.index("queues:\n")
    deployment.file.write_text(text[:start].rstrip("\n") + "\n\n" + text[end:], encoding="utf-8")
    assert [(item.address, item.owned) for item in detect_drift(deployment.engine()).unmanaged] == [
        ("events.rule.failed-tests", True), ("events.target.failed-tests/failed-tests-queue", True)]  # apply would delete them

    _, after, code, output = import_(deployment, "events.rule.failed-tests")

    assert code == 0, output
    declared = load_topology(str(deployment.file)).rules["failed-tests"]
    assert (declared.pattern, declared.description, declared.targets) == (original.pattern, original.description, original.targets)
    assert after == text  # the same declaration, written as the file had it
    assert deployment.cli("drift").exit_code == 0


def test_a_hand_made_rule_and_an_extra_target_are_declared_and_taken_over(deploy: Deploy) -> None:
    deployment = deploy()
    events = deployment.client("events")
    name = deployment.prefix + "by-hand"
    events.put_rule(Name=name, EventBusName=deployment.bus, EventPattern=json.dumps({"source": ["cabruca.agents.product"]}),
                    Description="made in the console")
    dead_letter = {"Arn": deployment.queue_arn("eventbridge-dlq")}  # the policy wants one on every target
    events.put_targets(Rule=name, EventBusName=deployment.bus,
                       Targets=[{"Id": "to-cicd", "Arn": deployment.queue_arn("cicd-changes"), "DeadLetterConfig": dead_letter}])
    deployment.put_target("code-change-routing", {"Id": "audit", "Arn": deployment.queue_arn("critical-events-dlq"),
                                                  "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600},
                                                  "DeadLetterConfig": dead_letter})

    # An extra target on a managed rule: appended to its rule's targets, in the file's style.
    before, after, code, output = import_(deployment, "events.target.code-change-routing/audit")
    assert code == 0, output
    added = ("      - id: audit\n"
             "        queue: critical-events-dlq\n"
             "        retry: {attempts: 2, max_age: 10m}\n"
             "        dead_letter: eventbridge-dlq\n")
    assert after == before.replace("        queue: cicd-changes\n        retry: {attempts: 3, max_age: 1h}\n"
                                   "        dead_letter: eventbridge-dlq\n",
                                   "        queue: cicd-changes\n        retry: {attempts: 3, max_age: 1h}\n"
                                   "        dead_letter: eventbridge-dlq\n" + added, 1)

    # A rule cabructl does not own: declared after the last rule, then tagged (adopted).
    before, after, code, output = import_(deployment, "events.rule.by-hand")
    assert code == 0, output
    declared = ("\n"
                "  by-hand:\n"
                "    description: made in the console\n"
                "    pattern:\n"
                "      source: [cabruca.agents.product]\n"
                "    targets:\n"
                "      - id: to-cicd\n"
                "        queue: cicd-changes\n"
                "        retry: {attempts: 185, max_age: 1d}\n"  # AWS's defaults, made explicit
                "        dead_letter: eventbridge-dlq\n")
    assert after == before.replace("\nqueues:\n", declared + "\nqueues:\n", 1)
    assert "then take over (tag as managed by this topology) and apply: events.rule.by-hand" in output
    tags = events.list_tags_for_resource(ResourceARN=events.describe_rule(Name=name, EventBusName=deployment.bus)["Arn"])["Tags"]
    assert {"Key": "managed-by", "Value": "cabructl"} in tags
    assert deployment.cli("drift").exit_code == 0


# -- refusals: nothing is written ------------------------------------------------------------------

@pytest.fixture(scope="module")
def refusing(module_deploy: Deploy) -> Deployment:
    """A deployment with a changed queue, a deleted one and an alarm threshold the file cannot
    hold; the tests below never leave the file changed."""
    deployment = module_deploy()
    deployment.set_queue_attribute("cicd-changes", "MessageRetentionPeriod", "604800")
    deployment.client("sqs").delete_queue(QueueUrl=deployment.queue_url("test-investigation"))
    deployment.put_alarm_threshold(-1.0)  # CloudWatch takes it; the topology language does not
    return deployment


def test_without_a_tty_and_without_yes_nothing_is_written(refusing: Deployment) -> None:
    before, after, code, output = import_(refusing, "sqs.queue.cicd-changes", yes=False)

    assert code == 1
    assert before == after
    assert "import needs confirmation: run it in a terminal or pass --yes; nothing was written." in output


@pytest.mark.parametrize(("addresses", "messages"), [
    (["sqs.queue.cicd-change"], ['sqs.queue.cicd-change has no drift (did you mean "sqs.queue.cicd-changes"?)']),
    (["sqs.queue.cicd-changes", "sqs.queue.nope", "sqs.queue.test-investigation"],  # every problem, nothing written
     ["sqs.queue.nope has no drift",
      "sqs.queue.test-investigation is declared but not in AWS: there is nothing to import (`cabructl apply` creates it"]),
])
def test_addresses_without_importable_drift_are_refused(refusing: Deployment, addresses: list[str], messages: list[str]) -> None:
    before, after, code, output = import_(refusing, *addresses)

    assert code == 1
    assert before == after
    assert "error[import-refused]: nothing was imported:" in output
    for message in messages:
        assert message in output


def test_an_import_that_would_break_the_topology_is_undone(refusing: Deployment) -> None:
    before, after, code, output = import_(refusing, "cloudwatch.alarm.cost_alarm")

    assert code == 1
    assert before == after
    assert "monitoring.cost_alarm.threshold: -1 is less than the minimum of 0" in output
