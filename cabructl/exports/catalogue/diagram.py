"""The routing diagram as inline SVG: agents → bus → rules → targets → DLQs, each node a link.

Laid out in five columns, one row per node, so it needs no layout engine nor script at view
time; the same edges as ``cabructl routes --format mermaid`` (an agent reaches a rule when one
of its event types can match it). ``only`` draws the part one event type travels.
"""

from __future__ import annotations

from dataclasses import dataclass

from cabructl.exports.catalogue.html import e, page_name
from cabructl.exports.facts import Catalogue

COLUMN_WIDTH = 230
NODE_WIDTH = 180
NODE_HEIGHT = 40
ROW_HEIGHT = 56
MARGIN = 20
LABEL_CHARS = 24
COLUMNS = ("Agents", "Bus", "Rules", "Targets", "Dead-letter queues")


@dataclass(frozen=True)
class Node:
    id: str
    column: int
    label: str
    detail: str
    href: str
    css: str


def routing_svg(catalogue: Catalogue, only: str | None = None) -> str:
    """The diagram of the whole topology, or of the route of the event type ``only``."""
    nodes, edges = _graph(catalogue, only)
    placed = _place(nodes)
    rows = max((sum(1 for node in nodes if node.column == column) for column in range(len(COLUMNS))), default=1)
    width = MARGIN * 2 + COLUMN_WIDTH * (len(COLUMNS) - 1) + NODE_WIDTH
    height = MARGIN * 2 + 24 + rows * ROW_HEIGHT
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="routing" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" aria-labelledby="routing-title">',
             '<title id="routing-title">Routing: agents, bus, rules, targets and dead-letter queues</title>',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker></defs>']
    parts += [f'<text class="column" x="{MARGIN + index * COLUMN_WIDTH}" y="{MARGIN + 10}">{e(title)}</text>'
              for index, title in enumerate(COLUMNS)]
    parts += [_edge(placed[start], placed[end], dashed) for start, end, dashed in edges if start in placed and end in placed]
    parts += [_node(node, *placed[node.id]) for node in nodes]
    parts.append("</svg>")
    return "\n".join(parts)


def _graph(catalogue: Catalogue, only: str | None) -> tuple[list[Node], list[tuple[str, str, bool]]]:
    events = [catalogue.events[only]] if only else list(catalogue.events.values())
    agents = [name for name in catalogue.agents if any(name in event.publishers for event in events)] if only else list(catalogue.agents)
    rules = [name for name in catalogue.rules if any(name in event.rules for event in events)] if only else list(catalogue.rules)
    nodes = [Node(f"agent:{name}", 0, name, catalogue.agents[name].source, page_name("agent", name), "agent") for name in agents]
    nodes.append(Node("bus", 1, catalogue.bus_name, f"{len(catalogue.events)} event types", "index.html", "bus"))
    edges: list[tuple[str, str, bool]] = [(f"agent:{name}", "bus", False) for name in agents]
    targets: list[str] = []
    dead_letters: list[str] = []
    for name in rules:
        rule = catalogue.rules[name]
        nodes.append(Node(f"rule:{name}", 2, name, rule.state.lower(), page_name("rule", name), "rule"))
        edges.append(("bus", f"rule:{name}", False))
        for delivery in rule.deliveries:
            targets += [delivery.target] if delivery.target not in targets else []
            edges.append((f"rule:{name}", f"target:{delivery.target}", False))
            if delivery.dead_letter and delivery.dead_letter in catalogue.dead_letters:
                dead_letters += [delivery.dead_letter] if delivery.dead_letter not in dead_letters else []
                edges.append((f"target:{delivery.target}", f"dlq:{delivery.dead_letter}", True))
    for key in targets:
        target = catalogue.targets[key]
        nodes.append(Node(f"target:{key}", 3, target.label, f"{target.kind_label} {target.destination}", page_name("target", key), "target"))
    for name in dead_letters:
        nodes.append(Node(f"dlq:{name}", 4, name, f"DLQ {catalogue.dead_letters[name].name}", page_name("dlq", name), "dlq"))
    return nodes, list(dict.fromkeys(edges))


def _place(nodes: list[Node]) -> dict[str, tuple[int, int]]:
    placed: dict[str, tuple[int, int]] = {}
    rows = [0] * len(COLUMNS)
    for node in nodes:
        placed[node.id] = (MARGIN + node.column * COLUMN_WIDTH, MARGIN + 24 + rows[node.column] * ROW_HEIGHT)
        rows[node.column] += 1
    return placed


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def _node(node: Node, x: int, y: int) -> str:
    # The whole box is the link; <title> keeps the full name where the label is shortened.
    return (f'<a href="{e(node.href)}" class="node {node.css}" data-node="{e(node.id)}">'
            f'<title>{e(node.label)} ({e(node.detail)})</title>'
            f'<rect x="{x}" y="{y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="6"/>'
            f'<text x="{x + 8}" y="{y + 17}" class="label">{e(_short(node.label))}</text>'
            f'<text x="{x + 8}" y="{y + 32}" class="detail">{e(_short(node.detail))}</text></a>')


def _edge(start: tuple[int, int], end: tuple[int, int], dashed: bool) -> str:
    x1, y1 = start[0] + NODE_WIDTH, start[1] + NODE_HEIGHT // 2
    x2, y2 = end[0], end[1] + NODE_HEIGHT // 2
    middle = (x1 + x2) // 2
    css = "edge dlq-edge" if dashed else "edge"
    return f'<path class="{css}" d="M {x1} {y1} C {middle} {y1}, {middle} {y2}, {x2 - 2} {y2}" marker-end="url(#arrow)"/>'
