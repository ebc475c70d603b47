"""COST004: the whole backbone's month, every service priced, fits the budget (a finding, when the gate counts EventBridge alone)."""

from __future__ import annotations

from typing import Iterable

from cabructl.policy.checks.base import CASE_LABELS, Check, Violation
from cabructl.policy.checks.cost_within_budget import largest_spender
from cabructl.policy.traffic import TrafficModel
from cabructl.policy.units import usd
from cabructl.topology.model import Topology

BACKBONE = "backbone"


class BackboneWithinBudget(Check):
    id = "COST004"
    shortdesc = "The whole backbone fits the budget"
    description = ("With budget.scope eventbridge (the seed's promise) the gate totals EventBridge alone, yet the invoice "
                   "also has the Logs, SQS, SNS, CloudWatch, KMS and DynamoDB lines. A backbone past the budget is said "
                   "plainly here; with budget.scope backbone, COST001 gates on it instead.")

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        budget = topology.budget
        if budget is None or budget.scope == BACKBONE or model.bill is None:
            return
        case = self.parameters["case"]
        projected = model.budget_total(case, BACKBONE)
        if projected > budget.monthly_usd:
            services = sorted(((bill.usd(case), bill.title) for bill in model.bill.services.values() if bill.usd(case)), reverse=True)
            biggest = ", ".join(f"{title} {usd(cost)}" for cost, title in services[:3])
            yield Violation(
                budget.path + ("scope",) if "scope" in (topology.document.get("budget") or {}) else budget.path,
                f"the whole backbone's {CASE_LABELS[case]} month is {usd(projected)} under the {model.profile.name} prices, "
                f"over the budget of {usd(budget.monthly_usd)} (EventBridge alone: {usd(model.budget_total(case, 'eventbridge'))}); "
                f"largest: {biggest}",
                hint=f"budget.scope is eventbridge, so the gate does not count it; set budget.scope: backbone to gate on it, or "
                     f"raise the budget. {largest_spender(model, case, BACKBONE) or ''}".strip(),
            )
