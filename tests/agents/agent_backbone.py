"""The topology's bus in moto with one queue that sees every event: where tests check delivery."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cabructl.aws import Aws

REGION = "sa-east-1"


@dataclass
class Backbone:
    """The bus of the topology in moto, with one SQS queue receiving every event published on it."""

    aws: Aws
    bus: str
    queue_url: str

    def received(self, wait: int = 0) -> list[dict[str, Any]]:
        """Every event the catch-all queue holds, read until it is empty (and deleted)."""
        sqs = self.aws.client("sqs")
        events: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get("Messages", [])
            if not messages:
                return events
            for message in messages:
                events.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def catch_all(aws: Aws, bus: str, name: str = "catch-all") -> str:
    """A rule on ``bus`` matching every agent event, delivering to a new SQS queue; returns its URL."""
    sqs, events = aws.client("sqs"), aws.client("events")
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps({"source": [{"prefix": "cabruca.agents."}]}))
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url
