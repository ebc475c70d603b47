"""Policy data: the project's `policies/` first, the built-in copy otherwise; bad data names its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cabructl.policy.data import BUILTIN_FOLDER, PolicyDataError, load_pricing
from support import ROOT, edit_topology, line_of


@pytest.mark.parametrize("name", ["pricing.yaml", "policy.yaml"])
def test_builtin_copy_is_the_projects_copy(name: str) -> None:
    assert (Path(BUILTIN_FOLDER) / name).read_text(encoding="utf-8") == (ROOT / "policies" / name).read_text(encoding="utf-8")


def test_both_profiles_are_shipped() -> None:
    book = load_pricing(None)
    assert set(book.profiles) >= {"aws", "seed"}
    aws, seed = book.profile("aws", "sa-east-1"), book.profile("seed", "sa-east-1")
    assert (aws.prices.published_events_per_million, aws.prices.rule_matches_per_million) == (1.00, 0.00)
    assert (aws.prices.archive_processed_per_gb, aws.prices.archive_stored_per_gb_month) == (0.10, 0.023)
    assert aws.prices.schema_discovery_per_million == 0.10 and aws.allowances["eventbridge"]["schema_discovery_per_million"] == 5e6
    assert aws.prices.cross_account_delivery_per_million == 0.05
    assert (seed.prices.published_events_per_million, seed.prices.rule_matches_per_million) == (1.00, 0.64)
    assert aws.event_chunk_bytes == seed.event_chunk_bytes == 64 * 1024


def test_unknown_profile_in_the_topology_names_its_line(evaluate, topology_copy: Path) -> None:
    edit_topology(topology_copy, "pricing: seed", "pricing: sede")
    with pytest.raises(PolicyDataError) as raised:
        evaluate(topology_copy)
    assert f":{line_of(topology_copy, 'pricing: sede')}:" in str(raised.value)
    assert raised.value.hint == 'did you mean "seed"?'


def test_unknown_profile_on_the_command_line(evaluate, topology_copy: Path) -> None:
    with pytest.raises(PolicyDataError, match='unknown pricing profile "azure"'):
        evaluate(topology_copy, pricing="azure")


def test_malformed_price_names_its_line(evaluate, topology_copy: Path, policies_copy: Path) -> None:
    pricing = policies_copy / "pricing.yaml"
    edit_topology(pricing, "archive_processed_per_gb: 0.10", "archive_processed_per_gb: -0.10")
    with pytest.raises(PolicyDataError) as raised:
        evaluate(topology_copy)
    assert f"pricing.yaml:{line_of(pricing, 'archive_processed_per_gb: -0.10')}:" in str(raised.value)
    assert "less than the minimum of 0" in str(raised.value)


def test_unknown_check_names_its_line(evaluate, topology_copy: Path, policies_copy: Path) -> None:
    policy = policies_copy / "policy.yaml"
    edit_topology(policy, "COST002:", "COST02:")
    with pytest.raises(PolicyDataError) as raised:
        evaluate(topology_copy)
    assert f"policy.yaml:{line_of(policy, 'COST02:')}:" in str(raised.value)
    assert 'unknown check "COST02"' in str(raised.value)


def test_a_check_switched_off_does_not_run(evaluate, pick, topology_copy: Path, policies_copy: Path) -> None:
    edit_topology(policies_copy / "policy.yaml", "VOL002: {severity: warning}", "VOL002: {severity: warning, enabled: false}")
    assert pick(evaluate(topology_copy), "VOL002") == []


def test_a_check_that_raises_becomes_a_finding(evaluate, pick, topology_copy: Path, policies_copy: Path) -> None:
    """RET001 without its parameter cannot run; it says so, and every other check still runs."""
    edit_topology(policies_copy / "policy.yaml", "RET001: {severity: error, max_log_retention_days: 7}", "RET001: {severity: error}")
    report = evaluate(topology_copy)
    [broken] = pick(report, "RET001")
    assert broken.severity == "error" and "could not run: KeyError" in broken.message
    assert pick(report, "VOL002") and pick(report, "COST001") == []
