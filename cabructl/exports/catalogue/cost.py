"""The cost page: the month's projection per agent and per rule, as SVG bar charts and tables.

The numbers are the policy model's (``cabructl policy check`` prints the same), in its two cases:
*expected* (the agents' declared mix) and *worst case* (every event that could match a rule does).
"""

from __future__ import annotations

from typing import Sequence

from cabructl.exports.catalogue.html import count, definitions, e, link, page_name, section, share, table, usd
from cabructl.exports.facts import EXPECTED, WORST, Catalogue
from cabructl.policy.bill.items import counts_in

BAR_HEIGHT = 14
ROW = 40
LABEL_WIDTH = 200
CHART_WIDTH = 460
Bar = tuple[str, str, float, float]  # kind, name, expected USD, worst-case USD


def cost_page(catalogue: Catalogue) -> tuple[str, str, str]:
    total = catalogue.total_cost
    budget = catalogue.budget_usd
    facts = definitions([
        ("Projected month", f'<span class="cost">{usd(total[EXPECTED])}</span> expected, {usd(total[WORST])} worst case'),
        ("Budget", (f"{usd(budget)} ({share(total[WORST], budget)} used in the worst case)" if budget is not None
                    else '<span class="empty">none declared</span>')),
        ("Pricing profile", e(catalogue.pricing)),
    ])
    agents: list[Bar] = [("agent", name, a.cost[EXPECTED], a.cost[WORST]) for name, a in catalogue.agents.items()]
    rules: list[Bar] = [("rule", name, r.cost[EXPECTED], r.cost[WORST]) for name, r in catalogue.rules.items()]
    agent_table = table(("Agent", "Events per month", "Expected", "Worst case", "Share (expected)"), (
        (link("agent", name), count(a.published_per_month), usd(a.cost[EXPECTED]), usd(a.cost[WORST]),
         share(a.cost[EXPECTED], total[EXPECTED])) for name, a in catalogue.agents.items()))
    rule_table = table(("Rule", "Matches per month (expected)", "Expected", "Worst case"), (
        (link("rule", name), count(r.matched[EXPECTED]), usd(r.cost[EXPECTED]), usd(r.cost[WORST]))
        for name, r in catalogue.rules.items()))
    body = "".join([
        facts,
        '<p class="legend"><span class="swatch expected"></span> expected <span class="swatch worst"></span> worst case</p>',
        section("per-agent", "Per agent (publishing, archive, replays and its events' matches)",
                bar_chart("Projected monthly cost per agent", agents) + agent_table),
        section("per-rule", "Per rule (its matches only)", bar_chart("Projected monthly cost per rule", rules) + rule_table),
        _services_section(catalogue),
    ])
    return "Cost", "Projected monthly cost", body


def _services_section(catalogue: Catalogue) -> str:
    """The whole bill: every service the topology provisions, which of them the budget counts, their total."""
    if not catalogue.services:
        return ""
    whole = {case: sum(costs[case] for _, costs in catalogue.services.values()) for case in (EXPECTED, WORST)}
    rows = [(e(title), usd(costs[EXPECTED]), usd(costs[WORST]), "yes" if counts_in(catalogue.budget_scope, name) else "no")
            for name, (title, costs) in catalogue.services.items()]
    rows.append(("<strong>Whole backbone</strong>", usd(whole[EXPECTED]), usd(whole[WORST]), ""))
    note = (f"<p>The budget counts {'every service' if catalogue.budget_scope == 'backbone' else 'EventBridge alone'} "
            f"(<code>budget.scope: {e(catalogue.budget_scope)}</code>); <code>cabructl policy check --explain</code> "
            "shows each line's formula and what is not modelled.</p>")
    return section("per-service", "The whole bill, per service",
                   note + table(("Service", "Expected", "Worst case", "In the budget"), rows))


def bar_chart(title: str, bars: Sequence[Bar]) -> str:
    """Two bars per item (expected over worst case), scaled to the largest; each label a link."""
    if not bars:
        return '<p class="empty">nothing to chart</p>'
    largest = max(max(expected, worst) for _, _, expected, worst in bars) or 1.0
    height = ROW * len(bars) + 10
    width = LABEL_WIDTH + CHART_WIDTH + 90
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}"><title>{e(title)}</title>']
    for index, (kind, name, expected, worst) in enumerate(bars):
        y = 5 + index * ROW
        parts.append(f'<a href="{e(page_name(kind, name))}"><text class="bar-label" x="0" y="{y + BAR_HEIGHT + 4}">'
                     f"{e(name)}</text></a>")
        for offset, css, value in ((0, "expected", expected), (BAR_HEIGHT + 2, "worst", worst)):
            length = max(1.0, CHART_WIDTH * value / largest) if value else 0.0
            parts.append(f'<rect class="bar {css}" x="{LABEL_WIDTH}" y="{y + offset}" width="{length:.1f}" '
                         f'height="{BAR_HEIGHT}"><title>{e(name)}: {e(usd(value))} ({css})</title></rect>')
            parts.append(f'<text class="bar-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + offset + BAR_HEIGHT - 3}">'
                         f"{e(usd(value))}</text>")
    parts.append("</svg>")
    return f'<div class="chart">{"".join(parts)}</div>'
