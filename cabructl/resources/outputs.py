"""The topology's ``outputs:`` resolved against live state.

An output names ``section.logical.attribute`` in topology terms; which resource
address that is depends on the kind, so the mapping lives here, with the kinds.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Resource

# Singletons of a topology (one bus, one registry, one publisher policy), by kind.
_SINGLETONS = {"bus": "events.bus", "schemas.registry": "schemas.registry", "iam.publisher_policy": "iam.policy"}
# Keyed sections: the logical name is the last part of the address.
_SECTIONS = {"queues": "sqs.queue", "topics": "sns.topic", "log_groups": "logs.group", "rules": "events.rule"}


def output_address(reference: str, desired: Mapping[str, Resource]) -> tuple[str, str]:
    """``queues.eventbridge-dlq.url`` → (``sqs.queue.eventbridge-dlq``, ``url``)."""
    owner, _, attribute = reference.rpartition(".")
    if owner in _SINGLETONS:
        kind = _SINGLETONS[owner]
        address = next((addr for addr, resource in desired.items() if resource.kind == kind), f"{kind}.{owner}")
        return address, attribute
    section, _, logical = owner.partition(".")
    return f"{_SECTIONS[section]}.{logical}", attribute


def resolve_outputs(outputs: Mapping[str, str], live: Mapping[str, Resource], desired: Mapping[str, Resource]) -> dict[str, Any]:
    """Each output's value from live state (derived ARNs as a fallback); None when absent."""
    values: dict[str, Any] = {}
    for name, reference in outputs.items():
        address, attribute = output_address(reference, desired)
        resource = live.get(address)
        if resource is None:
            values[name] = None
            continue
        if attribute == "name":
            values[name] = resource.name
        else:
            fallback = desired.get(address)
            values[name] = resource.identity.get(attribute) or (fallback.identity.get(attribute) if fallback else None)
    return values
