"""VOL001 (hourly above daily), VOL002 (daily cap unreachable), VOL003 (mix incoherent)."""

from __future__ import annotations

from pathlib import Path

from support import TOPOLOGY, edit_topology, line_of


def test_vol001_hourly_cap_above_daily(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "volume: {per_day: 5000, per_hour: 200}", "volume: {per_day: 5000, per_hour: 6000}")
    [finding] = pick(evaluate(topology_copy), "VOL001")
    assert finding.severity == "error"
    assert finding.line == line_of(topology_copy, "per_hour: 6000")
    assert "agent product's hourly cap 6,000 is above its daily cap 5,000" in finding.message


def test_vol002_the_real_product_agent(evaluate, pick) -> None:
    """The seed's table: 200 an hour × 24 = 4,800, below the 5,000 a day it also promises."""
    [finding] = pick(evaluate(TOPOLOGY), "VOL002")
    assert finding.line == line_of(TOPOLOGY, "volume: {per_day: 5000, per_hour: 200}")
    assert "agent product's daily cap 5,000 cannot be reached: its hourly cap allows 200 × 24 = 4,800 a day" in finding.message
    assert finding.hint == "raise per_hour to at least 209 or lower per_day to 4,800"


def test_vol002_another_agent(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "volume: {per_day: 20000, per_hour: 850}", "volume: {per_day: 20000, per_hour: 800}")
    findings = {finding.path[1]: finding for finding in pick(evaluate(topology_copy), "VOL002")}
    assert findings["developer"].line == line_of(topology_copy, "per_hour: 800}")
    assert "800 × 24 = 19,200 a day" in findings["developer"].message


def test_vol003_value_not_in_the_enum(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "HIGH: 0.12, CRITICAL: 0.03}", "HIGH: 0.12, CRITCAL: 0.03}")
    [finding] = pick(evaluate(topology_copy), "VOL003")
    assert finding.line == line_of(topology_copy, "CRITCAL: 0.03")
    assert '"CRITCAL" is not a value of severity (LOW, MEDIUM, HIGH, CRITICAL)' in finding.message


def test_vol003_shares_over_one_and_unknown_field(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "{LOW: 0.55, MEDIUM: 0.30, HIGH: 0.12, CRITICAL: 0.03}", "{LOW: 0.65, MEDIUM: 0.30, HIGH: 0.12, CRITICAL: 0.03}")
    edit_topology(topology_copy, "    volume: {per_day: 5000, per_hour: 200}\n", "    volume: {per_day: 5000, per_hour: 200}\n    mix: {colour: {RED: 1}}\n")
    messages = {finding.message for finding in pick(evaluate(topology_copy), "VOL003")}
    assert "the shares of severity add up to 1.1, more than all of agent monitor's events" in messages
    assert 'agent product\'s events have no enumerated detail field "colour", so its mix cannot apply' in messages
