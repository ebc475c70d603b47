"""Replay refusals that need no endpoint: the window, retention, rules, names and the budget."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cabructl.operations.replay import (
    REPLAY_NAME_MAX,
    ReplayError,
    ReplayEstimate,
    ReplayStatus,
    check_name,
    check_retention,
    check_window,
    choose_rules,
    default_name,
    refuse_over_budget,
)
from cabructl.policy.pricing import CostBreakdown
from cabructl.topology import Topology, load_topology
from support import TOPOLOGY

NOW = dt.datetime(2026, 3, 15, 13, 45, 30, tzinfo=dt.timezone.utc)
HOUR = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(str(TOPOLOGY))


def test_the_window_must_run_forward() -> None:
    with pytest.raises(ReplayError, match="is not before --to"):
        check_window(NOW - HOUR, NOW - HOUR, NOW)
    with pytest.raises(ReplayError, match="is not before --to"):
        check_window(NOW - HOUR, NOW - 2 * HOUR, NOW)


def test_a_window_ending_in_the_future_is_refused() -> None:
    with pytest.raises(ReplayError, match="in the future"):
        check_window(NOW - HOUR, NOW + dt.timedelta(seconds=1), NOW)
    check_window(NOW - HOUR, NOW, NOW)  # up to now is fine


def test_a_window_starting_before_the_retention_is_refused() -> None:
    archive: dict[str, Any] = {"RetentionDays": 7}
    with pytest.raises(ReplayError, match="retention of 7 day"):
        check_retention(archive, NOW - dt.timedelta(days=7, seconds=1), NOW)
    check_retention(archive, NOW - dt.timedelta(days=7), NOW)
    check_retention({"RetentionDays": 0}, NOW - dt.timedelta(days=3650), NOW)  # 0 keeps events for ever


def test_rules_default_to_all_and_a_typo_gets_a_suggestion(topology: Topology) -> None:
    assert choose_rules(topology, []) == tuple(topology.rules)
    assert choose_rules(topology, ["failed-tests", "failed-tests"]) == ("failed-tests",)
    with pytest.raises(ReplayError) as raised:
        choose_rules(topology, ["feature-request-routng"])
    assert raised.value.hint == 'did you mean "feature-request-routing"?'


def test_the_default_name_is_valid_and_under_the_prefix(topology: Topology) -> None:
    name = default_name(topology, NOW)
    assert name == f"{topology.prefix}replay-20260315T134530Z"
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "has space", "slash/no", "x" * (REPLAY_NAME_MAX + 1)])
def test_names_startreplay_would_refuse_are_refused_first(name: str) -> None:
    with pytest.raises(ReplayError, match="not valid"):
        check_name(name)


def _estimate(replay_usd: float, month_usd: float, budget: float | None) -> ReplayEstimate:
    return ReplayEstimate(1000, "test", 1, CostBreakdown(replayed_usd=replay_usd), month_usd, budget)


def test_the_month_plus_the_replay_must_fit_the_budget() -> None:
    refuse_over_budget(_estimate(1.0, 8.0, 10.0))
    refuse_over_budget(_estimate(100.0, 8.0, None))  # no budget, nothing to break
    with pytest.raises(ReplayError, match="exceeds the budget of \\$10.00") as raised:
        refuse_over_budget(_estimate(2.5, 8.0, 10.0))
    assert "--allow-over-budget" in (raised.value.hint or "")


def test_progress_follows_the_last_replayed_event_through_the_window() -> None:
    running = ReplayStatus("r", "RUNNING", None, NOW - 4 * HOUR, NOW, NOW - HOUR, None, None)
    assert running.progress == pytest.approx(0.75)
    assert not running.done
    assert ReplayStatus("r", "COMPLETED", None, NOW - HOUR, NOW, None, None, None).progress == 1.0
    assert ReplayStatus("r", "STARTING", None, NOW - HOUR, NOW, None, None, None).progress == 0.0
