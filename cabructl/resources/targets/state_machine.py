"""A Step Functions state machine as a rule's target (``state_machine: <ARN or name>``): referenced.

EventBridge starts an execution with a role: the topology's targets role grants
``states:StartExecution`` on exactly the declared state machines. The rendered input is
the execution's input.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from cabructl.resources.base import Context
from cabructl.resources.targets.base import Clients, Outgoing, TargetKind
from cabructl.resources.targets.referenced import referenced_arn
from cabructl.topology.model import Topology

state_machine_arn = referenced_arn("states", "stateMachine:")


def send(clients: Clients, outgoing: Outgoing) -> None:
    """What EventBridge does for a state machine target: StartExecution with the rendered input
    (a name of Step Functions' choosing, as AWS gives EventBridge's executions)."""
    clients("stepfunctions", outgoing.arn).start_execution(stateMachineArn=outgoing.arn, input=outgoing.body)


def watch(aws: Any, topology: Topology, context: Context, reference: str) -> Callable[[], Iterator[str]]:
    """The inputs of the executions started since watching began (ListExecutions, then DescribeExecution)."""
    states, arn = aws.client("stepfunctions"), state_machine_arn(topology, context, reference)

    def executions() -> list[str]:
        pages = states.get_paginator("list_executions").paginate(stateMachineArn=arn)
        return [execution["executionArn"] for page in pages for execution in page.get("executions", [])]

    seen = set(executions())

    def read() -> Iterator[str]:
        for execution in executions():
            if execution not in seen:
                seen.add(execution)
                yield str(states.describe_execution(executionArn=execution).get("input", ""))

    return read


STATE_MACHINE = TargetKind(
    key="state_machine",
    resource_kind=None,
    label="Step Functions state machine",
    arn=state_machine_arn,
    delivery=None,
    service="states",
    role_action="states:StartExecution",
    watch=watch,
    send=send,
    unpriced="the executions and state transitions it starts (AWS Step Functions)",
)
