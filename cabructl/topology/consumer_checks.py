"""Consumer checks: queue redrive policies SQS accepts, and what consuming agents name.

SQS refuses a RedrivePolicy whose dead-letter queue is of the other type (standard vs FIFO),
and a dead-letter queue that keeps messages for less time than its source loses them: SQS
keeps a moved message's original enqueue time, so a message that waited in the source is
deleted from a shorter-lived DLQ early (the SQS developer guide says to give the DLQ a
longer retention than the source). A queue that is its own dead-letter queue never lets go.
"""

from __future__ import annotations

from typing import Iterator, Optional

from cabructl.diagnostics import Path
from cabructl.topology.model import Topology, agent_consumer_policy_name

Finding = tuple[Path, str, str, Optional[str]]


def check_redrive(topology: Topology) -> Iterator[Finding]:
    """Each ``queues.*.redrive``: another queue, of the same type, kept at least as long."""
    for queue in topology.queues.values():
        dead_letter = topology.queues.get(queue.redrive_dead_letter or "")
        if dead_letter is None:
            continue  # unknown names are check_references' to report
        where = queue.path + ("redrive", "dead_letter")
        if dead_letter.logical == queue.logical:
            yield (where, "redrive-to-itself", f'queue "{queue.logical}" cannot be its own dead-letter queue', None)
        elif dead_letter.fifo != queue.fifo:
            kinds = ("FIFO", "standard") if queue.fifo else ("standard", "FIFO")
            yield (where, "redrive-type-mismatch", f'queue "{queue.logical}" is {kinds[0]} but its dead-letter queue '
                   f'"{dead_letter.logical}" is {kinds[1]}; SQS needs both of one type', None)
        elif dead_letter.retention < queue.retention:
            yield (where, "redrive-retention", f'dead-letter queue "{dead_letter.logical}" keeps messages {dead_letter.retention:,} s, '
                   f'less than the {queue.retention:,} s of "{queue.logical}": a message moved late would expire early',
                   f"give {dead_letter.logical} a retention of at least {queue.retention:,} s")


def check_consumers(topology: Topology) -> Iterator[Finding]:
    """Each ``agents.*.consumes`` names a declared queue, and the consumer policy's name fits IAM."""
    from cabructl.topology.checks import name_findings, unknown_finding  # checks.CHECKS lists this check

    for agent in topology.agents.values():
        for index, queue in enumerate(agent.consumes):
            if queue not in topology.queues:
                yield unknown_finding(agent.path + ("consumes", index), "queue", queue, topology.queues)
        if agent.consumes:
            yield from name_findings(agent.path + ("consumes",), "policy", agent_consumer_policy_name(topology, agent.name))
    if topology.idempotency is not None:
        yield from name_findings(topology.idempotency.path + ("name",), "table", topology.idempotency.name)
