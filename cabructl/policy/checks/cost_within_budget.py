"""COST001: the projected monthly cost stays within the budget."""

from __future__ import annotations

from typing import Iterable

from cabructl.policy.checks.base import CASE_LABELS, Check, Violation
from cabructl.policy.units import usd
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology


class CostWithinBudget(Check):
    id = "COST001"
    shortdesc = "Projected monthly cost within the budget"
    description = ("The budget is the promise the topology makes: the projected month (the case policy.yaml names, "
                   "worst_case by default) must not cost more than budget.monthly_usd under the topology's pricing profile.")

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        budget = topology.budget
        if budget is None:
            yield Violation(("budget",), "no budget: declare `budget.monthly_usd` so the projected cost can be checked")
            return
        case = self.parameters["case"]
        projected = model.total(case).total
        if projected > budget.monthly_usd:
            yield Violation(
                budget.path + ("monthly_usd",),
                f"the {CASE_LABELS[case]} projection is {usd(projected)} a month under the {model.profile.name} prices, "
                f"over the budget of {usd(budget.monthly_usd)}",
                hint=largest_spender(model, case),
            )


def largest_spender(model: TrafficModel, case: str) -> str | None:
    """Where to look first: the agent whose events cost the most."""
    if not model.agents:
        return None
    agent = max(model.agents.values(), key=lambda projection: projection.cost[case].total)
    return f"agent {agent.name} costs the most ({usd(agent.cost[case].total)}); lower its volume or narrow the rules it matches"
