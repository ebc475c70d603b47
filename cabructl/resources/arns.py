"""ARNs derived from names, and who delivers to whom — shared by several kinds.

Deriving ARNs (instead of waiting for a create to return one) lets a plan be
complete before anything exists, and lets the delivery-permission policies name
rules that are created later in the same apply.
"""

from __future__ import annotations

from typing import Iterator

from cabructl.resources.base import Context
from cabructl.topology.model import Rule, Target, Topology


def bus_arn(topology: Topology, context: Context) -> str:
    return context.arn("events", f"event-bus/{topology.bus.name}")


def rule_arn(topology: Topology, context: Context, rule: Rule) -> str:
    return context.arn("events", f"rule/{topology.bus.name}/{rule.name}")


def queue_arn(topology: Topology, context: Context, logical: str) -> str:
    return context.arn("sqs", topology.queues[logical].name)


def topic_arn(topology: Topology, context: Context, logical: str) -> str:
    return context.arn("sns", topology.topics[logical].name)


def log_group_arn(topology: Topology, context: Context, logical: str) -> str:
    """The log-group ARN EventBridge targets take (without the trailing ``:*``)."""
    return context.arn("logs", f"log-group:{topology.log_groups[logical].name}")


def registry_arn(topology: Topology, context: Context) -> str:
    assert topology.registry is not None
    return context.arn("schemas", f"registry/{topology.registry.name}")


def policy_arn(context: Context, name: str) -> str:
    return context.arn("iam", f"policy/{name}", regional=False)


TARGET_ARNS = {"queue": queue_arn, "topic": topic_arn, "log_group": log_group_arn}


def target_arn(topology: Topology, context: Context, target: Target) -> str:
    return TARGET_ARNS[target.kind](topology, context, target.ref)


def deliveries_to(topology: Topology, kind: str, logical: str) -> Iterator[Rule]:
    """Rules that send events to ``kind``/``logical``, as a target or as its dead-letter queue."""
    for rule in topology.rules.values():
        for target in rule.targets:
            as_target = target.kind == kind and target.ref == logical
            as_dead_letter = kind == "queue" and target.dead_letter == logical
            if as_target or as_dead_letter:
                yield rule
                break


def logical_from_name(topology: Topology, name: str) -> str:
    """The logical name a live resource had, from its AWS name (prefix removed)."""
    return name[len(topology.prefix):] if name.startswith(topology.prefix) else name
