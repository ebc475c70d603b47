"""CloudWatch Logs' month: the events rules deliver to log groups, ingested and then stored.

Ingestion is billed per GB of what arrives: the event as EventBridge delivers it (the target's
input settings applied) plus a per-event overhead (``logs_event_overhead_bytes``). Storage is
billed per GB-month: in a steady state a group holds its retention's worth of ingestion
(``retention`` days; never-expiring groups ``forever_retention_days``), times ``logs_stored_ratio``.
"""

from __future__ import annotations

from cabructl.policy.bill.inputs import BillInputs, add_to, names
from cabructl.policy.bill.items import ServiceBill

SERVICE = "logs"


def bill(inputs: BillInputs) -> ServiceBill:
    parameters, model, topology = inputs.parameters, inputs.model, inputs.topology
    gb = inputs.profile.bytes_per_gb
    ingested: dict[str, dict[str, float]] = {}
    stored: dict[str, dict[str, float]] = {}
    groups = []
    for flow in inputs.flows_billed_as(SERVICE):
        group = topology.log_groups[flow.destination]
        groups.append(group.name)
        per_event_gb = (flow.delivered_bytes + parameters.logs_event_overhead_bytes) / gb
        days = group.retention_days or model.parameters.forever_retention_days
        add_to(ingested, flow.agent, flow.deliveries, per_event_gb)
        add_to(stored, flow.agent, flow.deliveries, per_event_gb * parameters.logs_stored_ratio * days / model.parameters.days_per_month)
    items = (
        inputs.item(SERVICE, "ingestion", "data ingested", "GB", "ingested_per_gb", 1, ingested,
                    f"deliveries × (delivered bytes + {parameters.logs_event_overhead_bytes} per event)"),
        inputs.item(SERVICE, "storage", "storage", "GB-months", "stored_per_gb_month", 1, stored,
                    f"ingested × {parameters.logs_stored_ratio:g} stored × retention days / {model.parameters.days_per_month:g}"),
    )
    notes = []
    if topology.agent_metrics is not None:
        notes.append('the agent SDK\'s metrics as log lines (telemetry "emf"): ingested into the agents\' own log groups')
    service = inputs.profile.services[SERVICE]
    return ServiceBill(SERVICE, service.title, items, f"{service.source} (read {service.read})",
                       assumptions=(f"log groups receiving events: {names(groups)}",), not_modelled=tuple(notes))
