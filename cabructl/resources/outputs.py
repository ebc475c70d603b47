"""The topology's ``outputs:`` resolved against live state.

An output names ``section.logical.attribute`` in topology terms; which resource
address that is depends on the kind, so the mapping lives here, with the kinds.
``iam.agent_publisher_policies.<attribute>`` is the one output that is a map: each
agent's own publisher policy, by agent name (``iam.agent_publisher_policies.<agent>.arn``
names one of them).
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Resource
from cabructl.resources.iam_policy import PUBLISHER_ADDRESS, agent_of, agent_policy_address

# Singletons of a topology (one bus, one registry, one idempotency table), by kind.
_SINGLETONS = {"bus": "events.bus", "schemas.registry": "schemas.registry", "idempotency": "dynamodb.table"}
_FIXED = {"iam.publisher_policy": PUBLISHER_ADDRESS}
AGENT_PUBLISHERS = "iam.agent_publisher_policies"
# Keyed sections: the logical name is the last part of the address.
_SECTIONS = {"queues": "sqs.queue", "topics": "sns.topic", "log_groups": "logs.group", "rules": "events.rule"}


def output_address(reference: str, desired: Mapping[str, Resource]) -> tuple[str, str]:
    """``queues.eventbridge-dlq.url`` → (``sqs.queue.eventbridge-dlq``, ``url``)."""
    owner, _, attribute = reference.rpartition(".")
    if owner in _FIXED:
        return _FIXED[owner], attribute
    if owner in _SINGLETONS:
        kind = _SINGLETONS[owner]
        address = next((addr for addr, resource in desired.items() if resource.kind == kind), f"{kind}.{owner}")
        return address, attribute
    if owner.startswith(AGENT_PUBLISHERS + "."):
        return agent_policy_address(owner[len(AGENT_PUBLISHERS) + 1:]), attribute
    section, _, logical = owner.partition(".")
    return f"{_SECTIONS[section]}.{logical}", attribute


def resolve_outputs(outputs: Mapping[str, str], live: Mapping[str, Resource], desired: Mapping[str, Resource]) -> dict[str, Any]:
    """Each output's value from live state (derived ARNs as a fallback); None when absent.
    The agents' publisher policies are a map, agent → value (None for one not created)."""
    values: dict[str, Any] = {}
    for name, reference in outputs.items():
        owner, _, attribute = reference.rpartition(".")
        if owner == AGENT_PUBLISHERS:
            agents = sorted(agent for agent in map(agent_of, desired) if agent is not None)
            values[name] = {agent: _value(agent_policy_address(agent), attribute, live, desired) for agent in agents}
        else:
            values[name] = _value(*output_address(reference, desired), live, desired)
    return values


def missing(values: Mapping[str, Any]) -> list[str]:
    """The outputs (or ``output.agent`` entries of a map) that have no value yet."""
    absent: list[str] = []
    for name, value in values.items():
        if isinstance(value, Mapping):
            absent += [f"{name}.{key}" for key, item in value.items() if item is None]
        elif value is None:
            absent.append(name)
    return absent


def _value(address: str, attribute: str, live: Mapping[str, Resource], desired: Mapping[str, Resource]) -> Any:
    resource = live.get(address)
    if resource is None:
        return None
    if attribute == "name":
        return resource.name
    fallback = desired.get(address)
    return resource.identity.get(attribute) or (fallback.identity.get(attribute) if fallback else None)
