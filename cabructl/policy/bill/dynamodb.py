"""DynamoDB's month: the idempotency table consuming agents share (``idempotency:``).

Every message a consuming agent handles (whatever put it in the queue: :func:`.flows.arrivals`) is
claimed with one conditional PutItem and recorded done with one UpdateItem, one write request unit
each (the records are far under 1 KB); a failed handler deletes its claim (one more write) before the
message is received again. A record is kept until the
queue's retention ends, so the table holds that many days of records.
"""

from __future__ import annotations

from cabructl.policy.bill.inputs import BillInputs, add_to
from cabructl.policy.bill.items import ServiceBill
from cabructl.policy.pricing import MILLION
from cabructl.policy.traffic import CASES, SECONDS_PER_DAY

SERVICE = "dynamodb"
WRITES_PER_EVENT = 2  # the claim (conditional PutItem) and its completion (UpdateItem)


def bill(inputs: BillInputs) -> ServiceBill | None:
    topology, parameters, model = inputs.topology, inputs.parameters, inputs.model
    if topology.idempotency is None:
        return None
    writes: dict[str, dict[str, float]] = {}
    stored: dict[str, dict[str, float]] = {}
    retry_writes = writes_per_handled(parameters.delivery_failure_rate) - WRITES_PER_EVENT
    for arrival in inputs.queue_arrivals:
        agents = [agent.name for agent in topology.consumers_of(arrival.queue)]
        days = topology.queues[arrival.queue].retention / SECONDS_PER_DAY
        for agent in agents:
            handled = {case: arrival.messages[case] / len(agents) for case in CASES}
            add_to(writes, agent, handled, writes_per_handled(parameters.delivery_failure_rate))
            add_to(stored, agent, handled, parameters.idempotency_item_bytes / inputs.profile.bytes_per_gb * days / model.parameters.days_per_month)
    items = (
        inputs.item(SERVICE, "writes", "write request units (on demand)", "write units", "write_requests_per_million", MILLION, writes,
                    f"events handled from consumed queues × {WRITES_PER_EVENT} (+{retry_writes:g} for failures)"),
        inputs.item(SERVICE, "storage", "storage", "GB-months", "stored_per_gb_month", 1, stored,
                    f"records of {parameters.idempotency_item_bytes} bytes held for the queue's retention"),
    )
    service = inputs.profile.services[SERVICE]
    return ServiceBill(SERVICE, service.title, items, f"{service.source} (read {service.read})",
                       assumptions=(f"table {topology.idempotency.name}",))


def writes_per_handled(failure_rate: float) -> float:
    """Write units per message handled: the claim and its completion, and for a failure the claim's delete
    and the next receive's claim."""
    return WRITES_PER_EVENT + failure_rate * 2
