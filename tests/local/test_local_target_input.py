"""The fixture with a FIFO target and input settings, applied on the local endpoint: each target receives
exactly the payload its input settings say, and a second plan is empty."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from deployment import Deployment
from support import ROOT, edit_topology

FIXTURE = ROOT / "tests" / "fixtures" / "topologies" / "good" / "fifo-and-input"
DETAIL = {"pingId": "p-1", "timestamp": "2026-12-01T10:00:00Z", "agentId": "pinger-7", "severity": "CRITICAL"}


@pytest.fixture
def deployed(tmp_path: Path, local_aws: Any) -> Iterator[Deployment]:
    shutil.copytree(FIXTURE, tmp_path / "fixture")
    file = tmp_path / "fixture" / "topology.yaml"
    edit_topology(file, "project: fixture-input", f"project: input-{uuid.uuid4().hex[:8]}")
    deployment = Deployment(file, local_aws.endpoint_url)
    deployment.apply()
    yield deployment
    deployment.release()


def bodies(deployment: Deployment, logical: str, **receive: Any) -> list[dict[str, Any]]:
    sqs = deployment.client("sqs")
    url = sqs.get_queue_url(QueueName=deployment.topology.queues[logical].name)["QueueUrl"]
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **receive).get("Messages", [])


def test_each_target_receives_the_payload_its_input_settings_say(deployed: Deployment) -> None:
    topology = deployed.topology
    sns, sqs = deployed.client("sns"), deployed.client("sqs")
    observer = sqs.create_queue(QueueName=f"{topology.prefix}observer")["QueueUrl"]
    observer_arn = sqs.get_queue_attributes(QueueUrl=observer, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = sns.create_topic(Name=topology.topics["ops"].name)["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=observer_arn, Attributes={"RawMessageDelivery": "true"})
    result = deployed.client("events").put_events(Entries=[{"EventBusName": topology.bus.name, "Source": "example.agent",
                                                             "DetailType": "Ping", "Detail": json.dumps(DETAIL)}])
    event_id = result["Entries"][0]["EventId"]

    [ordered] = bodies(deployed, "ordered-pings", MessageSystemAttributeNames=["MessageGroupId", "MessageDeduplicationId"])
    assert json.loads(ordered["Body"])["id"] == event_id
    assert ordered["Attributes"] == {"MessageGroupId": "pings", "MessageDeduplicationId": event_id}
    assert [json.loads(m["Body"]) for m in bodies(deployed, "slim-pings")] == [DETAIL]
    paged = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=observer).get("Messages", [])]
    assert paged == [{"text": "pinger-7 reported CRITICAL", "rule": topology.rules["pings"].name}]
    assert bodies(deployed, "pings-dlq") == []
    assert deployed.engine().plan().empty
