"""What every service's cost model reads: the topology, the traffic model, the profile, the flows.

The usage assumptions beyond the agents' volumes (how often deliveries fail, how consumers
poll, how much of an ingested byte is stored) are policy.yaml's ``model.backbone``, so a
team tunes them as data and every report states them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Mapping

from cabructl.policy.bill.flows import Arrival, Flow, arrivals
from cabructl.policy.bill.items import SHARED, LineItem, PerCase, per_case
from cabructl.policy.pricing import PricingProfile
from cabructl.policy.traffic import CASES, SECONDS_PER_DAY, TrafficModel
from cabructl.topology.model import Topology


@dataclass(frozen=True)
class BackboneParameters:
    """policy.yaml ``model.backbone``: the usage the agents' volumes do not say."""

    delivery_failure_rate: float      # share of deliveries, and of consumed messages, that fail (to a dead-letter queue)
    consumer_processes: int           # SDK processes each consuming agent runs per queue, each one long-polling
    messages_per_receive: float       # messages one non-empty ReceiveMessage returns
    messages_per_delete: float        # messages one DeleteMessageBatch removes
    logs_event_overhead_bytes: int    # bytes counted per log event beside its message
    logs_stored_ratio: float          # bytes stored per byte ingested (AWS compresses; 1 is the upper bound)
    kms_data_key_reuse_seconds: int   # how long SQS and SNS reuse a data key (AWS's default: 300 s)
    idempotency_item_bytes: int       # one idempotency record, key and attributes

    @classmethod
    def from_policy(cls, model: Mapping[str, Any]) -> "BackboneParameters":
        return cls(**model["backbone"])


@dataclass(frozen=True)
class BillInputs:
    topology: Topology
    model: TrafficModel
    profile: PricingProfile
    parameters: BackboneParameters
    flows: list[Flow] = field(default_factory=list)

    @property
    def month_seconds(self) -> float:
        return self.model.parameters.days_per_month * SECONDS_PER_DAY

    def item(self, service: str, key: str, title: str, unit: str, price_key: str, per: float,
             by_agent: Mapping[str, PerCase], basis: str = "", *, fixed: bool = False) -> LineItem:
        """A line item priced at ``price_key`` of ``service`` in this profile, free tier applied if opted in."""
        return LineItem(key, title, unit, price_key, self.profile.price(service, price_key), per, by_agent, basis,
                        self.profile.free(service, price_key), fixed)

    def flows_billed_as(self, meter: str) -> list[Flow]:
        return [flow for flow in self.flows if flow.kind.billed_as == meter]

    @cached_property
    def queue_arrivals(self) -> list[Arrival]:
        """Every message the queues receive, at policy.yaml's failure rate (see :func:`.flows.arrivals`);
        listed once for the services that bill them (SQS, DynamoDB)."""
        return arrivals(self.topology, self.flows, self.parameters.delivery_failure_rate)


def add_to(totals: dict[str, dict[str, float]], agent: str, amounts: PerCase, factor: float = 1.0) -> None:
    """Add ``amounts × factor`` to ``agent``'s quantities, case by case."""
    mine = totals.setdefault(agent, per_case(0.0))
    for case in CASES:
        mine[case] += amounts.get(case, 0.0) * factor


def shared(amount: float) -> dict[str, dict[str, float]]:
    """A quantity no agent causes, the same in every case."""
    return {SHARED: per_case(amount)}


def names(values: Iterable[str]) -> str:
    listed = sorted(set(values))
    return ", ".join(listed) if listed else "none"
