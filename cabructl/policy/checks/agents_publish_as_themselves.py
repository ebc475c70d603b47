"""PUB001: no cabructl-owned policy lets one agent publish as another (by source or detail-type)."""

from __future__ import annotations

import re
from typing import Iterable

from cabructl.diagnostics import Path
from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.impersonation import Grant, identities, grants, impersonated
from cabructl.policy.traffic import TrafficModel
from cabructl.resources.base import offline_context
from cabructl.resources.iam_policy import PUBLISHER_ADDRESS, agent_of
from cabructl.topology.model import Topology

_ACCOUNT = re.compile(r"(?<![0-9])([0-9]{12})(?![0-9])")


class AgentsPublishAsThemselves(Check):
    id = "PUB001"
    shortdesc = "No policy lets one agent publish as another"
    description = ("Consumers trust an event's source and detail-type to say which agent sent it. Every policy cabructl "
                   "derives that can grant events:PutEvents on the bus (the managed publisher policies, the bus policy's "
                   "statements for other accounts) must allow at most one agent's own source with its own detail-types; "
                   "the seed's shared policy, unconditioned, lets every agent it is attached to publish as any other.")
    source_url = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html"

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        own = identities(topology)
        for grant in grants(topology, offline_context(topology)):
            reached = impersonated(grant, own)
            if reached:
                owned = {pair for identity in own for pair in identity.pairs}
                example = min(grant.allowed - owned or grant.allowed)  # a source with another agent's detail-type, if any
                yield Violation(_path(topology, grant), _message(grant, reached, example), hint=_hint(grant))


def _message(grant: Grant, reached: list[str], example: tuple[str, str]) -> str:
    holder = "whoever it is attached to" if grant.principal is None else f"principal {grant.principal}"
    source, detail_type = example
    agents = ", ".join(reached[:-1]) + f" and {reached[-1]}" if len(reached) > 1 else reached[0]
    return (f"{grant.address} ({grant.name}) lets {holder} publish as agents {agents}: it allows events:PutEvents on the bus "
            f"with the sources and detail-types of more than one agent (e.g. source \"{source}\" with detail-type \"{detail_type}\")")


def _hint(grant: Grant) -> str:
    if grant.address == PUBLISHER_ADDRESS:
        return ("set `publish: none` and attach each agent's own {prefix}<agent>-publisher policy instead "
                "(output iam.agent_publisher_policies.arn)")
    if grant.principal is not None:
        return "a bus policy tells accounts apart, not agents: give each agent an account of its own (agents.<agent>.account)"
    return "grant events:PutEvents only with one agent's events:source and the detail-types of its own events"


def _path(topology: Topology, grant: Grant) -> Path:
    """Where the topology causes the document: the shared policy's `publish`, the agent, or its account."""
    if grant.address == PUBLISHER_ADDRESS and topology.publisher_policy is not None:
        return topology.publisher_policy.path + ("publish",)
    agent = agent_of(grant.address)
    if agent in topology.agents:
        return topology.agents[agent].path
    account = _ACCOUNT.search(grant.principal or "")
    for agent_model in topology.agents.values():
        if account and account.group(1) in getattr(agent_model, "accounts", ()):
            return agent_model.path + ("account",)
    return topology.bus.path
