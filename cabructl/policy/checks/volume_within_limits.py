"""COST003: the agents' declared caps stay within the volume the budget pays for."""

from __future__ import annotations

from typing import Iterable

from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.units import count, usd
from cabructl.policy.traffic import TrafficModel, VolumeLimits
from cabructl.topology.model import Topology


class VolumeWithinLimits(Check):
    id = "COST003"
    shortdesc = "Declared volume within the limits derived from the budget"
    description = ("The seed's guidelines (about 6 M events a month, 200 k a day, 8.3 k an hour at 10 USD) are the budget "
                   "divided by the price of one event with its rule matches. They are derived here from the budget and "
                   "the pricing profile (model.guideline_matches_per_event matches per event) and compared with the sum "
                   "of the agents' daily and hourly caps.")

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        if topology.budget is None:
            return
        limits = model.limits(topology.budget.monthly_usd, topology.agents, topology.budget.scope)
        if limits.declared_per_day > limits.per_day:
            yield Violation(("agents",), f"the agents may publish {count(limits.declared_per_day)} events a day; "
                                         f"{_basis(topology.budget.monthly_usd, limits, model)} pays for {count(limits.per_day)} a day")
        if limits.declared_per_hour > limits.per_hour:
            yield Violation(("agents",), f"the agents may publish {count(limits.declared_per_hour)} events an hour; "
                                         f"{_basis(topology.budget.monthly_usd, limits, model)} pays for {count(limits.per_hour)} an hour")


def _basis(budget_usd: float, limits: VolumeLimits, model: TrafficModel) -> str:
    return (f"a budget of {usd(budget_usd)} at {limits.usd_per_million_events:.2f} USD per million events "
            f"({limits.matches_per_event:g} rule matches each, {model.profile.name} prices)")
