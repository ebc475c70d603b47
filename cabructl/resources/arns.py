"""ARNs derived from names, and who delivers to whom — shared by several kinds.

Deriving ARNs (instead of waiting for a create to return one) lets a plan be
complete before anything exists, and lets the delivery-permission policies name
rules that are created later in the same apply.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Mapping, NamedTuple

from cabructl.constants import ADDRESS_CLAIM_SEPARATOR
from cabructl.resources.base import Context, Resource, address
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


def plain_arn(arn: str) -> str:
    """An ARN without the ``:*`` that log-group ARNs carry in some responses (and stream grants):
    the one form ARNs are compared in."""
    return arn.removesuffix(":*")


def target_arn(topology: Topology, context: Context, target: Target) -> str:
    """The ARN a PutTargets entry names, as the target's kind builds it."""
    from cabructl.resources.targets import target_kind

    return target_kind(target.kind).arn(topology, context, target.ref)


def deliveries_to(topology: Topology, kind: str, logical: str) -> Iterator[Rule]:
    """Rules that send events to the target kind ``kind``/``logical``, as a target or as its dead-letter queue."""
    from cabructl.resources.targets import DEAD_LETTER

    for rule in topology.rules.values():
        for target in rule.targets:
            as_target = target.kind == kind and target.ref == logical
            as_dead_letter = kind == DEAD_LETTER and target.dead_letter == logical
            if as_target or as_dead_letter:
                yield rule
                break


def logical_from_name(topology: Topology, name: str) -> str:
    """The logical name a live resource had, from its AWS name (prefix removed)."""
    return name[len(topology.prefix):] if name.startswith(topology.prefix) else name


def live_address(kind: str, topology: Topology, name: str, desired: Iterable[Resource]) -> str:
    """The address a live resource answers to: the desired one of that name, else one made
    from the name with the prefix removed.

    Names outside the prefix (``/aws/events/…`` log groups, an explicit ``name:``) do not
    give back their logical name; without this the plan would pair nothing and both
    create the desired resource and delete the live one.
    """
    desired = list(desired)
    for resource in desired:
        if resource.name == name:
            return resource.address
    derived = address(kind, logical_from_name(topology, name))
    if any(resource.address == derived for resource in desired):
        # a declaration holds this address under another name: this one is not it
        return f"{derived}{ADDRESS_CLAIM_SEPARATOR}{name}"
    return derived


# Tags as SNS, CloudWatch and IAM take and return them: a list of {"Key", "Value"}.
def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def tag_map(tags: Iterable[Mapping[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


class ArnParts(NamedTuple):
    """The fields of ``arn:partition:service:region:account:resource``."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


def arn_parts(arn: str) -> ArnParts | None:
    """The ARN's fields, or None for text that is no ARN (the resource may hold colons)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return ArnParts(*parts[1:])


def rule_location(rule_arn: str) -> tuple[str, str] | None:
    """(bus, rule name) from ``…:rule/BUS/NAME``; a rule of the default bus has no BUS part. None for other ARNs."""
    parts = arn_parts(rule_arn)
    if parts is None or not parts.resource.startswith("rule/"):
        return None
    path = parts.resource.removeprefix("rule/").split("/")
    return ("default", path[0]) if len(path) == 1 else (path[0], path[-1])
