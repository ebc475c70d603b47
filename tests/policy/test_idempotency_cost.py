"""The idempotency table in the cost report: two writes per event a consumer handles, priced as DynamoDB
on-demand writes, shown on a line of its own and never added to the EventBridge total the budget gates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cabructl.output.policy import render_json, render_text
from support import edit_topology

DAYS = 30
WRITE_PRICE = 0.625 / 1e6  # USD per write request unit, DynamoDB on-demand (pricing.yaml)
# Worst case, every event of the consumed queues' rules matches: product 5,000, developer 20,000 and
# tester 30,000 events a day reach product-requests, cicd-changes and test-investigation.
HANDLED_WORST = (5_000 + 20_000 + 30_000) * DAYS  # 1,650,000
SEED_WORST = 6.702  # the EventBridge projection of the real topology (test_policy_projection)


def test_two_writes_per_event_delivered_to_a_consumed_queue(evaluate, topology_copy: Path) -> None:
    report = evaluate(topology_copy)
    table = report.model.idempotency

    assert table is not None and table.name == "cabruca-segmentation-prod-agent-state"
    assert table.handled["worst_case"] == pytest.approx(HANDLED_WORST)
    assert table.write_request_units["worst_case"] == pytest.approx(HANDLED_WORST * 2)
    assert table.cost["worst_case"] == pytest.approx(HANDLED_WORST * 2 * WRITE_PRICE)  # 2.0625 USD
    assert table.cost["expected"] < table.cost["worst_case"]


def test_the_table_is_not_in_the_eventbridge_total_the_budget_gates(evaluate, topology_copy: Path) -> None:
    assert evaluate(topology_copy).projected("worst_case") == pytest.approx(SEED_WORST, abs=1e-9)


def test_a_queue_no_agent_consumes_costs_no_table_writes(evaluate, topology_copy: Path) -> None:
    edit_topology(topology_copy, "    consumes: [product-requests]\n", "")
    table = evaluate(topology_copy).model.idempotency

    assert table is not None
    assert table.handled["worst_case"] == pytest.approx((20_000 + 30_000) * DAYS)


def test_without_a_table_there_is_no_line(evaluate, topology_copy: Path) -> None:
    edit_topology(topology_copy, "idempotency:\n  table: agent-state\n", "")
    report = evaluate(topology_copy)

    assert report.model.idempotency is None
    assert json.loads(render_json(report))["outside_eventbridge"]["idempotency_table"] is None
    assert "idempotency table" not in render_text(report)


def test_the_price_is_data(evaluate, topology_copy: Path, policies_copy: Path) -> None:
    pricing = policies_copy / "pricing.yaml"
    pricing.write_text(pricing.read_text(encoding="utf-8").replace("dynamodb_write_requests_per_million: 0.625",
                                                                  "dynamodb_write_requests_per_million: 1.25"), encoding="utf-8")
    assert evaluate(topology_copy).model.idempotency.cost["worst_case"] == pytest.approx(HANDLED_WORST * 2 * 1.25 / 1e6)


def test_text_and_json_show_the_line_labelled_outside_the_budget(evaluate, topology_copy: Path) -> None:
    report = evaluate(topology_copy)

    data = json.loads(render_json(report))["outside_eventbridge"]["idempotency_table"]
    assert (data["service"], data["in_budget_total"], data["writes_per_event"]) == ("dynamodb", False, 2)
    assert data["cost_usd"]["worst_case"] == pytest.approx(2.0625)
    text = render_text(report)
    assert "outside EventBridge, not in the budget's total: idempotency table cabruca-segmentation-prod-agent-state" in text
    assert "worst case 2.06 USD" in text
