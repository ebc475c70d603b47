"""VOL001: an agent's hourly cap is not above its daily cap."""

from __future__ import annotations

from typing import Iterable

from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.units import count
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology


class HourlyCapWithinDaily(Check):
    id = "VOL001"
    shortdesc = "Hourly cap not above the daily cap"
    description = ("An hour cannot hold more events than its day: per_hour > per_day means one of the two numbers "
                   "is wrong, and the SDK's rate limit would not say which.")

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        for agent in topology.agents.values():
            if agent.per_hour > agent.per_day:
                yield Violation(agent.path + ("volume", "per_hour"),
                                f"agent {agent.name}'s hourly cap {count(agent.per_hour)} is above its daily cap {count(agent.per_day)}")
