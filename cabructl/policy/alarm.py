"""When does the cost alarm fire, in dollars? The cost alarm read through the traffic model.

An alarm on ``MatchedEvents Sum ≥ T per period`` fires when the bus matches T events
in one period. At the topology's proportions of traffic, a month at that rate costs
``T × periods per month × (projected cost / projected matches)``: that is the spend
at which the alarm fires. Both cases are evaluated and the later one counts, because
an alarm is only useful if it fires in time whatever the mix turns out to be.
"""

from __future__ import annotations

from dataclasses import dataclass

from cabructl.policy.traffic import CASES, SECONDS_PER_DAY, TrafficModel
from cabructl.topology.model import CostAlarm

VOLUME_STATISTIC = "Sum"


@dataclass(frozen=True)
class AlarmReach:
    """Where, in monthly spend, one case puts the alarm's threshold."""

    case: str
    periods_per_month: float
    usd_per_unit: float  # monthly cost per unit of the metric, at the projected mix (what grows with traffic)
    trigger_usd: float  # monthly spend at which the threshold is reached
    fixed_usd: float = 0.0  # monthly prices in the budget's scope that do not grow with traffic

    def threshold_for(self, spend_usd: float) -> float:
        """The threshold that fires exactly at ``spend_usd`` a month."""
        return max(0.0, spend_usd - self.fixed_usd) / self.usd_per_unit / self.periods_per_month


class AlarmUnmeasurable(Exception):
    """The model cannot tie this alarm to spend; the message says why (for ALARM001)."""


def alarm_reach(alarm: CostAlarm, model: TrafficModel, scope: str = "eventbridge") -> list[AlarmReach]:
    """The alarm's trigger spend in each case, in the budget's ``scope``, or AlarmUnmeasurable.

    Monthly prices (a dashboard, a key) are spent whatever the traffic, so they are added to the
    trigger spend rather than spread over the metric's units.
    """
    if alarm.statistic != VOLUME_STATISTIC:
        raise AlarmUnmeasurable(f"statistic {alarm.statistic} of {alarm.metric} does not add up a volume; only {VOLUME_STATISTIC} does")
    periods_per_month = model.parameters.days_per_month * SECONDS_PER_DAY / alarm.period
    reaches = []
    for case in CASES:
        units = model.metric_per_month(alarm.metric, case)
        if units is None:
            raise AlarmUnmeasurable(f"the cost model cannot relate {alarm.metric} to spend; alarm on MatchedEvents, TriggeredRules or Invocations")
        if units == 0:
            raise AlarmUnmeasurable(f"no rule matches what the agents publish, so {alarm.metric} never grows and the alarm cannot fire")
        fixed = model.bill.fixed(case, scope) if model.bill is not None else 0.0
        usd_per_unit = (model.budget_total(case, scope) - fixed) / units
        reaches.append(AlarmReach(case, periods_per_month, usd_per_unit,
                                  fixed + alarm.threshold * periods_per_month * usd_per_unit, fixed))
    return reaches


def latest(reaches: list[AlarmReach]) -> AlarmReach:
    """The case in which the alarm fires last: the one that decides whether it is in time."""
    return max(reaches, key=lambda reach: reach.trigger_usd)
