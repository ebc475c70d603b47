"""`dlq show` and `dlq redrive` tell EventBridge's failed deliveries from a consumer's give-ups (moto in-process).

Three letters share eventbridge-dlq: one EventBridge could not deliver (its RULE_ARN/TARGET_ARN/
ERROR_CODE attributes), one a consumer dead-lettered itself (the CABRUCTL_CONSUMER_* attributes),
and one SQS's redrive moved after the source queue's max_receives (no attributes at all).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Iterator

import pytest
from click.testing import CliRunner
from moto import mock_aws

from cabructl.agents import EventBridgeAgent
from cabructl.aws import Aws, AwsSettings
from cabructl.cli import cli
from cabructl.constants import (CONSUMER_AGENT_ATTRIBUTE, CONSUMER_QUEUE_ATTRIBUTE, CONSUMER_REASON_ATTRIBUTE,
                                CONSUMER_RECEIVES_ATTRIBUTE)
from cabructl.operations.dlq import peek, redrive, resolve_queues
from cabructl.topology import Topology, load_topology
from support import TOPOLOGY

REGION = "sa-east-1"
RULE_ARN = "arn:aws:events:sa-east-1:123456789012:rule/cabruca-segmentation-prod-agents/cabruca-segmentation-prod-failed-tests"


def event(status: str) -> dict[str, Any]:
    return {"version": "0", "id": f"event-{status}", "detail-type": "Test Results Event", "source": "cabruca.agents.tester",
            "account": "123456789012", "time": "2026-03-01T09:00:00Z", "region": REGION, "resources": [],
            "detail": {"status": status}}


class Queues:
    """The topology's eventbridge-dlq and cicd-changes (which redrives to it) in moto."""

    def __init__(self, topology: Topology, aws: Aws) -> None:
        self.topology, self.aws, self.sqs = topology, aws, aws.client("sqs")
        self.dlq = self.sqs.create_queue(QueueName=topology.queues["eventbridge-dlq"].name)["QueueUrl"]
        dlq_arn = self.arn(self.dlq)
        self.source = self.sqs.create_queue(QueueName=topology.queues["cicd-changes"].name, Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})["QueueUrl"]

    def arn(self, url: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def send(self, url: str, body: str, attributes: dict[str, str]) -> None:
        self.sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes={
            key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()})

    def fill(self) -> None:
        self.send(self.dlq, json.dumps(event("ERROR")), {
            "RULE_ARN": RULE_ARN, "TARGET_ARN": self.arn(self.source), "ERROR_CODE": "NO_PERMISSIONS",
            "ERROR_MESSAGE": "denied", "RETRY_ATTEMPTS": "0"})
        self.send(self.dlq, json.dumps(event("FAILED")), {
            CONSUMER_REASON_ATTRIBUTE: "detail.summary: required property missing", CONSUMER_QUEUE_ATTRIBUTE: self.arn(self.source),
            CONSUMER_RECEIVES_ATTRIBUTE: "3", CONSUMER_AGENT_ATTRIBUTE: "developer-001"})
        self.send(self.source, json.dumps(event("PASSED")), {})
        for _ in range(2):  # received once and not deleted: the next receive moves it (maxReceiveCount 1)
            for message in self.sqs.receive_message(QueueUrl=self.source, WaitTimeSeconds=0).get("Messages", []):
                self.sqs.change_message_visibility(QueueUrl=self.source, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)

    def bodies(self, url: str) -> list[dict[str, Any]]:
        found = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(str(TOPOLOGY))


@pytest.fixture
def queues(topology: Topology) -> Iterator[Queues]:
    with mock_aws():
        made = Queues(topology, Aws(AwsSettings(region=REGION)))
        made.fill()
        yield made


def by_status(letters: list[Any]) -> dict[str, Any]:
    return {letter.event["detail"]["status"]: letter for letter in letters}


def test_each_letter_says_who_gave_up_on_it_and_why(topology: Topology, queues: Queues) -> None:
    [dlq] = resolve_queues(topology, queues.aws, "eventbridge-dlq", False)
    letters = by_status(peek(queues.aws, dlq, wait_seconds=0))
    assert {status: letter.kind for status, letter in letters.items()} == {"ERROR": "delivery", "FAILED": "consumer", "PASSED": "redrive"}
    assert letters["ERROR"].reason == "NO_PERMISSIONS: denied" and letters["ERROR"].source_queue is None
    consumer = letters["FAILED"].to_json()
    assert consumer["reason"] == "detail.summary: required property missing" and consumer["consumer"] == "developer-001"
    assert consumer["source_queue"] == queues.arn(queues.source) and consumer["receives_at_source"] == 3
    moved = letters["PASSED"]
    assert moved.receive_count >= 2 and "received it too many times" in moved.reason  # moto gives no DeadLetterQueueSourceArn
    assert topology.queues["cicd-changes"].name in dlq.redriven_from


def test_dlq_show_prints_the_kind_the_reason_and_the_receive_count(queues: Queues) -> None:
    result = CliRunner().invoke(cli, ["dlq", "show", "eventbridge-dlq", "--wait", "0", "-f", str(TOPOLOGY)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "kind    delivery: EventBridge could not deliver it" in text and "error   NO_PERMISSIONS: denied" in text
    assert "kind    consumer: a consumer gave up on it" in text and "reason  detail.summary: required property missing" in text
    assert "consumer developer-001" in text and "; 3 at its queue when the consumer gave up" in text
    assert "kind    redrive: SQS moved it here after too many receives" in text
    shown = CliRunner().invoke(cli, ["dlq", "show", "eventbridge-dlq", "--wait", "0", "--json", "-f", str(TOPOLOGY)])
    kinds = sorted(letter["kind"] for letter in json.loads(shown.output)[queues.topology.queues["eventbridge-dlq"].name])
    assert kinds == ["consumer", "delivery", "redrive"]


def test_a_consumers_letter_goes_back_to_its_source_queue_and_an_unattributed_one_stays(topology: Topology, queues: Queues) -> None:
    agent = EventBridgeAgent("ops", topology=topology, aws=queues.aws, guards=False, any_agent=True)
    [dlq] = resolve_queues(topology, queues.aws, "eventbridge-dlq", False)
    report = redrive(agent, dlq, wait_seconds=0)
    redriven = {item["kind"]: item for item in report.to_json()["redriven"]}
    assert redriven["consumer"]["source_queue"] == queues.arn(queues.source)
    failed = {letter.kind: reason for letter, reason in report.failed}
    assert set(redriven) == {"consumer"} and set(failed) == {"delivery", "redrive"}
    assert "no longer exists" in failed["delivery"]  # EventBridge's letter: to its rule's target, as before (no rule here)
    assert "does not say which queue it came from" in failed["redrive"]  # three queues redrive here: none is guessed
    assert [body["detail"]["status"] for body in queues.bodies(queues.source)] == ["FAILED"]
    only_one = replace(dlq, redriven_from=(topology.queues["cicd-changes"].name,))
    again = redrive(agent, only_one, wait_seconds=0)
    assert [item["kind"] for item in again.to_json()["redriven"]] == ["redrive"]
    assert [letter.kind for letter, _ in again.failed] == ["delivery"]
    assert [body["detail"]["status"] for body in queues.bodies(queues.source)] == ["PASSED"]
    assert [body["detail"]["status"] for body in queues.bodies(queues.dlq)] == ["ERROR"]
