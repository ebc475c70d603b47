"""VOL002: an agent's daily cap can be reached at its hourly cap."""

from __future__ import annotations

import math
from typing import Iterable

from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.units import count
from cabructl.policy.traffic import HOURS_PER_DAY, TrafficModel
from cabructl.topology.model import Topology


class DailyCapReachable(Check):
    id = "VOL002"
    shortdesc = "Daily cap reachable at the hourly cap"
    description = ("per_hour × 24 below per_day makes the daily cap dead letter: the SDK stops the agent first. "
                   "The budget is projected from per_day, so the projection overstates this agent, and the caps "
                   "no longer say what the team meant.")

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        for agent in topology.agents.values():
            reachable = agent.per_hour * HOURS_PER_DAY
            if reachable < agent.per_day:
                yield Violation(
                    agent.path + ("volume", "per_day"),
                    f"agent {agent.name}'s daily cap {count(agent.per_day)} cannot be reached: its hourly cap allows "
                    f"{count(agent.per_hour)} × {HOURS_PER_DAY} = {count(reachable)} a day",
                    hint=f"raise per_hour to at least {count(math.ceil(agent.per_day / HOURS_PER_DAY))} or lower per_day to {count(reachable)}",
                )
