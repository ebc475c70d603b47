"""The whole catalogue: the index, every object's page, the cost page, one page per environment.

The detailed pages describe one environment (``--env``, else the file's own); every environment
the file declares also gets a page with its region, bus, volumes, budget and projected cost, so
the differences between them are visible from any catalogue.
"""

from __future__ import annotations

from importlib import resources
from typing import Mapping

from cabructl.exports.catalogue.cost import cost_page
from cabructl.exports.catalogue.diagram import routing_svg
from cabructl.exports.catalogue.html import (STYLESHEET, count, definitions, e, frame, link, page_name, paragraph, section,
                                             share, table, tags_html, usd)
from cabructl.exports.catalogue.pages import agent_page, dlq_page, event_page, rule_page, target_page
from cabructl.exports.facts import EXPECTED, WORST, Catalogue


def site_files(catalogue: Catalogue, environments: Mapping[str, Catalogue]) -> dict[str, str]:
    """File name → content of every file of the site (HTML pages and the stylesheet)."""
    pages: dict[str, tuple[str, str, str]] = {"index.html": index_page(catalogue, environments), "cost.html": cost_page(catalogue)}
    pages.update({page_name("event", name): event_page(catalogue, event) for name, event in catalogue.events.items()})
    pages.update({page_name("agent", name): agent_page(catalogue, name) for name in catalogue.agents})
    pages.update({page_name("rule", name): rule_page(catalogue, name) for name in catalogue.rules})
    pages.update({page_name("target", key): target_page(catalogue, key) for key in catalogue.targets})
    pages.update({page_name("dlq", name): dlq_page(catalogue, name) for name in catalogue.dead_letters})
    pages.update({page_name("environment", name): environment_page(catalogue, other) for name, other in environments.items()})
    files = {name: frame(project=catalogue.project, environment=catalogue.environment, pricing=catalogue.pricing,
                         title=title, heading=heading, body=body)
             for name, (title, heading, body) in pages.items()}
    files[STYLESHEET] = stylesheet()
    return files


def stylesheet() -> str:
    return resources.files("cabructl.exports.catalogue").joinpath("style.css").read_text(encoding="utf-8")


def index_page(catalogue: Catalogue, environments: Mapping[str, Catalogue]) -> tuple[str, str, str]:
    total = catalogue.total_cost
    facts = definitions([
        ("Bus", f"<code>{e(catalogue.bus_name)}</code> in <code>{e(catalogue.region)}</code>"),
        ("Schema registry", f"<code>{e(catalogue.registry)}</code>" if catalogue.registry else '<span class="empty">none</span>'),
        ("Projected month", f'<a href="cost.html">{usd(total[EXPECTED])} expected, {usd(total[WORST])} worst case</a>'
                            + (f" of a {usd(catalogue.budget_usd)} budget" if catalogue.budget_usd is not None else "")),
        ("Tags", tags_html(catalogue.tags)),
    ])
    events = table(("Event", "Detail type", "Source", "Version", "Published by", "Rules", "Cost (expected)"), (
        (link("event", name), e(event.detail_type), f"<code>{e(event.source)}</code>", e(event.version),
         ", ".join(link("agent", agent) for agent in event.publishers) or "nobody",
         ", ".join(link("rule", rule) for rule in event.rules) or '<span class="warn">none</span>',
         f"{usd(event.cost[EXPECTED])} ({share(event.cost[EXPECTED], total[EXPECTED])})")
        for name, event in catalogue.events.items()), empty="no event types")
    agents = table(("Agent", "Source", "Per day", "Events", "Cost (expected)"), (
        (link("agent", name), f"<code>{e(agent.source)}</code>", count(agent.per_day),
         ", ".join(link("event", event) for event in agent.events if event in catalogue.events), usd(agent.cost[EXPECTED]))
        for name, agent in catalogue.agents.items()), empty="no agents")
    rules = table(("Rule", "State", "Description", "Targets"), (
        (link("rule", name), e(rule.state), e(rule.description),
         ", ".join(link("target", d.target, d.destination) for d in rule.deliveries))
        for name, rule in catalogue.rules.items()), empty="no rules")
    targets = table(("Target", "Kind", "Rules"), (
        (link("target", key, target.destination), e(target.kind_label),
         ", ".join(dict.fromkeys(link("rule", d.rule) for d in target.deliveries)))
        for key, target in catalogue.targets.items()), empty="no targets")
    dead_letters = table(("Dead-letter queue", "Undeliverable events of"), (
        (link("dlq", name, dlq.name), ", ".join(dict.fromkeys(link("target", d.target, d.destination) for d in dlq.fed_by)) or "–")
        for name, dlq in catalogue.dead_letters.items()), empty="no dead-letter queues")
    body = "".join([
        f'<section id="bus">{paragraph(catalogue.bus_description)}{facts}</section>',
        section("routing", "Routing", f'<div class="diagram">{routing_svg(catalogue)}</div>'),
        section("events", "Events", events), section("agents", "Agents", agents), section("rules", "Rules", rules),
        section("targets", "Targets", targets + dead_letters),
        section("environments", "Environments", _environments_list(catalogue, environments)),
    ])
    return "Event catalogue", f"{e(catalogue.project)} event catalogue", body


def _environments_list(catalogue: Catalogue, environments: Mapping[str, Catalogue]) -> str:
    items = "".join(
        f"<li>{link('environment', name)}{' (this catalogue)' if name == catalogue.environment else ''}: "
        f"<code>{e(other.bus_name)}</code> in <code>{e(other.region)}</code>, {usd(other.total_cost[EXPECTED])} a month expected</li>"
        for name, other in environments.items())
    return f"<ul>{items}</ul>" if items else '<p class="empty">one environment</p>'


def environment_page(current: Catalogue, other: Catalogue) -> tuple[str, str, str]:
    note = ("The rest of this catalogue describes this environment." if other.environment == current.environment else
            f"The rest of this catalogue describes {current.environment}; "
            f"`cabructl docs --env {other.environment}` writes one for {other.environment}.")
    facts = definitions([
        ("Region", f"<code>{e(other.region)}</code>"), ("Bus", f"<code>{e(other.bus_name)}</code>"),
        ("Budget", usd(other.budget_usd) if other.budget_usd is not None else '<span class="empty">none</span>'),
        ("Projected month", f"{usd(other.total_cost[EXPECTED])} expected, {usd(other.total_cost[WORST])} worst case"),
    ])
    volumes = table(("Agent", "Per day", "Per hour", "Projected per month", "Cost (expected)"), (
        (link("agent", name) if name in current.agents else e(name), count(agent.per_day), count(agent.per_hour),
         count(agent.published_per_month), usd(agent.cost[EXPECTED]))
        for name, agent in other.agents.items()), empty="no agents")
    body = paragraph(note) + facts + section("volumes", "Declared volumes", volumes)
    return other.environment, f"Environment {e(other.environment)}", body
