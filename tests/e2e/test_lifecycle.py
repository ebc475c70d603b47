"""The whole lifecycle through the real `cabructl` process against the local endpoint over HTTP.

validate → plan (creates) → apply → plan (no changes) → events delivered for all six
rules (SNS included; the AWS CLI as an independent client) → change the topology →
plan shows exactly those changes → apply → plan empty → destroy → nothing owned left.
The steps build on each other, so they run in file order in one module.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from cabructl.topology import load_topology
from e2e_driver import REGION, Cli
from support import edit_topology, every_item

DELIVERY_TIMEOUT = 10.0


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def plan_json(cli: Cli) -> dict[str, Any]:
    return json.loads(cli.run("plan", "--json", check=None).stdout)


def test_validate(cli: Cli) -> None:
    assert "valid (cabruca-segmentation/prod" in cli.run("validate").stdout


def test_first_plan_creates_everything(cli: Cli) -> None:
    result = cli.run("plan", "--detailed-exitcode", check=2)
    assert "Plan: " in result.stdout and "to create, 0 to update, 0 to replace, 0 to delete" in result.stdout
    document = plan_json(cli)
    assert document["format_version"] == 1 and document["region"] == REGION
    actions = {change["action"] for change in document["changes"]}
    assert actions == {"create"}
    addresses = {change["address"] for change in document["changes"]}
    for expected in ("events.rule.critical-issues", "events.target.critical-issues/critical-issues-sns",
                     "sqs.queue.eventbridge-dlq", "sns.topic.critical-alerts", "logs.group.agents"):
        assert expected in addresses


def test_apply_then_plan_is_empty(cli: Cli) -> None:
    applied = cli.run("apply", "--auto-approve")
    assert "Apply complete" in applied.stdout
    again = cli.run("plan", "--detailed-exitcode", check=0)
    assert "No changes" in again.stdout


def live_policy(endpoint: str, name: str) -> dict[str, Any]:
    """The default version of a managed policy as IAM holds it (the document apply wrote)."""
    iam = client("iam", endpoint)
    arn = next(p["Arn"] for p in every_item(iam, "list_policies", "Policies", Scope="Local") if p["PolicyName"] == name)
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return json.loads(document) if isinstance(document, str) else document


def may_publish(document: dict[str, Any], bus_arn: str, source: str, detail_type: str) -> bool:
    from cabructl.policy.iam import Request, identity_allows

    context = {"events:source": source, "events:detail-type": detail_type}
    return identity_allows([document], Request("", "events:PutEvents", bus_arn, context))


def test_each_agents_live_policy_lets_it_publish_as_itself_only(workdir: Path, endpoint: str) -> None:
    """The policies as applied, proven with the policy evaluator: no agent may publish as another."""
    topology = load_topology(str(workdir / "topology.yaml"))
    bus_arn = client("events", endpoint).describe_event_bus(Name=topology.bus.name)["Arn"]
    monitor = live_policy(endpoint, f"{topology.prefix}monitor-publisher")
    product = live_policy(endpoint, f"{topology.prefix}product-publisher")
    assert may_publish(monitor, bus_arn, "cabruca.agents.monitor", "Issue Detection Event")
    assert not may_publish(monitor, bus_arn, "cabruca.agents.monitor", "Code Change Event")
    assert not may_publish(monitor, bus_arn, "cabruca.agents.developer", "Code Change Event")
    assert may_publish(product, bus_arn, "cabruca.agents.product", "Feature Request Event")
    assert not may_publish(product, bus_arn, "cabruca.agents.monitor", "Feature Request Event")
    shared = live_policy(endpoint, f"{topology.prefix}agent-event-publisher")  # the seed's, kept for what is attached
    assert not may_publish(shared, bus_arn, "cabruca.agents.monitor", "Issue Detection Event")


def test_outputs_through_local_without_any_aws_configuration(cli: Cli, local_state: Path, workdir: Path) -> None:
    """`--local` finds the running endpoint by itself: no AWS variable is exported."""
    bare = {key: value for key, value in cli.env.items() if not key.startswith("AWS_")}
    local = Cli(workdir, {**bare, "CABRUCTL_LOCAL_STATE": str(local_state)})
    outputs = json.loads(local.run("outputs", "--local", "--json").stdout)
    assert outputs["event_bus_name"] == "cabruca-agents-bus"
    assert outputs["event_bus_arn"].endswith(":event-bus/cabruca-agents-bus")
    assert outputs["schema_registry_name"] == "cabruca-segmentation-prod-agent-schemas"
    assert outputs["dlq_url"].endswith("/cabruca-segmentation-prod-eventbridge-dlq")
    assert outputs["critical_dlq_url"].endswith("/cabruca-segmentation-prod-critical-events-dlq")
    assert outputs["agent_event_publisher_policy_arn"].endswith(":policy/cabruca-segmentation-prod-agent-event-publisher")
    assert {agent: arn.rsplit("/", 1)[1] for agent, arn in outputs["agent_publisher_policy_arns"].items()} == {
        agent: f"cabruca-segmentation-prod-{agent}-publisher" for agent in ("developer", "monitor", "product", "tester")}
    text = local.run("outputs", "--local").stdout  # a map prints one line per agent
    assert re.search(r"^agent_publisher_policy_arns\.monitor +=.*:policy/cabruca-segmentation-prod-monitor-publisher$", text, re.M)
    assert outputs["critical_alerts_topic_arn"].endswith(":cabruca-segmentation-prod-critical-alerts")


def test_apply_without_tty_or_approval_refuses(cli: Cli, workdir: Path) -> None:
    edit_topology(workdir / "topology.yaml", "display_name: Cabruca critical alerts", "display_name: Cabruca alerts")
    refused = cli.run("apply", check=1)
    assert "--auto-approve" in refused.stderr
    edit_topology(workdir / "topology.yaml", "display_name: Cabruca alerts", "display_name: Cabruca critical alerts")
    assert "No changes." in cli.run("plan", "--detailed-exitcode", check=0).stdout  # nothing was applied


def test_aws_cli_sees_the_six_rules_with_their_patterns(cli: Cli, workdir: Path) -> None:
    topology = load_topology(str(workdir / "topology.yaml"))
    listed = json.loads(cli.aws("events", "list-rules", "--event-bus-name", topology.bus.name).stdout)["Rules"]
    # The archive's rule is AWS's own (ManagedBy), not one of the topology's.
    live = {rule["Name"]: json.loads(rule["EventPattern"]) for rule in listed if not rule.get("ManagedBy")}
    declared = {rule.name: rule.pattern for rule in topology.rules.values()}
    assert live == declared
    assert all(rule["State"] == "ENABLED" for rule in listed)


def test_aws_cli_put_events_is_routed(cli: Cli, workdir: Path, endpoint: str) -> None:
    """The seed's integration test: `aws events put-events --entries file://test-event.json`."""
    topology = load_topology(str(workdir / "topology.yaml"))
    detail = {"requestId": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "timestamp": "2026-11-27T10:00:00Z", "agentId": "product-001",
              "featureType": "API", "priority": "LOW", "description": "seed integration test"}
    entries = [{"Source": "cabruca.agents.product", "DetailType": "Feature Request Event",
                "Detail": json.dumps(detail), "EventBusName": topology.bus.name}]
    (workdir / "test-event.json").write_text(json.dumps(entries), encoding="utf-8")
    response = json.loads(cli.aws("events", "put-events", "--entries", "file://test-event.json").stdout)
    assert response["FailedEntryCount"] == 0
    bodies = wait_for_messages(client("sqs", endpoint), topology.queues["product-requests"].name, count=1)
    assert json.loads(bodies[0])["detail"]["description"] == "seed integration test"


# One event per rule: (source, detail-type, detail fields, destinations as (section, logical))
EVENTS = [
    ("cabruca.agents.monitor", "Issue Detection Event", {"severity": "LOW"}, {("log_group", "agents")}),
    ("cabruca.agents.monitor", "Issue Detection Event", {"severity": "CRITICAL"}, {("log_group", "agents"), ("topic", "critical-alerts")}),
    ("cabruca.agents.product", "Feature Request Event", {}, {("queue", "product-requests")}),
    ("cabruca.agents.developer", "Code Change Event", {"status": "APPROVED"}, {("queue", "cicd-changes")}),
    ("cabruca.agents.developer", "Code Change Event", {"status": "PROPOSED"}, set()),
    ("cabruca.agents.tester", "Test Results Event", {"status": "PASSED"}, {("log_group", "agents")}),
    ("cabruca.agents.tester", "Test Results Event", {"status": "ERROR"}, {("log_group", "agents"), ("queue", "test-investigation")}),
]


def test_every_rule_delivers_to_its_targets(workdir: Path, endpoint: str) -> None:
    topology = load_topology(str(workdir / "topology.yaml"))
    sqs, sns, events, logs = (client(name, endpoint) for name in ("sqs", "sns", "events", "logs"))
    observer = sqs.create_queue(QueueName="e2e-alerts-observer")["QueueUrl"]
    observer_arn = sqs.get_queue_attributes(QueueUrl=observer, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(topology.topics["critical-alerts"].name))
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=observer_arn)
    markers = []
    for index, (source, detail_type, fields, _) in enumerate(EVENTS):
        marker = f"e2e-marker-{index}"
        markers.append(marker)
        entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps({"marker": marker, **fields}), "EventBusName": topology.bus.name}
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    arrived: dict[tuple[str, str], str] = {}
    for logical, queue in topology.queues.items():
        arrived[("queue", logical)] = "\n".join(drain(sqs, queue.name))
    arrived[("topic", "critical-alerts")] = "\n".join(drain_url(sqs, observer))
    arrived[("log_group", "agents")] = "\n".join(e["message"] for e in logs.filter_log_events(logGroupName=topology.log_groups["agents"].name)["events"])
    for marker, (_, _, _, destinations) in zip(markers, EVENTS):
        reached = {destination for destination, text in arrived.items() if marker in text}
        assert reached == destinations, (marker, reached)


def test_changed_topology_plans_exactly_those_changes(cli: Cli, workdir: Path) -> None:
    path = workdir / "topology.yaml"
    edit_topology(path, "retention: 7d\n\nagents:", "retention: 3d\n\nagents:")
    edit_topology(path, "severity: [CRITICAL, HIGH]", "severity: [CRITICAL, HIGH, MEDIUM]")
    text = path.read_text(encoding="utf-8")
    start = text.index("  failed-tests:\n")
    end = text.index("\nqueues:")
    path.write_text(text[:start] + text[end + 1:], encoding="utf-8")
    document = plan_json(cli)
    changes = {change["address"]: change for change in document["changes"]}
    assert changes["logs.group.agents"]["action"] == "update"
    assert changes["logs.group.agents"]["diff"] == [{"path": "retention_days", "before": 7, "after": 3}]
    assert changes["events.rule.critical-issues"]["action"] == "update"
    assert any(d["path"].startswith("pattern.detail.severity") for d in changes["events.rule.critical-issues"]["diff"])
    assert changes["events.rule.failed-tests"]["action"] == "delete"
    assert changes["events.target.failed-tests/failed-tests-queue"]["action"] == "delete"
    # Derived resources follow the rules: the investigation queue loses its only sender, the
    # shared DLQ loses one, the dashboard loses the rule's lines. Nothing else changes.
    derived = {"sqs.queue.test-investigation", "sqs.queue.eventbridge-dlq", "cloudwatch.dashboard.dashboard"}
    expected = {"logs.group.agents", "events.rule.critical-issues", "events.rule.failed-tests",
                "events.target.failed-tests/failed-tests-queue"} | derived
    assert set(changes) == expected, sorted(set(changes) ^ expected)
    assert document["summary"] == {"create": 0, "update": 5, "replace": 0, "delete": 2}


def test_apply_changes_then_plan_is_empty(cli: Cli) -> None:
    assert "Apply complete" in cli.run("apply", "--auto-approve").stdout
    assert "No changes." in cli.run("plan", "--detailed-exitcode", check=0).stdout


def test_destroy_refuses_data_loss_then_leaves_nothing_owned(cli: Cli, workdir: Path, endpoint: str) -> None:
    topology = load_topology(str(workdir / "topology.yaml"))
    sqs = client("sqs", endpoint)
    url = sqs.get_queue_url(QueueName=topology.queues["cicd-changes"].name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="keep me")
    refused = cli.run("destroy", "--auto-approve", check=1)
    assert "holds 1 message" in refused.stdout + refused.stderr
    cli.run("destroy", "--auto-approve", "--allow-data-loss")
    document = plan_json(cli)
    assert {change["action"] for change in document["changes"]} == {"create"}, "something owned is still live"
    assert not [u for u in sqs.list_queues(QueueNamePrefix=topology.prefix).get("QueueUrls", [])]
    assert topology.bus.name not in [bus["Name"] for bus in client("events", endpoint).list_event_buses()["EventBuses"]]


def drain(sqs: Any, name: str) -> list[str]:
    return drain_url(sqs, sqs.get_queue_url(QueueName=name)["QueueUrl"])


def drain_url(sqs: Any, url: str) -> list[str]:
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def wait_for_messages(sqs: Any, name: str, count: int) -> list[str]:
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    bodies: list[str] = []
    while len(bodies) < count and time.monotonic() < deadline:
        bodies += drain(sqs, name)
    if len(bodies) < count:
        pytest.fail(f"{name}: {len(bodies)} of {count} messages arrived")
    return bodies
