"""ALARM001 (fires before the budget is spent, exists, notifies) and ALARM002 (fires at the alert share)."""

from __future__ import annotations

import math
from pathlib import Path

from support import TOPOLOGY, edit_topology, line_of

HOURS = 30 * 24
# The expected case is the later one: 5.12184 USD for 3,081,000 matches (see test_policy_real_topology).
USD_PER_MATCH = 5.12184 / 3_081_000


def test_alarm001_the_seeds_alarm_never_fires(evaluate, pick, topology_copy: Path) -> None:
    """The seed alarmed at 9 M matched events a day: 270 M a month, hundreds of dollars."""
    edit_topology(topology_copy, "    period: 1h\n    evaluation_periods: 1\n", "    period: 1d\n    evaluation_periods: 1\n")
    edit_topology(topology_copy, "threshold: 7500", "threshold: 9000000")
    [finding] = pick(evaluate(topology_copy), "ALARM001")
    assert finding.severity == "error"
    assert finding.line == line_of(topology_copy, "threshold: 9000000")
    spend = 9_000_000 * 30 * USD_PER_MATCH
    assert f"MatchedEvents Sum ≥ 9,000,000 per 1d is reached only at a spend of {spend:,.2f} USD a month" in finding.message
    assert f"{spend / 10:.1f}× the 10.00 USD budget: it can never fire before the budget is spent" in finding.message
    assert finding.hint == f"a threshold of at most {math.floor(9 / USD_PER_MATCH / 30):,} per 1d fires at the 90% alert share (9.00 USD)"


def test_alarm001_missing_alarm(evaluate, pick, topology_copy: Path) -> None:
    text = topology_copy.read_text(encoding="utf-8")
    start, end = text.index("  cost_alarm:\n"), text.index("iam:\n")
    topology_copy.write_text(text[:start] + "\n" + text[end:], encoding="utf-8")
    [finding] = pick(evaluate(topology_copy), "ALARM001")
    assert finding.line == line_of(topology_copy, "monitoring:")
    assert finding.message == "no cost alarm: nothing warns before the budget is spent"


def test_alarm001_alarm_without_actions_or_volume(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "    actions: [critical-alerts]\n", "")
    edit_topology(topology_copy, "    statistic: Sum\n", "    statistic: Maximum\n")
    messages = {finding.message for finding in pick(evaluate(topology_copy), "ALARM001")}
    assert "the cost alarm notifies no one: it has no `actions`" in messages
    assert "the cost alarm cannot track spend: statistic Maximum of MatchedEvents does not add up a volume; only Sum does" in messages


def test_alarm002_an_alarm_just_after_the_alert_share(evaluate, pick, topology_copy: Path) -> None:
    """7,600 an hour looks right at 1.64 USD per match; the expected mix makes a match dearer (developer
    events mostly match nothing but are still billed), so 7,600 an hour means 91% of the budget."""
    edit_topology(topology_copy, "threshold: 7500", "threshold: 7600")
    [finding] = pick(evaluate(topology_copy), "ALARM002")
    spend = 7_600 * HOURS * USD_PER_MATCH
    assert finding.line == line_of(topology_copy, "threshold: 7600")
    assert f"reached at a spend of {spend:.2f} USD a month ({spend / 10:.0%} of the budget, expected mix, seed prices)" in finding.message
    assert finding.hint == f"a threshold of at most {math.floor(9 / USD_PER_MATCH / HOURS):,} per 1h fires in time"  # 7,519


def test_alarm002_a_threshold_in_time(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "threshold: 7500", "threshold: 7519")
    report = evaluate(topology_copy)
    assert pick(report, "ALARM002") == [] and pick(report, "ALARM001") == []
