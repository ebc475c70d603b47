"""The seed client's four example agents, with only their import changed, on the local endpoint.

The topology is applied with cabructl's own engine to an in-process local AWS;
each example then publishes exactly as the seed's did (``EventBridgeAgent(agent_id=…)``,
nothing else: bus, region and schemas come from topology.yaml, the endpoint from
AWS_ENDPOINT_URL) and its event must reach every target of every rule that
matches it — and no other.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

import pytest

from cabructl.agents import (  # the seed imported these from eventbridge_agent_example
    ChangeType,
    CodeChangeEvent,
    EventBridgeAgent,
    EventResult,
    FeatureRequestEvent,
    FeatureType,
    IssueDetectionEvent,
    IssueType,
    Severity,
    TestResultsEvent,
    TestType,
)
from cabructl.agents.events import TypedEvent
from cabructl.aws import Aws, AwsSettings
from cabructl.local import LocalAws
from cabructl.topology import Topology

from support import TOPOLOGY


REGION = "sa-east-1"
ALERTS_PROBE = "critical-alerts-probe"


# -- the examples, written against the seed's API ------------------------------------------------
Example = Callable[[], "tuple[TypedEvent, EventResult]"]


def example_monitoring_agent() -> tuple[TypedEvent, EventResult]:
    agent = EventBridgeAgent(agent_id="monitor-agent-001")
    issue = IssueDetectionEvent.create(
        agent_id="monitor-agent-001", severity=Severity.HIGH, issue_type=IssueType.PERFORMANCE,
        description="p95 latency of /api/segment above 5 s",
        affectedResources=["ecs-task-api-001"], metrics={"p95_seconds": 5.2, "error_rate": 0.02},
        suggestedActions=["add ECS tasks", "cache tile lookups"],
    )
    return issue, agent.publish_issue_detection(issue)


def example_product_agent() -> tuple[TypedEvent, EventResult]:
    agent = EventBridgeAgent(agent_id="product-agent-001")
    feature = FeatureRequestEvent.create(
        agent_id="product-agent-001", feature_type=FeatureType.ML_MODEL, priority="HIGH",
        description="detect several crops in one image", businessJustification="a third of uploads mix crops",
        estimatedImpact={"users": 500, "revenue": 50000, "efficiency": 25.5}, technicalRequirements=["new model head"],
    )
    return feature, agent.publish_feature_request(feature)


def example_developer_agent() -> tuple[TypedEvent, EventResult]:
    agent = EventBridgeAgent(agent_id="dev-agent-001")
    change = CodeChangeEvent.create(
        agent_id="dev-agent-001", repository="cabruca-segmentation", branch="feature/multi-crop",
        change_type=ChangeType.FEATURE, status="IN_REVIEW", commitHash="abc123def456",
        files=[{"path": "src/models/multi_crop.py", "additions": 250, "deletions": 10}], reviewers=["qa-agent-001"],
    )
    return change, agent.publish_code_change(change)


def example_testing_agent() -> tuple[TypedEvent, EventResult]:
    agent = EventBridgeAgent(agent_id="test-agent-001")
    results = TestResultsEvent.create(
        agent_id="test-agent-001", test_type=TestType.INTEGRATION, status="PARTIALLY_PASSED",
        summary={"total": 150, "passed": 145, "failed": 3, "skipped": 2, "duration": 320.5},
        coverage={"lines": 85.2, "branches": 78.5, "functions": 92.1},
        failedTests=[{"name": "test_edge_case", "error": "AssertionError"}], artifacts=["s3://artifacts/report.html"],
    )
    return results, agent.publish_test_results(results)


EXAMPLES: list[Example] = [example_monitoring_agent, example_product_agent, example_developer_agent, example_testing_agent]


# -- the deployed topology ------------------------------------------------------------------------
class Deployed:
    """The applied topology on the local endpoint, and a way to see what each target received."""

    def __init__(self, topology: Topology, aws: Aws) -> None:
        self.topology = topology
        self.aws = aws
        self.probe_url = self._subscribe_probe()

    def _subscribe_probe(self) -> str:
        """The alerts topic's subscribers are people; a queue stands in for them to see what it publishes."""
        sqs, sns = self.aws.client("sqs"), self.aws.client("sns")
        url = sqs.create_queue(QueueName=ALERTS_PROBE)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        topic = f"arn:aws:sns:{REGION}:{self.aws.account_id}:{self.topology.topics['critical-alerts'].name}"
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        return url

    def expected_targets(self, event: dict[str, Any]) -> set[str]:
        """``kind:ref`` of every target of every rule the event matches, by cabructl's own matcher."""
        from cabructl.patterns import compile_rules

        rules = compile_rules({name: rule.pattern for name, rule in self.topology.rules.items()})
        return {f"{target.kind}:{target.ref}" for name in rules.matching(event) for target in self.topology.rules[name].targets}

    def event_ids_at(self, target: str) -> list[str]:
        kind, ref = target.split(":", 1)
        if kind == "log_group":
            found = self.aws.client("logs").filter_log_events(logGroupName=self.topology.log_groups[ref].name)["events"]
            return [json.loads(entry["message"])["id"] for entry in found]
        url = self.probe_url if kind == "topic" else self.aws.client("sqs").get_queue_url(QueueName=self.topology.queues[ref].name)["QueueUrl"]
        # WaitTimeSeconds=0: the topology's queues long-poll for 20 s by default
        response = self.aws.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0)
        messages = response.get("Messages", [])
        return [json.loads(message["Body"])["id"] for message in messages]

    def all_targets(self) -> set[str]:
        return {f"{target.kind}:{target.ref}" for rule in self.topology.rules.values() for target in rule.targets}


@pytest.fixture(scope="module")
def deployed(topology: Topology) -> Iterator[Deployed]:
    from cabructl.engine import Engine

    with LocalAws(port=0, region=REGION) as local, pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        aws = Aws(AwsSettings(endpoint_url=local.endpoint_url, region=REGION))
        engine = Engine(topology, aws)
        result = engine.apply(engine.plan())
        assert not result.failed, result.failed
        yield Deployed(topology, aws)


@pytest.fixture
def seed_environment(deployed: Deployed, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a user of the seed sets: credentials and an endpoint; plus where topology.yaml is."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", str(deployed.aws.settings.endpoint_url))
    monkeypatch.setenv("CABRUCTL_FILE", str(TOPOLOGY))
    monkeypatch.delenv("AWS_REGION", raising=False)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.__name__)
def test_each_seed_example_reaches_exactly_the_targets_its_rules_name(example: Example, deployed: Deployed, seed_environment: None) -> None:
    event, result = example()
    assert result["success"] is True, result
    schema = deployed.topology.schemas[event.schema_name]
    expected = deployed.expected_targets({"source": schema.source, "detail-type": schema.detail_type, "detail": event.to_detail()})
    reached = {target for target in deployed.all_targets() if result.event_id in deployed.event_ids_at(target)}
    assert reached == expected, (reached, expected)
    assert expected or example is example_developer_agent  # IN_REVIEW changes are not routed anywhere, by design
