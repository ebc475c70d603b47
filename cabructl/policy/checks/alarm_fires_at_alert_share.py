"""ALARM002: the cost alarm fires by the time the alert share of the budget is spent."""

from __future__ import annotations

import math
from typing import Iterable

from cabructl.policy.alarm import AlarmUnmeasurable, alarm_reach, latest
from cabructl.policy.checks.base import CASE_LABELS, Check, Violation
from cabructl.policy.units import count, duration, usd
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology


class AlarmFiresAtAlertShare(Check):
    id = "ALARM002"
    shortdesc = "Cost alarm fires at the alert share"
    description = ("budget.alert_at says when people want to hear about spend. The alarm must trigger when the "
                   "metric's rate implies spending that share of the budget, whatever the mix (worst case or expected). "
                   "An alarm that fires only after the whole budget is ALARM001's business.")

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        alarm, budget = topology.cost_alarm, topology.budget
        if alarm is None or budget is None:
            return
        try:
            reach = latest(alarm_reach(alarm, model, topology.budget.scope if topology.budget else "eventbridge"))
        except AlarmUnmeasurable:
            return  # reported by ALARM001
        alert_usd = budget.monthly_usd * budget.alert_ratio
        if alert_usd < reach.trigger_usd <= budget.monthly_usd:
            yield Violation(
                alarm.path + ("threshold",),
                f"{alarm.metric} {alarm.statistic} ≥ {count(alarm.threshold)} per {duration(alarm.period)} is reached at a spend of "
                f"{usd(reach.trigger_usd)} a month ({reach.trigger_usd / budget.monthly_usd:.0%} of the budget, "
                f"{CASE_LABELS[reach.case]} mix, {model.profile.name} prices): after the {budget.alert_ratio:.0%} alert share ({usd(alert_usd)})",
                hint=f"a threshold of at most {count(math.floor(reach.threshold_for(alert_usd)))} per {duration(alarm.period)} fires in time",
            )
