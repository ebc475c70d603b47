"""The real topology.yaml passes `policy check`, and its projection is the one computed by hand."""

from __future__ import annotations

import pytest

from support import TOPOLOGY

# The real topology's declared volumes, from topology.yaml, and the days per month of policy.yaml.
DAYS = 30
MONITOR, PRODUCT, DEVELOPER, TESTER = 50_000 * DAYS, 5_000 * DAYS, 20_000 * DAYS, 30_000 * DAYS
PUBLISHED = MONITOR + PRODUCT + DEVELOPER + TESTER  # 3,150,000

# Worst case: each rule takes its agent's whole volume when any event could match it.
# monitor → issue-detection-routing and critical-issues; tester → test-results-routing and failed-tests.
WORST_MATCHES = 2 * MONITOR + PRODUCT + DEVELOPER + 2 * TESTER  # 5,550,000
# Expected case, from the mix: critical-issues takes HIGH 0.12 + CRITICAL 0.03 of monitor,
# code-change-routing APPROVED 0.15 + MERGED 0.15 of developer, failed-tests FAILED 0.12 + ERROR 0.02 of tester.
EXPECTED_MATCHES = MONITOR + 0.15 * MONITOR + PRODUCT + 0.30 * DEVELOPER + TESTER + 0.14 * TESTER  # 3,081,000


def seed_cost(published: float, matches: float) -> float:
    """The seed's model: 1.00 USD per million published + 0.64 USD per million rule matches."""
    return published / 1e6 * 1.00 + matches / 1e6 * 0.64


def test_real_topology_projection_under_seed_prices(evaluate) -> None:
    report = evaluate(TOPOLOGY)
    assert report.model.profile.name == "seed"
    assert report.model.published == PUBLISHED
    assert report.projected("worst_case") == pytest.approx(seed_cost(PUBLISHED, WORST_MATCHES), abs=1e-9)  # 6.702
    assert report.projected("expected") == pytest.approx(seed_cost(PUBLISHED, EXPECTED_MATCHES), abs=1e-9)  # 5.12184


def test_real_topology_per_rule_and_per_agent(evaluate) -> None:
    model = evaluate(TOPOLOGY).model
    assert model.rules["critical-issues"].matched == pytest.approx({"worst_case": MONITOR, "expected": 0.15 * MONITOR})
    assert model.rules["code-change-routing"].matched == pytest.approx({"worst_case": DEVELOPER, "expected": 0.30 * DEVELOPER})
    assert model.rules["failed-tests"].matched == pytest.approx({"worst_case": TESTER, "expected": 0.14 * TESTER})
    assert model.agents["monitor"].cost["worst_case"].total == pytest.approx(seed_cost(MONITOR, 2 * MONITOR))
    assert model.agents["product"].cost["expected"].total == pytest.approx(seed_cost(PRODUCT, PRODUCT))


def test_real_topology_passes_with_the_seeds_known_warning(evaluate) -> None:
    """The seed's product caps (5,000 a day, 200 an hour) cannot both be reached: a warning, kept as the seed's fact.
    The whole backbone costs more than the EventBridge budget of 10 USD: a finding, said plainly (COST004)."""
    report = evaluate(TOPOLOGY)
    assert report.ok and not report.errors
    assert sorted(finding.id for finding in report.warnings) == ["COST004", "VOL002"]


def test_seed_guidelines_are_derived_not_written_down(evaluate) -> None:
    """About 6 M a month, 200 k a day, 8.3 k an hour at 10 USD: 10 / 1.64 USD per million."""
    limits = evaluate(TOPOLOGY).limits
    per_month = 10 / (1.00 + 0.64) * 1e6
    assert limits.per_month == pytest.approx(per_month)  # 6,097,561
    assert limits.per_day == pytest.approx(per_month / DAYS)  # 203,252
    assert limits.per_hour == pytest.approx(per_month / DAYS / 24)  # 8,469
    assert (limits.declared_per_day, limits.declared_per_hour) == (105_000, 4_400)


def test_aws_profile_drops_rule_matches(evaluate) -> None:
    """Under AWS's prices matches are free: both cases cost the published events plus the archive."""
    report = evaluate(TOPOLOGY, pricing="aws")
    assert report.model.total("worst_case").matched_usd == 0
    assert report.projected("worst_case") == pytest.approx(report.projected("expected"))
    assert report.model.total("worst_case").published_usd == pytest.approx(PUBLISHED / 1e6)
