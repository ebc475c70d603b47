"""The topology's consumer queues in moto, and messages in them as EventBridge writes them: for consumer tests."""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

from moto import mock_aws

from cabructl.agents import EventBridgeAgent
from cabructl.agents.entries import with_envelope
from cabructl.aws import Aws, AwsSettings
from cabructl.topology import Topology

from agent_backbone import REGION

QUEUE = "cicd-changes"


@dataclass
class Queues:
    """cicd-changes and its dead-letter queue (eventbridge-dlq) under their topology names, in moto."""

    aws: Aws
    topology: Topology
    url: str
    dlq_url: str

    def agent(self, agent_id: str = "developer-001", **kwargs: Any) -> EventBridgeAgent:
        kwargs.setdefault("sleep", lambda seconds: None)
        return EventBridgeAgent(agent_id, topology=self.topology, aws=self.aws, **kwargs)

    def send(self, *bodies: str, url: str | None = None, group: str | None = None) -> None:
        sqs = self.aws.client("sqs")
        for body in bodies:
            extra = {"MessageGroupId": group, "MessageDeduplicationId": uuid.uuid4().hex} if group else {}
            sqs.send_message(QueueUrl=url or self.url, MessageBody=body, **extra)

    def messages(self, url: str, *, attributes: bool = False) -> list[dict[str, Any]]:
        """Every message waiting in ``url``, read (and deleted) until it is empty."""
        sqs, found = self.aws.client("sqs"), []
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                        MessageAttributeNames=["All"], AttributeNames=["All"]).get("Messages", [])
            if not batch:
                return found
            found += batch
            for message in batch:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def waiting(self, url: str | None = None) -> int:
        """Messages in the queue, visible or not (ApproximateNumberOfMessages + …NotVisible)."""
        attributes = self.aws.client("sqs").get_queue_attributes(
            QueueUrl=url or self.url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        return sum(int(value) for value in attributes["Attributes"].values())


@contextlib.contextmanager
def consumer_queues(topology: Topology, *, visibility: int = 30, max_receives: int = 5) -> Iterator[Queues]:
    with mock_aws():
        aws = Aws(AwsSettings(region=REGION))
        sqs = aws.client("sqs")
        dlq_url = sqs.create_queue(QueueName=topology.queues["eventbridge-dlq"].name)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)})
        url = sqs.create_queue(QueueName=topology.queues[QUEUE].name,
                               Attributes={"VisibilityTimeout": str(visibility), "RedrivePolicy": redrive})["QueueUrl"]
        yield Queues(aws, topology, url, dlq_url)


def envelope(event: Any, event_id: str | None = None, source: str = "cabruca.agents.developer",
             detail_type: str = "Code Change Event") -> str:
    """The body EventBridge writes into a queue target for ``event`` (a typed event or a detail dict)."""
    detail = event if isinstance(event, dict) else with_envelope(event.to_detail())
    return json.dumps({"version": "0", "id": event_id or str(uuid.uuid4()), "detail-type": detail_type, "source": source,
                       "account": "123456789012", "time": "2026-12-01T12:00:00Z", "region": REGION, "resources": [],
                       "detail": detail})


def idempotency_table(aws: Aws, name: str) -> None:
    """The table the dynamodb.table kind provisions: key ``id`` (S), on-demand, TTL on ``expires_at``."""
    dynamodb = aws.client("dynamodb")
    dynamodb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
