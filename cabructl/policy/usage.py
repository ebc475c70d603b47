"""Actual usage from CloudWatch, priced like the projection: ``cabructl cost``.

EventBridge publishes its counters in the ``AWS/Events`` namespace: rule matches per
rule of the bus (``MatchedEvents`` with ``EventBusName`` and ``RuleName``), the bus's
``MatchedEvents`` and, for the whole account only, ``PutEventsEntriesCount``. One
``GetMetricData`` call reads the last N days of all of them; the same
:class:`PricingProfile` and per-event averages as the model turn them into money,
so "projected" and "actual" are comparable line by line.

The agent SDK's own ``EventsPublished`` (in the topology's metrics namespace, per
Agent and DetailType) is read in the same call, for the per-agent lines: what each
agent type published and what that cost at the profile's per-event price. Agents
publish it only with telemetry on, so it may well be absent.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from cabructl.constants import EVENTS_NAMESPACE
from cabructl.policy.pricing import CostBreakdown, Volume
from cabructl.policy.traffic import EXPECTED, SECONDS_PER_DAY, TrafficModel
from cabructl.resources.agent_metrics import AGENT_DIMENSION, DETAIL_TYPE_DIMENSION, EVENTS_PUBLISHED, agent_detail_types
from cabructl.topology.model import Topology

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.policy.service_usage import Reading

# The window ends a minute ahead: CloudWatch (and moto, which drops the sub-second part of
# EndTime) would leave out datapoints of the last second, those of events just published.
CLOCK_SLACK = _dt.timedelta(minutes=1)
PUBLISHED_METRIC = "PutEventsEntriesCount"  # no bus dimension: the whole account and region
MATCHED_METRIC = "MatchedEvents"
SUM = "Sum"
MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit on MetricDataQueries


@dataclass(frozen=True)
class ObservedUsage:
    """What CloudWatch counted over the window; None where it has no datapoints."""

    bus: str
    days: int
    published: float | None
    bus_matched: float | None
    rule_matches: Mapping[str, float]
    metrics_namespace: str = ""
    agent_published: Mapping[str, float] = field(default_factory=dict)  # SDK EventsPublished per agent with datapoints
    extra: Mapping[str, float] = field(default_factory=dict)  # the sums of the caller's own queries, by id, where they have data


@dataclass(frozen=True)
class AgentUsage:
    """One agent type's events as the SDK counted them, priced per event."""

    agent: str
    published: float | None  # None: no SDK datapoints for this agent in the window
    usd: float


@dataclass(frozen=True)
class UsageReport:
    observed: ObservedUsage
    profile_name: str
    days_per_month: float
    published: float
    published_basis: str  # where the published count comes from
    rule_matches: float
    cost_so_far: CostBreakdown
    projected_events: float
    projected_usd: float
    budget_usd: float | None
    alert_usd: float | None
    budget_events: float | None  # events a month the budget pays for, at the observed mix
    agents: tuple[AgentUsage, ...] = ()  # per agent type, from the SDK's own metrics
    readings: tuple["Reading", ...] = ()  # per service metric, measured beside the model (policy.service_usage)

    @property
    def remaining_events(self) -> float | None:
        return None if self.budget_events is None else self.budget_events - self.projected_events

    @property
    def over_alert(self) -> bool:
        return self.alert_usd is not None and self.projected_usd >= self.alert_usd


def read_usage(aws: Any, topology: Topology, days: int, now: _dt.datetime | None = None,
               extra_queries: Sequence[dict[str, Any]] = ()) -> ObservedUsage:
    """Sum the bus's counters over the last ``days`` days, in one GetMetricData conversation;
    ``extra_queries`` (ids other than this function's) ride along and come back in ``extra``."""
    end = (now or _dt.datetime.now(_dt.timezone.utc)) + CLOCK_SLACK
    start = end - _dt.timedelta(days=days)
    bus = topology.bus.name
    rules = list(topology.rules.values())
    queries = [metric_query("published", PUBLISHED_METRIC, {}), metric_query("bus", MATCHED_METRIC, {"EventBusName": bus})]
    queries += [metric_query(f"rule{index}", MATCHED_METRIC, {"EventBusName": bus, "RuleName": rule.name}) for index, rule in enumerate(rules)]
    pairs = [(agent, detail_type) for agent, types in agent_detail_types(topology).items() for detail_type in types]
    queries += [metric_query(f"sdk{index}", EVENTS_PUBLISHED, {AGENT_DIMENSION: agent, DETAIL_TYPE_DIMENSION: detail_type},
                       namespace=topology.metrics_namespace) for index, (agent, detail_type) in enumerate(pairs)]
    sums = metric_sums(aws, [*queries, *extra_queries], start, end)
    agent_published: dict[str, float] = {}
    for index, (agent, _) in enumerate(pairs):
        if f"sdk{index}" in sums:
            agent_published[agent] = agent_published.get(agent, 0.0) + sums[f"sdk{index}"]
    return ObservedUsage(
        bus=bus,
        days=days,
        published=sums.get("published"),
        bus_matched=sums.get("bus"),
        rule_matches={rule.logical: sums[f"rule{index}"] for index, rule in enumerate(rules) if f"rule{index}" in sums},
        metrics_namespace=topology.metrics_namespace,
        agent_published=agent_published,
        extra={query["Id"]: sums[query["Id"]] for query in extra_queries if query["Id"] in sums},
    )


# What the demo (and anyone rehearsing failures) wants to see per rule.
RULE_DELIVERY_METRICS = ("MatchedEvents", "Invocations", "FailedInvocations", "InvocationsSentToDlq")


def rule_metric_counts(aws: Any, topology: Topology, since: _dt.datetime, metrics: tuple[str, ...] = RULE_DELIVERY_METRICS,
                       now: _dt.datetime | None = None) -> dict[str, dict[str, float]]:
    """Rule (logical name) → metric → the sum CloudWatch holds since ``since``; 0 where it has none."""
    end = (now or _dt.datetime.now(_dt.timezone.utc)) + CLOCK_SLACK
    sums = _rule_sums(aws, topology, list(topology.rules), metrics, since, end)
    return {logical: {metric: sums.get((logical, metric), 0.0) for metric in metrics} for logical in topology.rules}


def rule_metric_window(aws: Any, topology: Topology, rules: list[str], start: _dt.datetime, end: _dt.datetime,
                       metric: str = MATCHED_METRIC) -> dict[str, float]:
    """Rule (logical name) → the sum of ``metric`` over [start, end); rules without datapoints are left out.

    For an operation that prices a past window (a replay).
    """
    sums = _rule_sums(aws, topology, rules, (metric,), start, end)
    return {logical: sums[(logical, metric)] for logical in rules if (logical, metric) in sums}


def _rule_sums(aws: Any, topology: Topology, rules: list[str], metrics: tuple[str, ...], start: _dt.datetime,
               end: _dt.datetime) -> dict[tuple[str, str], float]:
    """(rule logical name, metric) → the sum over [start, end), in one GetMetricData conversation; pairs
    without datapoints are left out. One-minute periods while CloudWatch keeps them (15 days), hourly
    beyond, so a long window stays one call."""
    bus = topology.bus.name
    period = 60 if end - start <= _dt.timedelta(days=15) else 3600
    pairs = [(logical, metric) for logical in rules for metric in metrics]
    queries = [metric_query(f"q{index}", metric, {"EventBusName": bus, "RuleName": topology.rules[logical].name}, period=period)
               for index, (logical, metric) in enumerate(pairs)]
    sums = metric_sums(aws, queries, start, end) if queries else {}
    return {pair: sums[f"q{index}"] for index, pair in enumerate(pairs) if f"q{index}" in sums}


def metric_query(query_id: str, metric: str, dimensions: Mapping[str, str], period: int = SECONDS_PER_DAY,
           namespace: str = EVENTS_NAMESPACE) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric,
                       "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()]},
            "Period": period,
            "Stat": SUM,
        },
        "ReturnData": True,
    }


def metric_sums(aws: Any, queries: Sequence[dict[str, Any]], start: _dt.datetime, end: _dt.datetime) -> dict[str, float]:
    """Query id → sum of its datapoints; ids with no datapoints are left out. GetMetricData takes at most
    500 queries a call, so more are asked in turns."""
    client = aws.client("cloudwatch")
    sums: dict[str, float] = {}
    for first in range(0, len(queries), MAX_QUERIES_PER_CALL):
        request: dict[str, Any] = {"MetricDataQueries": list(queries[first:first + MAX_QUERIES_PER_CALL]),
                                   "StartTime": start, "EndTime": end}
        while True:
            response = client.get_metric_data(**request)
            for result in response.get("MetricDataResults", []):
                if result.get("Values"):
                    sums[result["Id"]] = sums.get(result["Id"], 0.0) + float(sum(result["Values"]))
            token = response.get("NextToken")
            if not token:
                break
            request["NextToken"] = token
    return sums


def usage_report(observed: ObservedUsage, model: TrafficModel, topology: Topology,
                 readings: tuple["Reading", ...] = ()) -> UsageReport:
    """Price what was observed and project it over a month, against the budget; ``readings`` are the
    services' own counters beside the model (:func:`cabructl.policy.service_usage.observe`)."""
    rule_matches = sum(observed.rule_matches.values()) if observed.rule_matches else (observed.bus_matched or 0.0)
    published, basis = _published(observed, model, rule_matches)
    cost = model.profile.cost(model.unit_volume(0.0).scaled(published) + Volume(rule_matches=rule_matches))
    factor = model.parameters.days_per_month / observed.days
    budget = topology.budget
    budget_events = None
    if budget is not None:
        unit_usd = model.profile.cost(model.unit_volume(rule_matches / published if published else 0.0)).total
        budget_events = budget.monthly_usd / unit_usd if unit_usd else None
    return UsageReport(
        observed=observed,
        profile_name=model.profile.name,
        days_per_month=model.parameters.days_per_month,
        published=published,
        published_basis=basis,
        rule_matches=rule_matches,
        cost_so_far=cost,
        projected_events=published * factor,
        projected_usd=cost.total * factor,
        budget_usd=budget.monthly_usd if budget else None,
        alert_usd=budget.monthly_usd * budget.alert_ratio if budget else None,
        budget_events=budget_events,
        agents=tuple(AgentUsage(name, observed.agent_published.get(name), _event_cost(model, name, observed.agent_published.get(name)))
                     for name in topology.agents),
        readings=readings,
    )


def _event_cost(model: TrafficModel, agent: str, events: float | None) -> float:
    """What publishing ``events`` of ``agent`` cost under the profile: each event × its 64 KB chunks, as the model sizes them."""
    projection = model.agents.get(agent)
    chunks = projection.chunks if projection is not None else 1
    return model.profile.cost(Volume(billed_events=(events or 0.0) * chunks)).published_usd


def _published(observed: ObservedUsage, model: TrafficModel, rule_matches: float) -> tuple[float, str]:
    """PutEvents entries when CloudWatch has them, else inferred from matches at the model's expected mix."""
    if observed.published is not None:
        return observed.published, f"{PUBLISHED_METRIC} (the whole account in this region)"
    expected_matches = model.rule_matches(EXPECTED)
    if expected_matches:
        return rule_matches * model.published / expected_matches, f"inferred from {MATCHED_METRIC} at the model's expected mix"
    return 0.0, "no data"
