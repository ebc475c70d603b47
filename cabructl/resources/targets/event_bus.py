"""Another event bus as a rule's target (``event_bus: <ARN or name>``), in any account or region.

EventBridge puts the event on the other bus with a role (``events:PutEvents`` on that
bus); a bus in another account must also let this account in its own bus policy, which
cabructl cannot see or write.
"""

from __future__ import annotations

from cabructl.resources.targets.base import TargetKind
from cabructl.resources.targets.referenced import referenced_arn

EVENT_BUS = TargetKind(
    key="event_bus",
    resource_kind=None,
    label="event bus",
    arn=referenced_arn("events", "event-bus/"),
    delivery=None,
    service="events",
    resource_type="event-bus/",
    role_action="events:PutEvents",
)
