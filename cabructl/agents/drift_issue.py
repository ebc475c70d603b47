"""The drift notifier: one Issue Detection Event on the topology's own bus, through the agent SDK.

The engine finds drift and decides its severity; publishing is the SDK's. The CLI hands
this notifier to the engine (the engine never imports the SDK: they are sibling layers).
Publishing as an agent means the event is validated against the same schema and routed
by the same rules as every other issue: HIGH drift reaches the critical-alerts topic, all
of it reaches the agents log group.
"""

from __future__ import annotations

from typing import Any, Callable

from cabructl.errors import CabructlError
from cabructl.topology.model import Topology

DRIFT_AGENT_ID = "cabructl-drift"
DRIFT_ISSUE_TYPE = "INFRASTRUCTURE"
SUGGESTED_ACTIONS = ("cabructl apply", "cabructl import ADDRESS")

# (severity, description, affected addresses) → the published event's id
DriftNotifier = Callable[[str, str, list[str]], str]


class NotifyFailed(CabructlError):
    reference = "drift-notify-failed"


def drift_issue_publisher(topology: Topology, aws: Any) -> DriftNotifier:
    """A notifier that publishes each drift it is given as an Issue Detection Event."""

    def publish(severity: str, description: str, affected: list[str]) -> str:
        from cabructl.agents import EventBridgeAgent, IssueDetectionEvent

        agent = EventBridgeAgent(agent_id=DRIFT_AGENT_ID, topology=topology, aws=aws, guards=False)
        event = IssueDetectionEvent.create(
            agent_id=DRIFT_AGENT_ID,
            severity=severity,
            issue_type=DRIFT_ISSUE_TYPE,
            description=description,
            affectedResources=affected,
            suggestedActions=list(SUGGESTED_ACTIONS),
        )
        result = agent.publish_issue_detection(event)
        if not result.success or result.event_id is None:
            raise NotifyFailed(f"drift found, but publishing the Issue Detection Event failed: {result.error}")
        return result.event_id

    return publish
