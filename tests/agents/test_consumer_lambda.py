"""``sqs_handler`` and ``event_handler``: the consumer's validation and idempotency inside a Lambda function."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

from cabructl.agents import CodeChangeEvent, EventValidationError, MemoryStore, event_handler, sqs_handler
from cabructl.constants import CONSUMER_REASON_ATTRIBUTE
from cabructl.topology import Topology

from agent_queues import Queues, consumer_queues, envelope
from agent_samples import change


@pytest.fixture
def queues(topology: Topology) -> Iterator[Queues]:
    with consumer_queues(topology) as made:
        yield made


def record(queues: Queues, message_id: str, body: str) -> dict[str, Any]:
    arn = queues.aws.client("sqs").get_queue_attributes(QueueUrl=queues.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"messageId": message_id, "receiptHandle": f"rh-{message_id}", "body": body, "eventSource": "aws:sqs",
            "attributes": {"ApproximateReceiveCount": "1"}, "eventSourceARN": arn}


def test_sqs_handler_reports_only_the_records_lambda_must_keep(queues: Queues) -> None:
    seen: list[str] = []

    @sqs_handler(topology=queues.topology, aws=queues.aws, store=MemoryStore())
    def handle(event: CodeChangeEvent, context: Any) -> None:
        if event.branch == "broken":
            raise RuntimeError("deploy failed")
        seen.append(context.event_id)

    ok = envelope(change(), event_id="ok-1")
    broken = envelope({**json.loads(envelope(change()))["detail"], "branch": "broken"}, event_id="broken-1")
    invalid = envelope({**json.loads(ok)["detail"], "status": "SHIPPED"}, event_id="invalid-1")
    result = handle({"Records": [record(queues, "m1", ok), record(queues, "m2", broken), record(queues, "m3", invalid),
                                 record(queues, "m4", ok)]})
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert seen == ["ok-1"]  # m4 is the same event again: a duplicate, deleted by Lambda
    [dead] = queues.messages(queues.dlq_url)
    assert "detail.status" in dead["MessageAttributes"][CONSUMER_REASON_ATTRIBUTE]["StringValue"]
    stats = handle.stats()
    assert (stats.handled, stats.failed, stats.duplicates, stats.dead_lettered) == (1, 1, 1, 1)


def test_event_handler_validates_types_and_skips_an_event_id_already_handled(queues: Queues) -> None:
    calls: list[CodeChangeEvent] = []
    handle = event_handler(lambda event, context: calls.append(event) or "done", topology=queues.topology, aws=queues.aws,
                           store=MemoryStore())
    event = json.loads(envelope(change(), event_id="rule-1"))
    context = SimpleNamespace(function_name="deployer")
    assert handle(event, context) == "done"
    assert handle(event, context) is None
    assert len(calls) == 1 and isinstance(calls[0], CodeChangeEvent)
    with pytest.raises(EventValidationError, match="detail.status"):
        handle({**event, "id": "rule-2", "detail": {**event["detail"], "status": "SHIPPED"}}, context)
