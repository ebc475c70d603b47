"""The topology summary shown by ``cabructl summary``: what the file will build."""

from __future__ import annotations

from typing import Any

from cabructl.topology.model import Topology


def summary_data(topology: Topology) -> dict[str, Any]:
    """The facts a reader wants first, as plain data (the JSON form)."""
    return {
        "project": topology.project,
        "environment": topology.environment,
        "region": topology.region,
        "bus": topology.bus.name,
        "archive": topology.bus.archive.name if topology.bus.archive else None,
        "registry": topology.registry.name if topology.registry else None,
        "schemas": {name: f"{s.source} / {s.detail_type}" for name, s in topology.schemas.items()},
        "rules": {
            rule.name: [f"{t.kind.replace('_', ' ')} {t.ref}" + (f" (DLQ {t.dead_letter})" if t.dead_letter else "") for t in rule.targets]
            for rule in topology.rules.values()
        },
        "queues": [queue.name for queue in topology.queues.values()],
        "topics": [topic.name for topic in topology.topics.values()],
        "log_groups": [group.name for group in topology.log_groups.values()],
        "agents": {agent.name: {"source": agent.source, "per_day": agent.per_day, "per_hour": agent.per_hour} for agent in topology.agents.values()},
        "budget_usd": topology.budget.monthly_usd if topology.budget else None,
    }


def render_summary(data: dict[str, Any]) -> str:
    """A short, readable listing of the summary data."""
    lines = [f"{data['project']}/{data['environment']} in {data['region']}", f"  bus       {data['bus']}"]
    if data["archive"]:
        lines.append(f"  archive   {data['archive']}")
    if data["registry"]:
        lines.append(f"  registry  {data['registry']} ({len(data['schemas'])} schemas)")
    lines.append(f"  rules     {len(data['rules'])}")
    for rule, targets in data["rules"].items():
        lines.append(f"    {rule} → {', '.join(targets)}")
    for label in ("queues", "topics", "log_groups"):
        if data[label]:
            lines.append(f"  {label.replace('_', ' '):<9} {', '.join(data[label])}")
    lines.append(f"  agents    {len(data['agents'])}")
    for name, agent in data["agents"].items():
        lines.append(f"    {name:<10} {agent['source']:<28} {agent['per_day']:>8,}/day {agent['per_hour']:>7,}/hour")
    if data["budget_usd"] is not None:
        lines.append(f"  budget    {data['budget_usd']:g} USD/month")
    return "\n".join(lines)
