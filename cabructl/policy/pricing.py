"""Turning a month of traffic into dollars under one pricing profile.

Everything that costs money is first expressed as a :class:`Volume` (billed event
chunks, rule matches, archive bytes…) and priced here, in exactly one function, so
a projection, a per-rule share, a derived limit and the ``cost`` command's actual
usage can never disagree about what a unit costs. The unit prices themselves live in
``policies/pricing.yaml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

MILLION = 1_000_000


@dataclass(frozen=True)
class Prices:
    """One profile's unit prices in USD; the field names are pricing.yaml's keys."""

    published_events_per_million: float
    rule_matches_per_million: float
    replayed_events_per_million: float
    archive_processed_per_gb: float
    archive_stored_per_gb_month: float
    schema_discovery_per_million: float
    schema_discovery_free_million_per_month: float
    cross_account_delivery_per_million: float
    dynamodb_write_requests_per_million: float  # the idempotency table: outside EventBridge and its budget total
    # The agent SDK's own metrics (monitoring.agent_metrics): CloudWatch, outside EventBridge and its budget total.
    cloudwatch_custom_metrics_per_month: float
    cloudwatch_custom_metrics_free_per_month: float


@dataclass(frozen=True)
class Volume:
    """What a month of traffic consists of, in the units prices are quoted in."""

    billed_events: float = 0.0  # published events × their 64 KB chunks
    rule_matches: float = 0.0
    replayed_events: float = 0.0  # billed chunks of replayed events
    archived_bytes: float = 0.0
    stored_byte_months: float = 0.0  # bytes held in the archive, averaged over the month

    def __add__(self, other: "Volume") -> "Volume":
        return Volume(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Volume)))

    def scaled(self, factor: float) -> "Volume":
        return Volume(*(getattr(self, f.name) * factor for f in fields(Volume)))


@dataclass(frozen=True)
class CostBreakdown:
    """Monthly USD by line item; ``total`` is what the budget is compared with."""

    published_usd: float = 0.0
    matched_usd: float = 0.0
    replayed_usd: float = 0.0
    archive_processed_usd: float = 0.0
    archive_stored_usd: float = 0.0

    @property
    def total(self) -> float:
        return sum(getattr(self, f.name) for f in fields(CostBreakdown))

    def __add__(self, other: "CostBreakdown") -> "CostBreakdown":
        return CostBreakdown(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(CostBreakdown)))

    def to_json(self) -> dict[str, float]:
        return {**{f.name: getattr(self, f.name) for f in fields(CostBreakdown)}, "total_usd": self.total}


@dataclass(frozen=True)
class PricingProfile:
    """A named profile resolved for one region."""

    name: str
    description: str
    source: str | None
    region: str
    event_chunk_bytes: int
    bytes_per_gb: int
    prices: Prices

    def chunks(self, event_bytes: int) -> int:
        """How many billed events one event of ``event_bytes`` is (at least one)."""
        return max(1, math.ceil(event_bytes / self.event_chunk_bytes))

    def cost(self, volume: Volume) -> CostBreakdown:
        """The one place a volume becomes money."""
        prices = self.prices
        return CostBreakdown(
            published_usd=volume.billed_events / MILLION * prices.published_events_per_million,
            matched_usd=volume.rule_matches / MILLION * prices.rule_matches_per_million,
            replayed_usd=volume.replayed_events / MILLION * prices.replayed_events_per_million,
            archive_processed_usd=volume.archived_bytes / self.bytes_per_gb * prices.archive_processed_per_gb,
            archive_stored_usd=volume.stored_byte_months / self.bytes_per_gb * prices.archive_stored_per_gb_month,
        )

    def table_writes_cost(self, write_request_units: float) -> float:
        """USD for a month of the idempotency table's writes: DynamoDB, so never part of :meth:`cost`
        (whose total is what the EventBridge budget is compared with)."""
        return write_request_units / MILLION * self.prices.dynamodb_write_requests_per_million

    def custom_metrics_cost(self, metrics: int) -> float:
        """USD a month for ``metrics`` CloudWatch custom metrics (each name × dimension values is one), past
        the free ones: CloudWatch, so never part of :meth:`cost` either."""
        billed = max(0.0, metrics - self.prices.cloudwatch_custom_metrics_free_per_month)
        return billed * self.prices.cloudwatch_custom_metrics_per_month

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "region": self.region,
            "event_chunk_bytes": self.event_chunk_bytes,
            "prices": {f.name: getattr(self.prices, f.name) for f in fields(Prices)},
        }
