"""The agent SDK: typed events, validated against topology.yaml, published in batches within budget.

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

Nothing here imports boto3 or jsonschema until an agent is created.
"""

from cabructl.agents.client import EventBatch, EventBridgeAgent
from cabructl.agents.delivery import RetryPolicy
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
from cabructl.agents.results import AgentMetrics, BatchResult, EventResult, Status

__all__ = [
    "AgentMetrics",
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
