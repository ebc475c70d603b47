"""Changing volumes, prices, rules or model parameters moves the projection by exactly the amount
worked out by hand — never by asking the model what it thinks."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import edit_topology

DAYS = 30
MONITOR = 50_000 * DAYS
PUBLISHED = (50_000 + 5_000 + 20_000 + 30_000) * DAYS  # 3,150,000
SEED_WORST = 6.702  # 3.15 × 1.00 + 5.55 × 0.64 (see test_policy_real_topology)
SEED_EXPECTED = 5.12184  # 3.15 × 1.00 + 3.081 × 0.64
MATCH_PRICE = 0.64 / 1e6
PUBLISH_PRICE = 1.00 / 1e6


def projections(evaluate, path: Path, pricing: str | None = None) -> tuple[float, float]:
    report = evaluate(path, pricing)
    return report.projected("worst_case"), report.projected("expected")


def test_more_monitor_volume(evaluate, topology_copy: Path) -> None:
    edit_topology(topology_copy, "volume: {per_day: 50000, per_hour: 2100}", "volume: {per_day: 60000, per_hour: 2500}")
    added = 10_000 * DAYS  # 300,000 events a month
    worst, expected = projections(evaluate, topology_copy)
    # Each added event is published once and matched by 2 rules (worst) or 1 + 0.15 (expected mix).
    assert worst == pytest.approx(SEED_WORST + added * PUBLISH_PRICE + added * 2 * MATCH_PRICE, abs=1e-9)  # +0.684
    assert expected == pytest.approx(SEED_EXPECTED + added * PUBLISH_PRICE + added * 1.15 * MATCH_PRICE, abs=1e-9)  # +0.5208


def test_sampling_halves_an_agent(evaluate, topology_copy: Path) -> None:
    edit_topology(topology_copy, "    events: [IssueDetectionEvent]\n", "    events: [IssueDetectionEvent]\n    sampling: 0.5\n")
    removed = MONITOR / 2
    worst, _ = projections(evaluate, topology_copy)
    assert worst == pytest.approx(SEED_WORST - removed * PUBLISH_PRICE - removed * 2 * MATCH_PRICE, abs=1e-9)  # -1.71


def test_cheaper_rule_matches(evaluate, topology_copy: Path, policies_copy: Path) -> None:
    edit_topology(policies_copy / "pricing.yaml", "rule_matches_per_million: 0.64", "rule_matches_per_million: 0.50")
    worst, expected = projections(evaluate, topology_copy)
    assert worst == pytest.approx(3.15 + 5.55 * 0.50, abs=1e-9)  # 5.925
    assert expected == pytest.approx(3.15 + 3.081 * 0.50, abs=1e-9)


def test_regional_override(evaluate, topology_copy: Path, policies_copy: Path) -> None:
    pricing = policies_copy / "pricing.yaml"
    text = pricing.read_text(encoding="utf-8")
    # São Paulo gets EventBridge prices of its own (it shared us-east-1's through a YAML alias).
    pricing.write_text(text.replace("        prices: *eventbridge", "        prices: {<<: *eventbridge, published_events_per_million: 1.50}"),
                       encoding="utf-8")
    worst, _ = projections(evaluate, topology_copy)
    assert worst == pytest.approx(SEED_WORST + PUBLISHED * 0.50 / 1e6, abs=1e-9)  # +1.575
    edit_topology(topology_copy, "region: sa-east-1", "region: us-east-1")
    assert projections(evaluate, topology_copy)[0] == pytest.approx(SEED_WORST, abs=1e-9)


def test_narrower_rule_moves_only_the_expected_case(evaluate, topology_copy: Path) -> None:
    edit_topology(topology_copy, "severity: [CRITICAL, HIGH]", "severity: [CRITICAL]")
    worst, expected = projections(evaluate, topology_copy)
    assert worst == pytest.approx(SEED_WORST, abs=1e-9)  # a CRITICAL event can still come
    assert expected == pytest.approx(SEED_EXPECTED - 0.12 * MONITOR * MATCH_PRICE, abs=1e-9)  # HIGH's share no longer matches


def test_rule_that_matches_nothing_costs_nothing(evaluate, topology_copy: Path) -> None:
    edit_topology(topology_copy, "status: [APPROVED, MERGED]", "status: [{prefix: NO_SUCH_STATUS}]")  # valid, yet nothing sends it
    worst, expected = projections(evaluate, topology_copy)
    developer = 20_000 * DAYS
    assert worst == pytest.approx(SEED_WORST - developer * MATCH_PRICE, abs=1e-9)
    assert expected == pytest.approx(SEED_EXPECTED - 0.30 * developer * MATCH_PRICE, abs=1e-9)


def test_mix_change(evaluate, topology_copy: Path) -> None:
    edit_topology(topology_copy, "{LOW: 0.55, MEDIUM: 0.30, HIGH: 0.12, CRITICAL: 0.03}", "{LOW: 0.45, MEDIUM: 0.30, HIGH: 0.22, CRITICAL: 0.03}")
    _, expected = projections(evaluate, topology_copy)
    assert expected == pytest.approx(SEED_EXPECTED + 0.10 * MONITOR * MATCH_PRICE, abs=1e-9)  # +0.096


@pytest.mark.parametrize("mix", [
    pytest.param("{LOW: 0.55, MEDIUM: 0.30, HIGH: 0.12}", id="share-left-open"),
    pytest.param("{LOW: 0.55, MEDIUM: 0.30, HIGH: 0.12, CRITCAL: 0.03}", id="misspelt-value"),
])
def test_mix_gaps_count_as_worst_case(evaluate, topology_copy: Path, mix: str) -> None:
    """The 0.03 the mix does not place on a real value may be CRITICAL: it still matches critical-issues."""
    edit_topology(topology_copy, "{LOW: 0.55, MEDIUM: 0.30, HIGH: 0.12, CRITICAL: 0.03}", mix)
    assert projections(evaluate, topology_copy)[1] == pytest.approx(SEED_EXPECTED, abs=1e-9)


def test_events_over_64_kb_are_billed_per_chunk(evaluate, topology_copy: Path) -> None:
    edit_topology(topology_copy, "      file: schemas/IssueDetectionEvent.yaml\n",
                  "      file: schemas/IssueDetectionEvent.yaml\n      typical_size_bytes: 70000\n")
    report = evaluate(topology_copy)
    assert report.model.agents["monitor"].chunks == 2  # 70,000 bytes = two 65,536-byte chunks
    assert report.projected("worst_case") == pytest.approx(SEED_WORST + MONITOR * PUBLISH_PRICE, abs=1e-9)  # +1.50


def test_aws_prices_with_declared_sizes(evaluate, topology_copy: Path) -> None:
    for name in ("IssueDetectionEvent", "FeatureRequestEvent", "CodeChangeEvent", "TestResultsEvent"):
        edit_topology(topology_copy, f"      file: schemas/{name}.yaml\n", f"      file: schemas/{name}.yaml\n      typical_size_bytes: 2048\n")
    gigabytes = PUBLISHED * 2048 / 2**30  # everything published is archived
    stored = gigabytes * 7 / DAYS  # seven days of it, all month
    worst, expected = projections(evaluate, topology_copy, pricing="aws")
    assert worst == pytest.approx(PUBLISHED * 1.00 / 1e6 + gigabytes * 0.10 + stored * 0.023, abs=1e-9)  # 3.7831
    assert expected == pytest.approx(worst, abs=1e-12)  # rule matches are free under AWS's prices


def test_longer_months(evaluate, topology_copy: Path, policies_copy: Path) -> None:
    edit_topology(policies_copy / "policy.yaml", "days_per_month: 30", "days_per_month: 31")
    assert projections(evaluate, topology_copy)[0] == pytest.approx(SEED_WORST * 31 / 30, abs=1e-9)


def test_replays_are_billed_as_events(evaluate, topology_copy: Path, policies_copy: Path) -> None:
    edit_topology(policies_copy / "policy.yaml", "replayed_share: 0.0", "replayed_share: 0.1")
    assert projections(evaluate, topology_copy)[0] == pytest.approx(SEED_WORST + 0.1 * PUBLISHED * PUBLISH_PRICE, abs=1e-9)


def test_environment_override(evaluate, topology_copy: Path) -> None:
    report = evaluate(topology_copy, env="dev")  # every agent declares a tenth of prod's volume
    assert report.budget_usd == 5
    assert report.projected("worst_case") == pytest.approx(SEED_WORST / 10, abs=1e-9)


def test_disabled_rule_matches_nothing(evaluate, topology_copy: Path) -> None:
    edit_topology(topology_copy, "  failed-tests:\n", "  failed-tests:\n    state: DISABLED\n")
    worst, _ = projections(evaluate, topology_copy)
    assert worst == pytest.approx(SEED_WORST - 30_000 * DAYS * MATCH_PRICE, abs=1e-9)
