"""Routes as text, and as a mermaid diagram like the seed's (agents → bus → rules → targets → DLQs)."""

from __future__ import annotations

import re
from typing import Sequence

from cabructl.policy.routes import Delivery, EventRoute, RoutesReport, deliveries_of, warnings
from cabructl.resources.targets import target_kind
from cabructl.topology.durations import format_duration
from cabructl.topology.model import Topology


def render_event_routes(routes: Sequence[EventRoute]) -> str:
    """What `test-event` prints: per event, each rule, each target, its retry policy and DLQ."""
    lines: list[str] = []
    for route in routes:
        event = route.event
        lines.append(f"event {event.get('source')} / {event.get('detail-type')}")
        if not route.rules:
            lines.append("  matches no rule: EventBridge would accept it and deliver it nowhere")
        for rule in route.rules:
            lines.append(f"  rule {rule}")
            for delivery in (d for d in route.deliveries if d.rule == rule):
                lines.append(f"    → {_describe(delivery)}")
                if delivery.payload is not None:
                    lines.append(f"      receives {_shortened(delivery.payload)}")
    return "\n".join(lines)


PAYLOAD_SHOWN = 400  # characters of a payload a line shows; --json has it whole


def _shortened(payload: str) -> str:
    return payload if len(payload) <= PAYLOAD_SHOWN else payload[:PAYLOAD_SHOWN] + f"… ({len(payload):,} characters; --json shows all)"


def _describe(delivery: Delivery) -> str:
    retry = delivery.target.retry
    text = f"{target_kind(delivery.target.kind).label} {delivery.destination} (target {delivery.target.id})"
    if retry:
        text += f"; retry {retry.attempts} times within {format_duration(retry.max_age_seconds)}"
    text += f"; DLQ {delivery.dead_letter}" if delivery.dead_letter else "; no DLQ: undeliverable events are dropped"
    return text



def render_routes_text(topology: Topology, report: RoutesReport) -> str:
    lines = [f"bus {topology.bus.name}"]
    for route in report.routes:
        lines.append(f"  {route.agent} ({route.source} / {route.detail_type})")
        if not route.rules:
            lines.append("    reaches no rule")
        for name in route.rules:
            for delivery in deliveries_of(topology, topology.rules[name]):
                lines.append(f"    {name} → {_describe(delivery)}")
    for warning in warnings(report):
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def render_mermaid(topology: Topology, report: RoutesReport) -> str:
    """A `graph LR` drawn from the topology itself; paste it into any mermaid renderer.

    Every label goes through :func:`_label`: names come from the topology file, and a
    source such as ``a"]-->X["pwn`` must stay text, never become a node or HTML.
    """
    lines = ["graph LR", f'    bus{{{{"{_label(topology.bus.name)}"}}}}']
    for agent in topology.agents.values():
        lines.append(f'    {_id("agent", agent.name)}["{_label(agent.name)} agent<br/>{_label(agent.source)}"] --> bus')
    edges: set[str] = set()
    for route in report.routes:
        for name in route.rules:
            edges.add(f'    bus -->|"{_label(route.agent)}"| {_id("rule", name)}')
    lines.extend(sorted(edges))
    for name, rule in topology.rules.items():
        lines.append(f'    {_id("rule", name)}{{"{_label(name)}"}}')
        for delivery in deliveries_of(topology, rule):
            target = _id(delivery.target.kind, delivery.target.ref)
            label = f"{_label(target_kind(delivery.target.kind).label)}<br/>{_label(delivery.destination)}"
            lines.append(f'    {_id("rule", name)} --> {target}["{label}"]')
            if delivery.dead_letter:
                dlq = _id("dlq", delivery.target.dead_letter or "")
                lines.append(f'    {target} -.->|undeliverable| {dlq}[("DLQ<br/>{_label(delivery.dead_letter)}")]')
    return "\n".join(_unique(lines))


def _label(text: str) -> str:
    """Text safe inside a quoted mermaid label: quotes, markup and mermaid's own ``#`` escapes
    become entity codes (``#34;``), so the label can neither close itself nor carry HTML."""
    return "".join(f"#{ord(char)};" if char in _MERMAID_SPECIAL else char for char in text)


_MERMAID_SPECIAL = frozenset('"#<>&|[]{}()`')


def _id(kind: str, name: str) -> str:
    return f"{kind}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"


def _unique(lines: list[str]) -> list[str]:
    seen: set[str] = set()
    return [line for line in lines if not (line in seen or seen.add(line))]
