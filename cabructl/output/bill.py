"""The whole bill for people and machines: per service, per agent, both scopes, what is not modelled.

:func:`bill_data` is the JSON contract's part for it (``services``, ``totals_usd``,
``per_agent_usd``, ``not_modelled``); every text view reads that dictionary, so the formats
cannot disagree about a number. :func:`item_formula` writes one line item as the worked
formula docs/policy.md shows (a test keeps the two equal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from cabructl.policy.bill.items import BACKBONE_SCOPE, EVENTBRIDGE_SCOPE, SCOPES, SHARED, counts_in
from cabructl.policy.traffic import EXPECTED, WORST
from cabructl.policy.units import count, money, usd

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.policy.report import PolicyReport
    from cabructl.policy.service_usage import Reading

Table = tuple[list[str], list[list[str]]]
SCOPE_TITLES = {EVENTBRIDGE_SCOPE: "EventBridge", BACKBONE_SCOPE: "whole backbone"}


def bill_data(report: "PolicyReport") -> dict[str, Any]:
    """Every service's month, both scopes' totals, per agent, the not-modelled list, and the plain verdict."""
    bill = report.model.bill
    if bill is None:
        return {"scope": report.scope, "services": {}, "totals_usd": {}, "per_agent_usd": {}, "not_modelled": []}
    data = bill.to_json(report.model.agents)
    backbone = data["totals_usd"][BACKBONE_SCOPE][WORST]
    over = report.budget_usd is not None and backbone > report.budget_usd
    return {"scope": report.scope, **data,
            "backbone_within_budget": None if report.budget_usd is None else not over}


def services_table(data: dict[str, Any]) -> Table:
    headers = ["service", "worst USD", "expected USD", "in the budget's scope"]
    rows = [[service["title"], money(service["cost_usd"][WORST]), money(service["cost_usd"][EXPECTED]),
             "yes" if counts_in(data["scope"], name) else "no"]
            for name, service in data["services"].items() if service["items"]]
    for scope in SCOPES:
        totals = data["totals_usd"][scope]
        mark = " (the budget's)" if scope == data["scope"] else ""
        rows.append([f"total, {SCOPE_TITLES[scope]}{mark}", money(totals[WORST]), money(totals[EXPECTED]), ""])
    return headers, rows


def agents_table(data: dict[str, Any]) -> Table:
    """Each agent's share of both scopes' worst and expected months; what no agent causes is ``(shared)``."""
    headers = ["agent", "EventBridge worst", "backbone worst", "backbone expected"]
    per_agent = data["per_agent_usd"]
    rows = [[agent, money(per_agent[EVENTBRIDGE_SCOPE][agent][WORST]), money(per_agent[BACKBONE_SCOPE][agent][WORST]),
             money(per_agent[BACKBONE_SCOPE][agent][EXPECTED])]
            for agent in per_agent[BACKBONE_SCOPE] if agent != SHARED or per_agent[BACKBONE_SCOPE][agent][WORST]]
    return headers, rows


def scope_line(data: dict[str, Any], budget_usd: float | None) -> str:
    """The budget's scope in words, and plainly whether the whole backbone fits the budget."""
    scope = data["scope"]
    backbone = data["totals_usd"][BACKBONE_SCOPE]
    eventbridge = data["totals_usd"][EVENTBRIDGE_SCOPE]
    text = (f"budget scope {scope}: the gate totals {'EventBridge alone' if scope == EVENTBRIDGE_SCOPE else 'every service'}. "
            f"EventBridge {usd(eventbridge[WORST])} worst case, {usd(eventbridge[EXPECTED])} expected; the whole backbone "
            f"{usd(backbone[WORST])} worst case, {usd(backbone[EXPECTED])} expected")
    if budget_usd is None:
        return text
    if backbone[WORST] > budget_usd:
        verdict = (f"the whole backbone would exceed the {usd(budget_usd)} budget by {usd(backbone[WORST] - budget_usd)} in the worst case"
                   + ("" if scope == BACKBONE_SCOPE else " (not counted by the gate: budget.scope is eventbridge)"))
    else:
        verdict = f"the whole backbone fits the {usd(budget_usd)} budget"
    return f"{text}. {verdict[0].upper()}{verdict[1:]}."


def not_modelled_lines(data: dict[str, Any]) -> list[str]:
    return ["not modelled (not in any total):", *(f"  - {note}" for note in data["not_modelled"])] if data["not_modelled"] else []


def explain_lines(data: dict[str, Any], case: str = WORST) -> list[str]:
    """Every line item that costs something, as its worked formula, service by service."""
    lines = []
    for name, service in data["services"].items():
        items = [(key, item) for key, item in service["items"].items() if item["quantity"][case]]
        if not items:
            continue
        lines.append(f"{service['title']} ({name}): {usd(service['cost_usd'][case])}; prices from {service['source']}")
        lines += [f"  {item_formula(key, item, case)}" for key, item in items]
    return lines


def item_formula(key: str, item: dict[str, Any], case: str) -> str:
    """``ingestion: 4.225 GB × 0.90 USD per GB = 3.80 USD (basis)``."""
    per = "" if item["per"] == 1 else f"{count(item['per'])} "
    unit = item["unit"] if item["per"] != 1 else _singular(item["unit"])
    free = f" − {quantity(item['free_units'])} free" if item["free_units"] else ""
    return (f"{key}: {quantity(item['quantity'][case])}{free} {item['unit']} × {item['price_usd']:g} USD per {per}{unit} "
            f"= {usd(item['cost_usd'][case])} ({item['basis']})")


def quantity(value: float) -> str:
    """Counts with thousands separators, small quantities (GB) to three decimals."""
    return count(value) if value >= 100 or abs(value - round(value)) < 1e-9 else f"{value:,.3f}"


def _singular(unit: str) -> str:
    return unit[:-1] if unit.endswith("s") and not unit.endswith("ss") else unit




# -- measured beside the model (cabructl cost) ------------------------------------------------
def readings_data(readings: Sequence["Reading"]) -> dict[str, list[dict[str, object]]]:
    """Service → its metrics, measured beside the model (the JSON of ``cost``)."""
    grouped: dict[str, list[dict[str, object]]] = {}
    for reading in readings:
        grouped.setdefault(reading.meter.service, []).append(reading.to_json())
    return grouped


def readings_table(readings: Sequence["Reading"]) -> Table:
    headers = ["service", "metric", "of", "measured", "model", "ratio", "model at observed rate", "ratio"]
    rows = [[reading.meter.service, reading.meter.metric, reading.meter.resource, _maybe(reading.measured), quantity(reading.model),
             _ratio(reading.ratio), _maybe(reading.at_observed_rate), _ratio(reading.ratio_at_observed_rate)]
            for reading in readings]
    return headers, rows


def _maybe(value: float | None) -> str:
    return "no data" if value is None else quantity(value)


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"
