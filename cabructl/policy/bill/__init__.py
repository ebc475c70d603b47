"""The whole bill: every service the topology provisions, priced for its region.

One module per service turns the traffic model's month (agents' volumes, the matcher's
routes, event sizes from the schemas) and the flows it implies (:mod:`.flows`) into line items
(:mod:`.items`). Each service also lists what it does not model, so a report never shows a cost
as zero that it simply did not count. ``budget.scope`` picks the services the gate totals.
"""

from __future__ import annotations

from typing import Callable

from cabructl.policy.bill import cloudwatch, dynamodb, eventbridge, kms, logs, sns, sqs
from cabructl.policy.bill.flows import flows
from cabructl.policy.bill.inputs import BackboneParameters, BillInputs
from cabructl.policy.bill.items import BACKBONE_SCOPE, EVENTBRIDGE_SCOPE, SCOPES, SHARED, Bill, LineItem, ServiceBill
from cabructl.policy.pricing import PricingProfile
from cabructl.policy.traffic import ModelParameters, TrafficModel
from cabructl.resources.targets import target_kinds
from cabructl.topology.model import Topology

# In the order reports show them: the bus first, then what its deliveries reach, then the rest.
SERVICES: tuple[Callable[[BillInputs], ServiceBill | None], ...] = (
    eventbridge.bill, logs.bill, sqs.bill, sns.bill, cloudwatch.bill, kms.bill, dynamodb.bill)
OUTSIDE = "outside"  # the pseudo-service whose notes are the costs no service above prices


def build_bill(topology: Topology, model: TrafficModel, profile: PricingProfile, parameters: ModelParameters,
               backbone: BackboneParameters) -> Bill:
    """Every service's month for the topology's traffic under ``profile``."""
    inputs = BillInputs(topology, model, profile, backbone, flows(topology, model, parameters.size))
    services = {bill.service: bill for bill in (service(inputs) for service in SERVICES) if bill is not None}
    return Bill({**services, OUTSIDE: _outside(inputs)})


def _outside(inputs: BillInputs) -> ServiceBill:
    """What deliveries cost beyond every service above: inside a function, a state machine, another account."""
    reached: dict[str, set[str]] = {}
    for flow in inputs.flows:
        if flow.kind.unpriced:
            reached.setdefault(flow.kind.key, set()).add(flow.destination.rsplit(":", 1)[-1])
    notes = tuple(f"{target_kinds()[key].label} targets ({', '.join(sorted(where))}): {target_kinds()[key].unpriced}"
                  for key, where in reached.items())
    notes += ("data transfer out of AWS, and anything the agents themselves run on",)
    return ServiceBill(OUTSIDE, "Outside the model", (), not_modelled=notes)


__all__ = ["BACKBONE_SCOPE", "EVENTBRIDGE_SCOPE", "SCOPES", "SHARED", "BackboneParameters", "Bill", "LineItem", "ServiceBill",
           "build_bill"]
