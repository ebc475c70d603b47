"""ALARM001: a cost alarm exists, notifies someone, and can fire before the budget is spent."""

from __future__ import annotations

import math
from typing import Iterable

from cabructl.policy.alarm import AlarmUnmeasurable, alarm_reach, latest
from cabructl.policy.checks.base import CASE_LABELS, Check, Violation
from cabructl.policy.units import count, duration, usd
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology


class AlarmFiresBeforeBudget(Check):
    id = "ALARM001"
    shortdesc = "Cost alarm fires before the budget is spent"
    description = ("The seed alarmed at 9 M matched events in a one-day period: at its own prices that rate costs "
                   "hundreds of dollars a month, so a 10 USD month ends long before the alarm could fire. The alarm's "
                   "metric, statistic, period and threshold are turned into the monthly spend at which it fires; "
                   "that must be within the budget.")

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        alarm, budget = topology.cost_alarm, topology.budget
        if alarm is None:
            yield Violation(("monitoring",), "no cost alarm: nothing warns before the budget is spent",
                            hint="declare `monitoring.cost_alarm` on MatchedEvents, Sum, with an hourly period")
            return
        if not alarm.actions:
            yield Violation(alarm.path, "the cost alarm notifies no one: it has no `actions`")
        if budget is None:
            return
        try:
            reach = latest(alarm_reach(alarm, model, budget.scope))
        except AlarmUnmeasurable as problem:
            yield Violation(alarm.path + ("metric",), f"the cost alarm cannot track spend: {problem}")
            return
        if reach.trigger_usd > budget.monthly_usd:
            alert_usd = budget.monthly_usd * budget.alert_ratio
            yield Violation(
                alarm.path + ("threshold",),
                f"{alarm.metric} {alarm.statistic} ≥ {count(alarm.threshold)} per {duration(alarm.period)} is reached only at a spend of "
                f"{usd(reach.trigger_usd)} a month ({CASE_LABELS[reach.case]} mix, {model.profile.name} prices), "
                f"{reach.trigger_usd / budget.monthly_usd:.1f}× the {usd(budget.monthly_usd)} budget: "
                f"it can never fire before the budget is spent",
                hint=f"a threshold of at most {count(math.floor(reach.threshold_for(alert_usd)))} per {duration(alarm.period)} fires at the "
                     f"{budget.alert_ratio:.0%} alert share ({usd(alert_usd)})",
            )
