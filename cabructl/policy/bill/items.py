"""The shape of the whole bill: line items, one service's bill, every service's.

A line item is a quantity a month (per case) in the unit its price is quoted in, the price,
and how the quantity splits among agents, so one number feeds every view: the service's
total, a scope's total, an agent's share and the worked formula the docs show. USD is
always derived, never stored, so the views cannot disagree.

A free-tier allowance belongs to a price, not to a line: AWS grants SQS one million requests a
month whatever the request, so every item of a service priced at the same key draws on one
allowance (:func:`share_allowances`, which :class:`ServiceBill` applies), each in proportion to
its quantity. Deducting it per item would give a service with four request items four million.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

from cabructl.policy.traffic import CASES, WORST

SHARED = "(shared)"  # what no one agent causes: a dashboard, a key, an unconsumed queue's polls
EVENTBRIDGE_SCOPE = "eventbridge"
BACKBONE_SCOPE = "backbone"
SCOPES = (EVENTBRIDGE_SCOPE, BACKBONE_SCOPE)
PerCase = Mapping[str, float]


def counts_in(scope: str, service: str) -> bool:
    """Whether a budget of ``scope`` counts ``service``: the backbone every service, eventbridge its own."""
    return scope == BACKBONE_SCOPE or service == EVENTBRIDGE_SCOPE


def per_case(value: float) -> dict[str, float]:
    """The same value in every case (a monthly price, a fixed count)."""
    return {case: value for case in CASES}


@dataclass(frozen=True)
class LineItem:
    """One priced quantity of one service."""

    key: str                 # stable id within the service: ``ingestion``
    title: str               # what a person reads: ``data ingested``
    unit: str                # the quantity's unit: ``GB``, ``requests``
    price_key: str           # the pricing.yaml key it is priced at
    price: float             # USD per ``per`` units
    per: float               # 1,000,000 for a price per million, 1 for a price per GB
    by_agent: Mapping[str, PerCase]  # agent (or SHARED) → case → quantity a month
    basis: str = ""          # how the quantity is made, for the report's formula
    free: float = 0.0        # units a month the free tier covers at this price (0 unless the profile opts in)
    fixed: bool = False      # a monthly price that does not grow with traffic
    # case → quantity of every item of the service priced at ``price_key`` (this one included), which share
    # ``free``; empty while the item is the only one drawing on it.
    pool: Mapping[str, float] = field(default_factory=dict)

    def quantity(self, case: str) -> float:
        return sum(quantities.get(case, 0.0) for quantities in self.by_agent.values())

    def free_units(self, case: str) -> float:
        """This item's share of the allowance: all of it alone, else in proportion to its part of the pool."""
        if not self.pool:
            return self.free
        pooled = self.pool.get(case, 0.0)
        return self.free * self.quantity(case) / pooled if pooled else 0.0

    def usd(self, case: str) -> float:
        billed = max(0.0, self.quantity(case) - self.free_units(case))
        return billed / self.per * self.price

    def agent_usd(self, case: str) -> dict[str, float]:
        """Each agent's share of :meth:`usd`, in proportion to its quantity (the free tier shared alike)."""
        total = self.quantity(case)
        usd = self.usd(case)
        return {agent: (quantities.get(case, 0.0) / total * usd if total else 0.0) for agent, quantities in self.by_agent.items()}

    def to_json(self) -> dict[str, object]:
        return {"title": self.title, "unit": self.unit, "quantity": {case: self.quantity(case) for case in CASES},
                "price_key": self.price_key, "price_usd": self.price, "per": self.per,
                # The text formula shows the worst case (the gate's), so ``free_units`` is its share there.
                "free_units": self.free_units(WORST), "free_units_by_case": {case: self.free_units(case) for case in CASES},
                "free_allowance_units": self.free,
                "fixed": self.fixed, "basis": self.basis, "cost_usd": {case: self.usd(case) for case in CASES},
                "cost_by_agent_usd": {agent: {case: self.agent_usd(case)[agent] for case in CASES} for agent in self.by_agent}}


@dataclass(frozen=True)
class ServiceBill:
    """One service's month: its line items, the assumptions they rest on, and what is not modelled."""

    service: str
    title: str
    items: tuple[LineItem, ...]
    source: str = ""  # where the prices were read, and when
    assumptions: tuple[str, ...] = ()
    not_modelled: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", share_allowances(self.items))

    def usd(self, case: str) -> float:
        return sum(item.usd(case) for item in self.items)

    def fixed_usd(self, case: str) -> float:
        return sum(item.usd(case) for item in self.items if item.fixed)

    def agent_usd(self, case: str) -> dict[str, float]:
        return summed(item.agent_usd(case) for item in self.items)

    def item(self, key: str) -> LineItem:
        return next(item for item in self.items if item.key == key)

    def to_json(self) -> dict[str, object]:
        return {"title": self.title, "source": self.source, "cost_usd": {case: self.usd(case) for case in CASES},
                "in_eventbridge_scope": self.service == EVENTBRIDGE_SCOPE,
                "items": {item.key: item.to_json() for item in self.items},
                "assumptions": list(self.assumptions), "not_modelled": list(self.not_modelled)}


def summed(shares: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Agent → USD, added up over ``shares`` (items of a service, services of a scope)."""
    result: dict[str, float] = {}
    for share in shares:
        for agent, usd in share.items():
            result[agent] = result.get(agent, 0.0) + usd
    return result


def share_allowances(items: Iterable[LineItem]) -> tuple[LineItem, ...]:
    """``items`` with each free allowance pooled among the items priced at its key (see the module docstring)."""
    items = tuple(items)
    pools: dict[str, dict[str, float]] = {}
    drawing: dict[str, int] = {}
    for item in items:
        if item.free:
            drawing[item.price_key] = drawing.get(item.price_key, 0) + 1
            pool = pools.setdefault(item.price_key, per_case(0.0))
            for case in CASES:
                pool[case] += item.quantity(case)
    return tuple(replace(item, pool=pools[item.price_key]) if item.free and drawing[item.price_key] > 1 else item for item in items)


@dataclass(frozen=True)
class Bill:
    """Every service's month, totalled per budget scope and per agent."""

    services: Mapping[str, ServiceBill] = field(default_factory=dict)

    def in_scope(self, scope: str) -> Iterable[ServiceBill]:
        return (bill for name, bill in self.services.items() if counts_in(scope, name))

    def total(self, case: str, scope: str) -> float:
        return sum(bill.usd(case) for bill in self.in_scope(scope))

    def fixed(self, case: str, scope: str) -> float:
        return sum(bill.fixed_usd(case) for bill in self.in_scope(scope))

    def agent_usd(self, case: str, scope: str) -> dict[str, float]:
        return summed(bill.agent_usd(case) for bill in self.in_scope(scope))

    @property
    def not_modelled(self) -> list[str]:
        return [note for bill in self.services.values() for note in bill.not_modelled]

    def to_json(self, agents: Iterable[str]) -> dict[str, object]:
        names = [*agents, SHARED]
        return {
            "services": {name: bill.to_json() for name, bill in self.services.items()},
            "totals_usd": {scope: {case: self.total(case, scope) for case in CASES} for scope in SCOPES},
            "per_agent_usd": {scope: {agent: {case: self.agent_usd(case, scope).get(agent, 0.0) for case in CASES} for agent in names}
                              for scope in SCOPES},
            "not_modelled": self.not_modelled,
        }
