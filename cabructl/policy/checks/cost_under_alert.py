"""COST002: the projected monthly cost stays under the alert share of the budget."""

from __future__ import annotations

from typing import Iterable

from cabructl.policy.checks.base import CASE_LABELS, Check, Violation
from cabructl.policy.units import usd
from cabructl.policy.checks.cost_within_budget import largest_spender, scope_words
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology


class CostUnderAlert(Check):
    id = "COST002"
    shortdesc = "Projected monthly cost under the alert threshold"
    description = ("A projection past budget.alert_at leaves no room: the cost alarm would ring every month. "
                   "A projection over the whole budget is COST001's business, not repeated here.")

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        budget = topology.budget
        if budget is None:
            return
        case = self.parameters["case"]
        projected = model.budget_total(case, budget.scope)
        alert_usd = budget.monthly_usd * budget.alert_ratio
        if alert_usd < projected <= budget.monthly_usd:
            yield Violation(
                budget.path + ("alert_at",),
                f"the {CASE_LABELS[case]} projection{scope_words(budget.scope)} is {usd(projected)} a month, {projected / budget.monthly_usd:.0%} of the budget: "
                f"past the {budget.alert_ratio:.0%} alert share ({usd(alert_usd)})",
                hint=largest_spender(model, case, budget.scope),
            )
