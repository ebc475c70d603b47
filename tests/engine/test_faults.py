"""Fault injection through botocore's event hooks: after faults, apply converges.

Throttling, 503s and dropped connections are injected at random points of an
apply (seeded, so a failure reproduces); one write is also made to fail for good,
which must stop the apply with a report. The assertions are the user's: a clean
apply then succeeds, the next plan is empty, the unowned queue beside ours is
untouched, and no message in a queue was lost.
"""

from __future__ import annotations

import json
import random
from typing import Any, Iterator

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError

from cabructl.aws import Aws, AwsSettings, is_write
from cabructl.engine import Engine
from cabructl.topology import load_topology
from support import TOPOLOGY

REGION = "sa-east-1"
JSON_SERVICES = ("eventbridge", "cloudwatch-logs", "schemas", "sqs")  # service ids as botocore events spell them
QUERY_SERVICES = ("sns", "iam", "cloudwatch", "sts")  # XML error bodies


class _Body:
    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.payload


def throttling(url: str) -> AWSResponse:
    body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
    return AWSResponse(url, 400, {"x-amzn-ErrorType": "ThrottlingException", "Content-Type": "application/x-amz-json-1.1"}, _Body(body))


def access_denied(url: str) -> AWSResponse:
    """A fault no retry cures (EventBridge's JSON protocol)."""
    body = json.dumps({"__type": "AccessDeniedException", "message": "not authorized to perform: events:PutTargets"}).encode()
    return AWSResponse(url, 400, {"x-amzn-ErrorType": "AccessDeniedException"}, _Body(body))


def unavailable(url: str, service: str) -> AWSResponse:
    """A 503 with the error body the service's protocol uses, as AWS sends it."""
    if service in QUERY_SERVICES:
        body = b"<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>try again</Message></Error></ErrorResponse>"
        return AWSResponse(url, 503, {"Content-Type": "text/xml"}, _Body(body))
    body = json.dumps({"__type": "ServiceUnavailableException", "message": "try again"}).encode()
    return AWSResponse(url, 503, {"x-amzn-ErrorType": "ServiceUnavailableException"}, _Body(body))


class FaultInjector:
    """Fails a share of write calls with a transient fault; optionally one EventBridge operation for good."""

    def __init__(self, seed: int, rate: float, budget: int, always_fail: str | None = None) -> None:
        self.random = random.Random(seed)
        self.rate = rate
        self.budget = budget
        self.always_fail = always_fail
        self.injected: list[str] = []

    def __call__(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        service, operation = event_name.split(".")[1:3]
        if operation == self.always_fail:
            self.injected.append(f"{operation}:permanent")
            return access_denied(request.url)
        if not is_write(operation) or self.budget <= 0 or self.random.random() > self.rate:
            return None
        self.budget -= 1
        fault = self.random.choice(["throttle", "503", "connection"] if service in JSON_SERVICES else ["503", "connection"])
        self.injected.append(f"{operation}:{fault}")
        if fault == "connection":
            raise ConnectionClosedError(endpoint_url=request.url)
        return throttling(request.url) if fault == "throttle" else unavailable(request.url, service)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from cabructl.local.schemas import schema_stores
    from cabructl.local.server import LocalAws

    schema_stores.reset()  # the Schemas store is process-global: start without other tests' registries
    with LocalAws(port=0, region=REGION) as local:
        yield local.endpoint_url


def engine_for(endpoint: str, injector: FaultInjector | None = None) -> Engine:
    # max_attempts 4 keeps botocore's backoff short; the injector's budget stays below it per call.
    aws = Aws(AwsSettings(region=REGION, endpoint_url=endpoint, max_attempts=4))
    if injector is not None:
        aws.add_hook("before-send.*.*", injector)
    return Engine(load_topology(str(TOPOLOGY)), aws)


def test_faults_stop_the_apply_and_the_next_apply_converges(endpoint: str) -> None:
    clean = engine_for(endpoint)
    sqs = clean.aws.client("sqs")
    prefix = clean.topology.prefix
    unowned = sqs.create_queue(QueueName=f"{prefix}hand-made")["QueueUrl"]
    sqs.send_message(QueueUrl=unowned, MessageBody="not cabructl's")

    # 1. An apply under transient faults and one write that always fails: it stops and says so.
    injector = FaultInjector(seed=7, rate=0.3, budget=6, always_fail="PutTargets")
    faulty = engine_for(endpoint, injector)
    result = faulty.apply(faulty.plan())
    assert not result.ok
    assert {outcome.change.kind for outcome in result.failed} == {"events.target"}
    assert all("AccessDeniedException" in outcome.error for outcome in result.failed)
    assert result.done, "independent writes before the failure are done"
    assert any(not fault.endswith("permanent") for fault in injector.injected), injector.injected

    # 2. Transient faults only: the next apply converges from wherever the first stopped.
    transient = engine_for(endpoint, FaultInjector(seed=11, rate=0.3, budget=6))
    result = transient.apply(transient.plan())
    assert result.ok, [outcome.error for outcome in result.failed]
    assert engine_for(endpoint).plan().empty

    # 3. A message in an owned queue survives another faulty round of changes.
    owned = sqs.get_queue_url(QueueName=clean.topology.queues["cicd-changes"].name)["QueueUrl"]
    sqs.send_message(QueueUrl=owned, MessageBody="keep me")
    sqs.set_queue_attributes(QueueUrl=owned, Attributes={"VisibilityTimeout": "7"})  # drift to repair
    repair = engine_for(endpoint, FaultInjector(seed=3, rate=0.5, budget=3))
    assert repair.apply(repair.plan()).ok
    assert engine_for(endpoint).plan().empty
    assert _bodies(sqs, owned) == ["keep me"]

    # 4. The unowned queue under our prefix was neither changed nor tagged nor emptied.
    assert sqs.list_queue_tags(QueueUrl=unowned).get("Tags", {}) == {}
    assert _bodies(sqs, unowned) == ["not cabructl's"]


def _bodies(sqs: Any, url: str) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0).get("Messages", [])
    return [message["Body"] for message in messages]
