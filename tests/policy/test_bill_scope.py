"""The whole bill as a budget: ``budget.scope``, the JSON's totals and per-agent shares, the alarm and the
derived limits in backbone scope, the free tier, regions and their prices, and policy.yaml defaults.

Every expected number is worked by hand from the formulas in cabructl/policy/bill/*.py docstrings, under
the seed profile in sa-east-1 unless a test says otherwise: 30 days a month, 1.00 USD per million
published events plus 0.64 per million rule matches, SQS 0.40 per million requests, a dashboard 3.00 USD
and an alarm metric 0.135 USD a month.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from cabructl.cli import EXIT_ERROR, EXIT_OK, cli
from cabructl.policy import evaluate_policy
from cabructl.policy.alarm import alarm_reach
from cabructl.policy.bill import SHARED
from cabructl.policy.data import PolicyDataError
from cabructl.policy.traffic import CASES, EXPECTED, WORST
from cabructl.topology import load_topology
from support import TOPOLOGY, line_of

RETRY = {"attempts": 3, "max_age": "1h"}
CONTENT = {"openapi": "3.0.0", "info": {"title": "Ping", "version": "1.0.0"}, "paths": {},
           "components": {"schemas": {"Ping": {"type": "object", "required": ["agentId"], "properties": {"agentId": {"type": "string"}}}}}}
# One agent publishing 1,000 events a day (30,000 a month), one rule delivering each to one queue: EventBridge
# 30,000 × (1.00 + 0.64) / 1 M = 0.0492 USD, SQS 30,000 sends × 0.40 / 1 M = 0.012 USD, the alarm's metric 0.135 USD.
BASE: dict[str, Any] = {
    "version": 1, "project": "bill", "environment": "test", "region": "sa-east-1",
    "bus": {"name": "{prefix}bus"},
    "schemas": {"events": {"Ping": {"source": "example.agent", "detail_type": "Ping", "typical_size_bytes": 1000, "content": CONTENT}}},
    "agents": {"pinger": {"source": "example.agent", "events": ["Ping"], "volume": {"per_day": 1000, "per_hour": 100}}},
    "rules": {"pings": {"pattern": {"source": ["example.agent"]},
                        "targets": [{"id": "to-queue", "queue": "inbox", "retry": RETRY, "dead_letter": "dlq"}]}},
    "queues": {"inbox": {}, "dlq": {"retention": "14d"}},
    "topics": {"ops": {}},
    "budget": {"monthly_usd": 1, "alert_at": "90%"},
    "monitoring": {"dashboard": {"name": "{prefix}dashboard"},
                   "cost_alarm": {"name": "{prefix}cost", "metric": "MatchedEvents", "statistic": "Sum", "period": "1h",
                                  "evaluation_periods": 1, "threshold": 100, "actions": ["ops"]}},
}
EVENTBRIDGE_USD = 0.0492
VARIABLE_USD = EVENTBRIDGE_USD + 0.012
FIXED_USD = 3.00 + 0.135  # the dashboard and the alarm's metric, whatever the traffic
BACKBONE_USD = VARIABLE_USD + FIXED_USD  # 3.1962


def write_topology(folder: Path, **sections: Any) -> Path:
    """BASE with whole top-level sections replaced (None drops one), as topology.yaml in ``folder``."""
    document = copy.deepcopy(BASE)
    for key, value in sections.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "topology.yaml"
    with path.open("w", encoding="utf-8") as stream:
        YAML().dump(document, stream)
    return path


def budget(scope: str, monthly_usd: float = 1) -> dict[str, Any]:
    return {"monthly_usd": monthly_usd, "alert_at": "90%", "scope": scope}


def policy_check(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["policy", "check", "-f", str(path), *args])
    return result.exit_code, result.output


def ids(report: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for finding in report.findings:
        found.setdefault(finding.id, []).append(finding)
    return found


# --- budget.scope -------------------------------------------------------------------------------------------------


def test_backbone_scope_fails_a_month_whose_eventbridge_part_fits(tmp_path: Path) -> None:
    path = write_topology(tmp_path, budget=budget("backbone"))
    report = evaluate_policy(load_topology(str(path)))
    assert report.projected(WORST, "eventbridge") == pytest.approx(EVENTBRIDGE_USD)  # far under 1 USD
    assert report.projected(WORST) == pytest.approx(BACKBONE_USD)
    [finding] = ids(report)["COST001"]
    assert finding.severity == "error" and "whole backbone" in finding.message and "3.20 USD" in finding.message
    assert "COST004" not in ids(report)  # COST001 gates on it: nothing to add
    code, output = policy_check(path)
    assert code == EXIT_ERROR and "COST001" in output and "whole backbone" in output


def test_eventbridge_scope_passes_and_cost004_points_at_the_scope_line(tmp_path: Path) -> None:
    path = write_topology(tmp_path, budget=budget("eventbridge"))
    report = evaluate_policy(load_topology(str(path)))
    assert report.ok and "COST001" not in ids(report)
    [warning] = ids(report)["COST004"]
    assert warning.severity == "warning" and warning.line == line_of(path, "scope: eventbridge")
    assert "3.20 USD" in warning.message and "EventBridge alone: 0.05 USD" in warning.message
    assert "budget.scope: backbone" in (warning.hint or "")
    code, output = policy_check(path)
    assert code == EXIT_OK and "COST004" in output


def test_unwritten_scope_is_eventbridge_and_cost004_points_at_the_budget(tmp_path: Path) -> None:
    path = write_topology(tmp_path, budget={"monthly_usd": 1, "alert_at": "90%"})
    report = evaluate_policy(load_topology(str(path)))
    assert report.scope == "eventbridge" and report.ok
    [warning] = ids(report)["COST004"]
    assert warning.line == line_of(path, "budget:")


def test_json_has_both_scopes_and_per_agent_shares_that_add_up(tmp_path: Path) -> None:
    path = write_topology(tmp_path, budget=budget("eventbridge"))
    code, output = policy_check(path, "--format", "json")
    data = json.loads(output)
    assert code == EXIT_OK and data["scope"] == "eventbridge"
    assert data["totals_usd"]["eventbridge"][WORST] == pytest.approx(EVENTBRIDGE_USD)
    assert data["totals_usd"]["backbone"][WORST] == pytest.approx(BACKBONE_USD)
    assert data["per_agent_usd"]["backbone"][SHARED][WORST] == pytest.approx(FIXED_USD)
    assert data["per_agent_usd"]["backbone"]["pinger"][WORST] == pytest.approx(VARIABLE_USD)
    assert data["per_agent_usd"]["eventbridge"][SHARED][WORST] == 0
    for scope in ("eventbridge", "backbone"):
        for case in CASES:
            shares = data["per_agent_usd"][scope]
            assert set(shares) == {"pinger", SHARED}
            assert sum(agent[case] for agent in shares.values()) == pytest.approx(data["totals_usd"][scope][case])
    for service in data["services"].values():
        for item in service["items"].values():
            for case in CASES:
                assert sum(agent[case] for agent in item["cost_by_agent_usd"].values()) == pytest.approx(item["cost_usd"][case])


def test_real_topology_per_agent_shares_add_up_to_every_service() -> None:
    bill = evaluate_policy(load_topology(str(TOPOLOGY))).model.bill
    assert bill is not None
    for case in CASES:
        for service in bill.services.values():
            assert sum(service.agent_usd(case).values()) == pytest.approx(service.usd(case))
        shares = bill.agent_usd(case, "backbone")
        assert set(shares) == {"monitor", "product", "developer", "tester", SHARED}
        assert sum(shares.values()) == pytest.approx(bill.total(case, "backbone"))
    assert bill.agent_usd(WORST, "backbone")[SHARED] == pytest.approx(3.00 + 0.135)  # the dashboard and the alarm


def test_alarm_in_backbone_scope_adds_the_monthly_prices(tmp_path: Path) -> None:
    """An alarm of 100 matches an hour fires at 100 × 720 h × 0.0612 / 30,000 = 0.14688 USD of traffic a month,
    on top of 3.135 USD spent whatever the traffic: 3.28 USD, past the 1 USD budget (ALARM001)."""
    path = write_topology(tmp_path, budget=budget("backbone"))
    topology = load_topology(str(path))
    report = evaluate_policy(topology)
    reach = alarm_reach(topology.cost_alarm, report.model, "backbone")[0]
    assert reach.fixed_usd == pytest.approx(FIXED_USD)
    assert reach.usd_per_unit == pytest.approx(VARIABLE_USD / 30_000)
    assert reach.trigger_usd == pytest.approx(FIXED_USD + 100 * 720 * VARIABLE_USD / 30_000)
    [finding] = ids(report)["ALARM001"]
    assert "3.28 USD" in finding.message
    eventbridge = evaluate_policy(load_topology(str(write_topology(tmp_path / "eb", budget=budget("eventbridge")))))
    assert "ALARM001" not in ids(eventbridge)  # 100 × 720 × 0.0492 / 30,000 = 0.118 USD: in time


def test_limits_in_backbone_scope_take_the_monthly_prices_off_first(tmp_path: Path) -> None:
    below = evaluate_policy(load_topology(str(write_topology(tmp_path / "below", budget=budget("backbone", 1)))))
    assert below.limits is not None and below.limits.per_month == 0  # 1 USD < 3.135 USD of monthly prices
    above = evaluate_policy(load_topology(str(write_topology(tmp_path / "above", budget=budget("backbone", 5)))))
    per_event = VARIABLE_USD / 30_000  # 1.64 USD per million on the bus + 0.40 per million sends
    assert above.limits is not None and above.limits.usd_per_million_events == pytest.approx(per_event * 1e6)
    assert above.limits.per_month == pytest.approx((5 - FIXED_USD) / per_event)
    eventbridge = evaluate_policy(load_topology(str(write_topology(tmp_path / "eb", budget=budget("eventbridge", 5)))))
    assert eventbridge.limits is not None and eventbridge.limits.per_month == pytest.approx(5 / 1.64e-6)


def test_cost003_uses_the_limits_the_report_prints(tmp_path: Path) -> None:
    report = evaluate_policy(load_topology(str(write_topology(tmp_path, budget=budget("backbone", 1)))))
    assert report.limits is not None and report.limits.per_day == 0 < report.limits.declared_per_day
    assert "COST003" in ids(report)  # the budget pays for no event, yet the agents may publish 1,000 a day


# --- the free tier ------------------------------------------------------------------------------------------------

# The real topology's SQS month (worst case): 1,650,000 sends, receives and deletes each, and
# 3 consumed queues × 2,592,000 s / 20 s = 388,800 empty receives; expected: 456,000 of each.
SQS_REQUESTS = {WORST: 3 * 1_650_000 + 388_800, EXPECTED: 3 * 456_000 + 388_800}


@pytest.mark.parametrize("profile", ["seed", "aws"])
def test_free_tier_is_off_by_default(profile: str) -> None:
    report = evaluate_policy(load_topology(str(TOPOLOGY)), profile)
    bill = report.model.bill
    assert bill is not None and report.model.profile.free_tier is False
    assert all(item.free == 0 for service in bill.services.values() for item in service.items)
    for case in CASES:
        assert bill.services["sqs"].usd(case) == pytest.approx(SQS_REQUESTS[case] * 0.40 / 1e6)
    assert bill.services["cloudwatch"].usd(WORST) == pytest.approx(3.00 + 0.135 + 27 * 0.30)


def test_free_tier_deducts_each_allowance_once_never_below_zero() -> None:
    """SQS's million free requests is one allowance for all its request lines (not one per line)."""
    bill = evaluate_policy(load_topology(str(TOPOLOGY)), free_tier=True).model.bill
    assert bill is not None
    sqs = bill.services["sqs"]
    for case in CASES:
        assert sqs.usd(case) == pytest.approx((SQS_REQUESTS[case] - 1_000_000) * 0.40 / 1e6)  # 1.73552 / 0.30272
        assert sum(item.free_units(case) for item in sqs.items) == pytest.approx(1_000_000)
    cloudwatch = bill.services["cloudwatch"]
    assert cloudwatch.item("dashboards").usd(WORST) == 0  # 1 dashboard, 3 free
    assert cloudwatch.item("alarm_metrics").usd(WORST) == 0  # 1 alarm metric, 10 free
    assert cloudwatch.item("custom_metrics").usd(WORST) == pytest.approx((27 - 10) * 0.30)
    assert bill.services["logs"].usd(WORST) == 0  # 4.2 GB ingested and 1 GB-month stored, 5 of each free
    assert all(item.usd(case) >= 0 for service in bill.services.values() for item in service.items for case in CASES)
    for case in CASES:  # the allowance is shared among agents as the cost is
        for service in bill.services.values():
            assert sum(service.agent_usd(case).values()) == pytest.approx(service.usd(case))


def test_free_tier_flag_through_the_cli() -> None:
    code, output = policy_check(TOPOLOGY, "--format", "json", "--free-tier")
    data = json.loads(output)
    assert code == EXIT_OK and data["pricing"]["free_tier"] is True
    sqs = data["services"]["sqs"]
    assert sqs["cost_usd"][WORST] == pytest.approx((SQS_REQUESTS[WORST] - 1_000_000) * 0.40 / 1e6)
    assert sum(item["free_units"] for item in sqs["items"].values()) == pytest.approx(1_000_000)  # what --explain subtracts
    assert sqs["items"]["empty_receives"]["free_units"] == pytest.approx(1_000_000 * 388_800 / SQS_REQUESTS[WORST])
    assert {item["free_allowance_units"] for item in sqs["items"].values()} == {1_000_000}
    plain = json.loads(policy_check(TOPOLOGY, "--format", "json")[1])
    assert plain["pricing"]["free_tier"] is False
    assert plain["totals_usd"]["backbone"][WORST] > data["totals_usd"]["backbone"][WORST]
    assert plain["totals_usd"]["eventbridge"][WORST] == pytest.approx(data["totals_usd"]["eventbridge"][WORST])  # no allowance


# --- regions ------------------------------------------------------------------------------------------------------


def test_unknown_region_is_a_data_error_naming_the_priced_regions(tmp_path: Path) -> None:
    path = write_topology(tmp_path, region="eu-west-1")
    with pytest.raises(PolicyDataError) as raised:
        evaluate_policy(load_topology(str(path)))
    message = str(raised.value)
    assert 'no prices for region "eu-west-1"' in message and "sa-east-1, us-east-1" in message
    for arguments in ((), ("--format", "json")):
        code, output = policy_check(path, *arguments)
        assert code == EXIT_ERROR
        assert "sa-east-1, us-east-1" in output and "Traceback" not in output and "internal error" not in output


@pytest.mark.parametrize(("env", "region", "price"), [("dev", "us-east-1", 0.50), ("prod", "sa-east-1", 0.90)])
def test_logs_ingestion_is_priced_for_the_environment_region(env: str, region: str, price: float) -> None:
    report = evaluate_policy(load_topology(str(TOPOLOGY), env))
    assert report.model.bill is not None and report.model.profile.region == region
    ingestion = report.model.bill.services["logs"].item("ingestion")
    assert ingestion.price == price
    assert ingestion.usd(WORST) == pytest.approx(ingestion.quantity(WORST) * price)


# --- EventBridge agrees with the old projection ---------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["seed", "aws"])
def test_eventbridge_service_equals_the_traffic_projection(profile: str) -> None:
    report = evaluate_policy(load_topology(str(TOPOLOGY)), profile)
    bill = report.model.bill
    assert bill is not None
    for case in CASES:
        assert bill.services["eventbridge"].usd(case) == pytest.approx(report.model.total(case).total)
        assert bill.total(case, "eventbridge") == pytest.approx(report.model.total(case).total)
    if profile == "seed":
        assert bill.services["eventbridge"].usd(WORST) == pytest.approx(6.702)
        assert bill.services["eventbridge"].usd(EXPECTED) == pytest.approx(5.12184)


# --- a project's own policy.yaml ------------------------------------------------------------------------------------


def _rewrite_backbone(policies: Path, backbone: dict[str, Any] | None) -> None:
    yaml = YAML()
    file = policies / "policy.yaml"
    document = yaml.load(file.read_text(encoding="utf-8"))
    if backbone is None:
        del document["model"]["backbone"]
    else:
        document["model"]["backbone"] = backbone
    with file.open("w", encoding="utf-8") as stream:
        yaml.dump(document, stream)


def test_policy_without_backbone_takes_the_builtin_defaults(topology_copy: Path, policies_copy: Path) -> None:
    builtin = evaluate_policy(load_topology(str(TOPOLOGY))).model.bill
    _rewrite_backbone(policies_copy, None)
    assert "backbone" not in (policies_copy / "policy.yaml").read_text(encoding="utf-8")
    own = evaluate_policy(load_topology(str(topology_copy))).model.bill
    assert builtin is not None and own is not None
    for case in CASES:
        assert own.total(case, "backbone") == pytest.approx(builtin.total(case, "backbone"))


def test_policy_with_part_of_backbone_keeps_the_rest(topology_copy: Path, policies_copy: Path) -> None:
    """Half the deliveries fail: every target of the real topology has a dead-letter queue, so the 5,550,000
    worst-case deliveries (2.4 M to the log group, 1.5 M to the topic, 1.65 M to queues) add 2,775,000 sends."""
    _rewrite_backbone(policies_copy, {"delivery_failure_rate": 0.5})
    sqs = evaluate_policy(load_topology(str(topology_copy))).model.bill.services["sqs"]  # type: ignore[union-attr]
    assert sqs.item("sends").quantity(WORST) == pytest.approx(1_650_000 + 2_775_000)
    assert sqs.item("empty_receives").quantity(WORST) == pytest.approx(388_800)  # consumer_processes 1, from the built-in
