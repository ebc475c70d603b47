"""Turning a month of traffic into dollars under one pricing profile, for one region.

Everything EventBridge bills is first expressed as a :class:`Volume` (billed event
chunks, rule matches, archive bytes…) and priced here, in exactly one function, so
a projection, a per-rule share, a derived limit and the ``cost`` command's actual
usage can never disagree about what a unit costs. The other services the topology
provisions are priced by :mod:`cabructl.policy.bill`, through :meth:`PricingProfile.price`
and :meth:`PricingProfile.free`. The unit prices themselves live in ``policies/pricing.yaml``,
per service and region, each with the page it was read from and when.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Mapping

MILLION = 1_000_000
EVENTBRIDGE = "eventbridge"

# Every service's price keys: pricing.yaml must give each of them for every region it lists.
# The key says the unit: ``_per_million`` (USD per million of a count), ``_per_gb`` (USD per GB),
# ``_per_gb_month`` (USD per GB held for a month), ``_per_month`` (USD per thing per month).
SERVICE_PRICE_KEYS: dict[str, tuple[str, ...]] = {
    EVENTBRIDGE: ("published_events_per_million", "rule_matches_per_million", "replayed_events_per_million",
                  "archive_processed_per_gb", "archive_stored_per_gb_month", "schema_discovery_per_million",
                  "cross_account_delivery_per_million", "api_destination_invocations_per_million"),
    "logs": ("ingested_per_gb", "stored_per_gb_month"),
    "sqs": ("standard_requests_per_million", "fifo_requests_per_million"),
    "sns": ("publishes_per_million", "http_deliveries_per_million", "email_deliveries_per_million",
            "sqs_deliveries_per_million", "lambda_deliveries_per_million", "mobile_push_deliveries_per_million"),
    "cloudwatch": ("dashboard_per_month", "alarm_metric_per_month", "custom_metric_per_month"),
    "kms": ("key_per_month", "requests_per_million"),
    "dynamodb": ("write_requests_per_million", "read_requests_per_million", "stored_per_gb_month"),
}


@dataclass(frozen=True)
class Prices:
    """EventBridge's unit prices in USD under one profile and region; the field names are pricing.yaml's keys."""

    published_events_per_million: float
    rule_matches_per_million: float
    replayed_events_per_million: float
    archive_processed_per_gb: float
    archive_stored_per_gb_month: float
    schema_discovery_per_million: float
    cross_account_delivery_per_million: float
    api_destination_invocations_per_million: float


@dataclass(frozen=True)
class ServicePrices:
    """One service's prices in one region, with where they were read and when."""

    service: str
    title: str
    prices: Mapping[str, float]
    source: str
    read: str  # the date the prices were read from ``source``
    note: str | None = None  # what a reader should know about them (a figure that stands in for another)

    def to_json(self) -> dict[str, object]:
        return {"title": self.title, "prices": dict(self.prices), "source": self.source, "read": self.read, "note": self.note}


@dataclass(frozen=True)
class Volume:
    """What a month of EventBridge traffic consists of, in the units prices are quoted in."""

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
    """EventBridge's monthly USD by line item, from :meth:`PricingProfile.cost`."""

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
    """A named profile resolved for one region: every service's prices, and the free tier if opted in."""

    name: str
    description: str
    source: str | None
    region: str
    event_chunk_bytes: int
    bytes_per_gb: int
    prices: Prices
    services: Mapping[str, ServicePrices] = field(default_factory=dict)
    request_chunk_bytes: int = 65536  # SQS and SNS bill each 64 KB chunk of a payload as one request
    free_tier: bool = False  # opt-in: a budget gate must not count on an allowance the whole account shares
    allowances: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # service → price key → free units a month
    free_tier_source: str | None = None

    def chunks(self, event_bytes: float) -> int:
        """How many billed events one event of ``event_bytes`` is (at least one)."""
        return max(1, math.ceil(event_bytes / self.event_chunk_bytes))

    def request_chunks(self, payload_bytes: float) -> int:
        """How many billed SQS or SNS requests one payload of ``payload_bytes`` is (at least one)."""
        return max(1, math.ceil(payload_bytes / self.request_chunk_bytes))

    def price(self, service: str, key: str) -> float:
        """USD per unit of ``key`` (its name says the unit), in this profile and region."""
        return self.services[service].prices[key]

    def free(self, service: str, key: str) -> float:
        """Units of ``key`` a month the free tier covers: 0 unless the profile opts in."""
        return self.allowances.get(service, {}).get(key, 0.0) if self.free_tier else 0.0

    def cost(self, volume: Volume) -> CostBreakdown:
        """The one place an EventBridge volume becomes money."""
        prices = self.prices
        return CostBreakdown(
            published_usd=volume.billed_events / MILLION * prices.published_events_per_million,
            matched_usd=volume.rule_matches / MILLION * prices.rule_matches_per_million,
            replayed_usd=volume.replayed_events / MILLION * prices.replayed_events_per_million,
            archive_processed_usd=volume.archived_bytes / self.bytes_per_gb * prices.archive_processed_per_gb,
            archive_stored_usd=volume.stored_byte_months / self.bytes_per_gb * prices.archive_stored_per_gb_month,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "region": self.region,
            "event_chunk_bytes": self.event_chunk_bytes,
            "free_tier": self.free_tier,
            "prices": {f.name: getattr(self.prices, f.name) for f in fields(self.prices)},
            "services": {name: service.to_json() for name, service in self.services.items()},
        }
