"""The agent SDK: typed events, validated against topology.yaml, published in batches within budget,
and consumed from the topology's queues exactly once per event id.

A drop-in for the seed's ``eventbridge_agent_example`` (change only the import)::

    from cabructl.agents import EventBridgeAgent, IssueDetectionEvent, Severity, IssueType

    agent = EventBridgeAgent(agent_id="monitor-001")           # reads ./topology.yaml or $CABRUCTL_FILE
    issue = IssueDetectionEvent.create(agent_id="monitor-001", severity=Severity.HIGH,
                                       issue_type=IssueType.PERFORMANCE, description="High API latency")
    result = agent.publish_issue_detection(issue)             # EventResult: result.event_id / result["success"]

    with agent.batch() as batch:                              # ≤ 10 entries / 256 KB per PutEvents call
        batch.add(issue)
    agent.publish_many(events)                                # BatchResult, one result per event
    agent.metrics                                             # published, failed, dropped, sampled_out, …

Consuming (``listener.py``; the guide is docs/agents.md)::

    for event in agent.consume("cicd-changes"):               # a CodeChangeEvent, validated; acked when the body returns
        deploy(event)

    @agent.on(CodeChangeEvent)
    def handle(event, context): ...                           # context: message id, receive count, event id, correlation…
    stats = agent.run("cicd-changes", workers=4)              # until SIGTERM/SIGINT or agent.stop(); ConsumerStats
    agent.reply(to=event, new_event)                          # carries correlationId, causationId = the event's id

    handler = sqs_handler(fn)                                 # an SQS-triggered Lambda: {"batchItemFailures": [...]}
    handler = event_handler(fn)                               # a Lambda that is a rule's target

Nothing here imports boto3 or jsonschema until an agent is created.
"""

from cabructl.agents.client import EventBatch, EventBridgeAgent
from cabructl.agents.consumer import Consumed
from cabructl.agents.delivery import RetryPolicy
from cabructl.agents.envelopes import RawMessage
from cabructl.agents.errors import EventTooLargeError, EventValidationError, RateLimitExceeded, UnknownEventError
from cabructl.agents.events import (
    ChangeStatus,
    ChangeType,
    CodeChangeEvent,
    FeatureRequestEvent,
    FeatureType,
    GenericEvent,
    IssueDetectionEvent,
    IssueType,
    Priority,
    Severity,
    TestResultsEvent,
    TestStatus,
    TestType,
)
from cabructl.agents.guards import CRITICAL_VALUES, is_critical
from cabructl.agents.idempotency import DynamoDBStore, IdempotencyStore, MemoryStore
from cabructl.agents.lambda_handlers import event_handler, sqs_handler
from cabructl.agents.processing import ConsumerStats, EventContext
from cabructl.agents.queues import UnknownQueueError
from cabructl.agents.results import AgentMetrics, BatchResult, EventResult, Status

__all__ = [
    "AgentMetrics",
    "Consumed",
    "ConsumerStats",
    "DynamoDBStore",
    "EventContext",
    "IdempotencyStore",
    "MemoryStore",
    "RawMessage",
    "UnknownQueueError",
    "event_handler",
    "sqs_handler",
    "BatchResult",
    "CRITICAL_VALUES",
    "ChangeStatus",
    "ChangeType",
    "CodeChangeEvent",
    "EventBatch",
    "EventBridgeAgent",
    "EventResult",
    "EventTooLargeError",
    "EventValidationError",
    "FeatureRequestEvent",
    "FeatureType",
    "GenericEvent",
    "IssueDetectionEvent",
    "IssueType",
    "Priority",
    "RateLimitExceeded",
    "RetryPolicy",
    "Severity",
    "Status",
    "TestResultsEvent",
    "TestStatus",
    "TestType",
    "UnknownEventError",
    "is_critical",
]
