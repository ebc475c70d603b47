"""One page per event type, agent, rule, target and dead-letter queue: bodies, no frame.

Each function returns ``(title, heading HTML, body HTML)``; :mod:`.site` puts them in the frame.
Every object links to every object it is related to, so the catalogue can be read in any order.
"""

from __future__ import annotations

from typing import Iterable

from cabructl.exports.catalogue.diagram import routing_svg
from cabructl.exports.catalogue.html import (code_block, count, definitions, e, link, paragraph, section, share, table,
                                             tags_html, usd)
from cabructl.exports.facts import EXPECTED, WORST, Catalogue, DeliveryFacts, EventFacts
from cabructl.topology.durations import format_duration

Page = tuple[str, str, str]


def event_page(catalogue: Catalogue, event: EventFacts) -> Page:
    total = catalogue.total_cost
    facts = definitions([
        ("Source", f"<code>{e(event.source)}</code>"), ("Detail type", f"<code>{e(event.detail_type)}</code>"),
        ("Schema version", f'<span class="version">{e(event.version)}</span> ({e(event.compatibility)} compatible, '
                           f"{e(event.schema_type)})"),
        ("Projected cost", f'<span class="cost">{usd(event.cost[EXPECTED])}</span> a month expected '
                           f"({share(event.cost[EXPECTED], total[EXPECTED])} of the total), {usd(event.cost[WORST])} "
                           f"worst case ({share(event.cost[WORST], total[WORST])})"),
        ("Tags", tags_html(event.tags)),
    ])
    fields = table(("Field", "Type", "Required", "Allowed values", "Format", "Description"), (
        (f"<code>{e(row.path)}</code>", e(row.type), "yes" if row.required else "no",
         ", ".join(f"<code>{e(value)}</code>" for value in row.allowed), e(row.format), e(row.description))
        for row in event.fields), css="schema", empty="the schema declares no fields")
    publishers = table(("Agent", "Source", "Per day", "Per hour", "Sampling", "Projected per month"), (
        (link("agent", name), f"<code>{e(agent.source)}</code>", count(agent.per_day), count(agent.per_hour),
         f"{agent.sampling:.0%}", count(agent.published_per_month))
        for name, agent in ((name, catalogue.agents[name]) for name in event.publishers)),
        empty="no agent declares that it publishes this event")
    rules = _deliveries_table(catalogue, (d for name in event.rules for d in catalogue.rules[name].deliveries),
                              empty="no enabled rule can match this event: EventBridge accepts it and delivers it nowhere")
    body = "".join([
        paragraph(event.description), facts,
        section("schema", "Schema of detail", fields),
        section("example", "Example event", code_block(event.example)),
        section("publishers", "Published by", publishers),
        section("rules", "Rules it can match, and where they send it", rules),
        section("route", "Route", f'<div class="diagram">{routing_svg(catalogue, event.name)}</div>'),
    ])
    return event.name, f"Event {e(event.name)}", body


def agent_page(catalogue: Catalogue, name: str) -> Page:
    agent = catalogue.agents[name]
    total = catalogue.total_cost
    facts = definitions([
        ("Source", f"<code>{e(agent.source)}</code>"),
        ("Volume", f"{count(agent.per_day)} a day, {count(agent.per_hour)} an hour at most; sampling {agent.sampling:.0%}"),
        ("Projected events", f"{count(agent.published_per_month)} a month"),
        ("Projected cost", f'<span class="cost">{usd(agent.cost[EXPECTED])}</span> a month expected '
                           f"({share(agent.cost[EXPECTED], total[EXPECTED])}), {usd(agent.cost[WORST])} worst case"),
        ("Consumes", ", ".join(link("dlq", queue) if queue in catalogue.dead_letters else _queue_link(catalogue, queue)
                               for queue in agent.consumes) or '<span class="empty">nothing</span>'),
    ])
    events = table(("Event", "Detail type", "Rules it can match"), (
        (link("event", event), e(catalogue.events[event].detail_type),
         ", ".join(link("rule", rule) for rule in catalogue.events[event].rules) or "none")
        for event in agent.events if event in catalogue.events), empty="no events declared")
    body = paragraph(agent.description) + facts + section("events", "Publishes", events)
    return name, f"Agent {e(name)}", body


def rule_page(catalogue: Catalogue, name: str) -> Page:
    rule = catalogue.rules[name]
    facts = definitions([
        ("AWS name", f"<code>{e(rule.name)}</code>"), ("State", e(rule.state)),
        ("Projected matches", f"{count(rule.matched[EXPECTED])} a month expected, {count(rule.matched[WORST])} worst case"),
        ("Projected cost of its matches", f'<span class="cost">{usd(rule.cost[EXPECTED])}</span> expected, '
                                          f"{usd(rule.cost[WORST])} worst case"),
        ("Events it can match", ", ".join(link("event", event) for event in rule.events) or _none_matched(rule.state)),
        ("Tags", tags_html(rule.tags)),
    ])
    body = "".join([paragraph(rule.description), facts, section("pattern", "Event pattern", code_block(rule.pattern)),
                    section("targets", "Targets", _deliveries_table(catalogue, rule.deliveries, empty="no targets"))])
    return name, f"Rule {e(name)}", body


def target_page(catalogue: Catalogue, key: str) -> Page:
    target = catalogue.targets[key]
    events = sorted({event for d in target.deliveries for event in catalogue.rules[d.rule].events})
    facts = definitions([("Kind", e(target.kind_label)), ("Destination", f"<code>{e(target.destination)}</code>"),
                         ("Receives", ", ".join(link("event", event) for event in events) or '<span class="empty">nothing</span>')])
    body = facts + section("deliveries", "Rules that deliver here", _deliveries_table(catalogue, target.deliveries))
    return target.destination, f"Target {e(target.destination)}", body


def dlq_page(catalogue: Catalogue, name: str) -> Page:
    dead_letter = catalogue.dead_letters[name]
    facts = definitions([("Queue", f"<code>{e(dead_letter.name)}</code>"),
                         ("Redrive from", ", ".join(_queue_link(catalogue, queue) for queue in dead_letter.redriven_from)
                          or '<span class="empty">no queue</span>')])
    body = facts + section("fed-by", "Undeliverable events of", _deliveries_table(catalogue, dead_letter.fed_by))
    body += paragraph("Review with `cabructl dlq list`, send back with `cabructl dlq redrive`.")
    return dead_letter.name, f"Dead-letter queue {e(dead_letter.name)}", body


def _none_matched(state: str) -> str:
    reason = "none: the rule is disabled" if state != "ENABLED" else "none of the declared event types"
    return f'<span class="empty">{e(reason)}</span>'


def _queue_link(catalogue: Catalogue, queue: str) -> str:
    key = f"queue.{queue}"
    return link("target", key, queue) if key in catalogue.targets else f"<code>{e(queue)}</code>"


def _deliveries_table(catalogue: Catalogue, deliveries: Iterable[DeliveryFacts], empty: str = "none") -> str:
    return table(("Rule", "Target", "Kind", "Destination", "Retry", "Dead-letter queue"), (
        (link("rule", d.rule), e(d.target_id), e(d.kind_label), link("target", d.target, d.destination), _retry(d),
         link("dlq", d.dead_letter, d.dead_letter_name) if d.dead_letter and d.dead_letter in catalogue.dead_letters
         else '<span class="warn">none: undeliverable events are dropped</span>')
        for d in deliveries), empty=empty)


def _retry(delivery: DeliveryFacts) -> str:
    if delivery.attempts is None:
        return "AWS default (185 times within 24h)"
    return f"{delivery.attempts} times within {format_duration(delivery.max_age_seconds or 0)}"
