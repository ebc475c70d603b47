"""The catalogue's facts, which both exports show: routes, costs and examples agree with the rest of cabructl."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from cabructl.exports.facts import EXPECTED, WORST, load_catalogue
from cabructl.policy.routes import route_events
from cabructl.topology import load_topology
from support import TOPOLOGY

TRICKY = Path(__file__).resolve().parent / "fixtures" / "tricky" / "topology.yaml"


@pytest.mark.parametrize("topology", [TOPOLOGY, TRICKY], ids=["cabruca", "tricky"])
def test_event_costs_add_up_to_the_projected_month(topology: Path) -> None:
    catalogue = load_catalogue(str(topology))
    for case in (EXPECTED, WORST):
        assert sum(event.cost[case] for event in catalogue.events.values()) == pytest.approx(catalogue.total_cost[case])


def test_an_agent_with_two_types_splits_its_cost_between_them() -> None:
    catalogue = load_catalogue(str(TRICKY))
    pulse = catalogue.agents["pulse"].cost[EXPECTED]
    assert catalogue.events["Heartbeat"].cost[EXPECTED] == pytest.approx(pulse / 2)
    assert catalogue.events["OrderPlaced"].publishers == ("web-shop", "pos")


@pytest.mark.parametrize("topology", [TOPOLOGY, TRICKY], ids=["cabruca", "tricky"])
def test_each_example_is_a_valid_event_that_reaches_the_rules_listed_for_it(topology: Path) -> None:
    catalogue = load_catalogue(str(topology))
    model = load_topology(str(topology))
    for event in catalogue.events.values():
        validator = Draft202012Validator(event.detail_schema, format_checker=FormatChecker())
        assert list(validator.iter_errors(event.example["detail"])) == [], event.name
        reached = route_events(model, [event.example])[0].rules
        assert set(reached) <= set(event.rules), (event.name, reached, event.rules)


def test_a_disabled_rule_matches_nothing_and_unrouted_types_say_so() -> None:
    catalogue = load_catalogue(str(TRICKY))
    assert catalogue.rules["paused"].events == ()
    assert catalogue.events["Heartbeat"].rules == ()
    assert set(catalogue.events["OrderPlaced"].rules) == {"paid-orders", "all-orders"}


def test_the_schema_table_flattens_nested_and_referenced_fields() -> None:
    fields = {row.path: row for row in load_catalogue(str(TRICKY)).events["OrderPlaced"].fields}
    assert fields["status"].allowed == ("NEW", "PAID", "<CANCELLED>") and fields["status"].required
    assert fields["address"].type == "object (Address)" and fields["address.city"].required
    assert fields["coupon"].type == "string or null" and not fields["coupon"].required
    assert fields["lines[].quantity"].type == "integer" and fields["lines[].quantity"].allowed == ("≥ 1",)
    assert fields["total"].allowed == ("> 0",)  # OpenAPI 3.0's boolean exclusiveMinimum
    assert fields["orderId"].format == "uuid" and fields["orderId"].description == "The order's <id>"
