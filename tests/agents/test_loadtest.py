"""The load test's arithmetic: percentiles, and which prices the projection used."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from cabructl.agents.loadtest import FALLBACK_PUBLISHED_PER_MILLION, LoadSpec, LoadTest, percentile
from cabructl.topology import Topology

from agent_backbone import Backbone


def seed_prices(topology: Topology) -> Any:
    """The topology's pricing profile as policy data defines it."""
    from cabructl.policy.data import load_pricing, policy_folder_for

    return load_pricing(policy_folder_for(topology.file)).profile("seed", topology.region).prices


@pytest.mark.parametrize(("share", "expected"), [(0.5, 50.0), (0.95, 95.0), (0.99, 99.0), (1.0, 100.0)])
def test_nearest_rank_percentiles(share: float, expected: float) -> None:
    assert percentile([float(n) for n in range(100, 0, -1)], share) == expected


def test_no_latencies_no_percentile() -> None:
    assert percentile([], 0.99) == 0.0


def test_the_projection_uses_the_topologys_pricing_profile(topology: Topology, backbone: Backbone) -> None:
    report = LoadTest(topology, backbone.aws, LoadSpec(agents=2, events_per_agent=10, duration=30)).run()
    cost = report.cost
    assert cost.pricing.startswith('"seed" profile of') and cost.matched_usd is not None
    assert cost.monthly_matches == pytest.approx(cost.monthly_events * report.matches_per_event)
    prices = seed_prices(topology)  # the profile's data, not a copy of its numbers
    assert cost.published_usd == pytest.approx(cost.monthly_events / 1e6 * prices.published_events_per_million)
    assert cost.matched_usd == pytest.approx(cost.monthly_matches / 1e6 * prices.rule_matches_per_million)


def test_without_pricing_data_only_published_events_are_priced_and_it_says_so(topology: Topology, backbone: Backbone,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cabructl.policy.data", None)  # as in a build without the policy package
    cost = LoadTest(topology, backbone.aws, LoadSpec(agents=1, events_per_agent=10, duration=30)).run().cost
    assert cost.matched_usd is None and "published events only" in cost.pricing
    assert cost.published_usd == pytest.approx(cost.monthly_events / 1e6 * FALLBACK_PUBLISHED_PER_MILLION)  # small events: one chunk
