"""COST001 (budget), COST002 (alert share), COST003 (derived volume limits)."""

from __future__ import annotations

from pathlib import Path

from support import edit_topology, line_of

SEED_WORST = 6.702  # 3.15 M published × 1.00 + 5.55 M matches × 0.64, per million


def test_cost001_over_budget(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "monthly_usd: 10", "monthly_usd: 6")
    [finding] = pick(evaluate(topology_copy), "COST001")
    assert finding.severity == "error"
    assert finding.line == line_of(topology_copy, "monthly_usd: 6")
    assert "worst-case projection is 6.70 USD a month under the seed prices, over the budget of 6.00 USD" in finding.message
    assert "agent monitor costs the most" in (finding.hint or "")


def test_cost001_without_budget(evaluate, pick, topology_copy: Path) -> None:
    text = topology_copy.read_text(encoding="utf-8")
    start, end = text.index("budget:\n"), text.index("monitoring:\n")
    topology_copy.write_text(text[:start] + text[end:].replace("    budget:\n      monthly_usd: 5\n", ""), encoding="utf-8")
    [finding] = pick(evaluate(topology_copy), "COST001")
    assert "no budget" in finding.message


def test_cost002_past_the_alert_share(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "monthly_usd: 10", "monthly_usd: 7")  # 6.70 is over 90% of 7 (6.30), under 7
    report = evaluate(topology_copy)
    assert pick(report, "COST001") == []
    [finding] = pick(report, "COST002")
    assert finding.severity == "warning"
    assert finding.line == line_of(topology_copy, "alert_at: 90%")
    assert "6.70 USD a month, 96% of the budget: past the 90% alert share (6.30 USD)" in finding.message


def test_cost003_declared_caps_past_the_derived_limits(evaluate, pick, topology_copy: Path) -> None:
    # 10 USD at 1.64 USD per million events pays for 6,097,561 a month: 203,252 a day, 8,469 an hour.
    edit_topology(topology_copy, "volume: {per_day: 50000, per_hour: 2100}", "volume: {per_day: 200000, per_hour: 8400}")
    findings = pick(evaluate(topology_copy), "COST003")
    top_level_agents = topology_copy.read_text(encoding="utf-8").splitlines().index("agents:") + 1
    assert {finding.line for finding in findings} == {top_level_agents}
    messages = [finding.message for finding in findings]
    assert any("may publish 255,000 events a day" in m and "pays for 203,252 a day" in m for m in messages)
    assert any("may publish 10,700 events an hour" in m and "pays for 8,469 an hour" in m for m in messages)
    assert "at 1.64 USD per million events (1 rule matches each, seed prices)" in messages[0]
