"""A Step Functions state machine as a rule's target (``state_machine: <ARN or name>``): referenced.

EventBridge starts an execution with a role: the topology's targets role grants
``states:StartExecution`` on exactly the declared state machines.
"""

from __future__ import annotations

from cabructl.resources.targets.base import TargetKind
from cabructl.resources.targets.referenced import referenced_arn

STATE_MACHINE = TargetKind(
    key="state_machine",
    resource_kind=None,
    label="Step Functions state machine",
    arn=referenced_arn("states", "stateMachine:"),
    delivery=None,
    service="states",
    role_action="states:StartExecution",
)
