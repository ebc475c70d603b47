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
        projected = model.budget_total(case, budget.scope)
        if projected > budget.monthly_usd:
            yield Violation(
                budget.path + ("monthly_usd",),
                f"the {CASE_LABELS[case]} projection{scope_words(budget.scope)} is {usd(projected)} a month under the "
                f"{model.profile.name} prices, over the budget of {usd(budget.monthly_usd)}",
                hint=largest_spender(model, case, budget.scope),
            )


def scope_words(scope: str) -> str:
    """How a message names the budget's scope: nothing for the seed's EventBridge budget."""
    return " of the whole backbone" if scope == "backbone" else ""


def largest_spender(model: TrafficModel, case: str, scope: str = "eventbridge") -> str | None:
    """Where to look first: the agent whose events cost the most in the budget's scope."""
    if not model.agents:
        return None
    costs = model.bill.agent_usd(case, scope) if model.bill is not None else {name: a.cost[case].total for name, a in model.agents.items()}
    name = max(model.agents, key=lambda agent: costs.get(agent, 0.0))
    return f"agent {name} costs the most ({usd(costs.get(name, 0.0))}); lower its volume or narrow the rules it matches"
