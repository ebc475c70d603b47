"""VOL003: an agent's declared mix describes values its events can have."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from cabructl.policy.candidates import enumerated_values, mix_path
from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Agent, Topology

_SHARE_TOLERANCE = 1e-9


class MixCoherent(Check):
    id = "VOL003"
    shortdesc = "Agent mix matches the agent's schemas"
    description = ("The expected case weighs events by the agent's `mix`. A field the schemas do not enumerate, a "
                   "value they do not allow or shares adding up to more than 1 cannot describe real events; the "
                   "model then falls back to the worst case for that share, and says so here.")

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        for agent in topology.agents.values():
            for field, shares in agent.mix.items():
                yield from _field_problems(topology, agent, field, shares)


def _field_problems(topology: Topology, agent: Agent, field: str, shares: Mapping[Any, float]) -> Iterable[Violation]:
    path = agent.path + ("mix", field)
    allowed = _allowed_values(topology, agent, field)
    if allowed is None:
        yield Violation(path, f'agent {agent.name}\'s events have no enumerated detail field "{field}", so its mix cannot apply')
        return
    for value in shares:
        if value not in allowed:
            yield Violation(path + (value,), f'"{value}" is not a value of {field} ({", ".join(map(str, allowed))})')
    total = sum(shares.values())
    if total > 1 + _SHARE_TOLERANCE:
        yield Violation(path, f"the shares of {field} add up to {total:g}, more than all of agent {agent.name}'s events")


def _allowed_values(topology: Topology, agent: Agent, field: str) -> tuple[Any, ...] | None:
    """The field's values across the agent's schemas, or None when none enumerates it."""
    found: list[Any] = []
    enumerated = False
    for name in agent.events:
        schema = topology.schemas.get(name)
        values = enumerated_values(schema, mix_path(field)) if schema is not None else None
        if values is not None:
            enumerated = True
            found.extend(value for value in values if value not in found)
    return tuple(found) if enumerated else None
