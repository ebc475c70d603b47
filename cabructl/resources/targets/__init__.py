"""The registry of target kinds: one descriptor module per kind (see :mod:`.base`).

Adding a target kind is one module here, its entry below, its key in
``topology/schema.json`` (``x-cabructl-target``), and its tests.
"""

from __future__ import annotations

import functools

from cabructl.resources.targets.base import Delivery, TargetKind

__all__ = ["Delivery", "TargetKind", "target_kinds", "target_kind", "kind_of_arn", "DEAD_LETTER"]


@functools.lru_cache(maxsize=1)
def target_kinds() -> dict[str, TargetKind]:
    """Every target kind, by its topology key (built once: every target of every rule asks)."""
    from cabructl.resources.targets import api_destination, event_bus, function, log_group, queue, state_machine, stream, topic

    kinds = (log_group.LOG_GROUP, topic.TOPIC, queue.QUEUE, function.FUNCTION, state_machine.STATE_MACHINE,
             api_destination.API_DESTINATION, event_bus.EVENT_BUS, stream.STREAM)
    return {kind.key: kind for kind in kinds}


def target_kind(key: str) -> TargetKind:
    return target_kinds()[key]


def kind_of_arn(arn: str) -> TargetKind | None:
    """The kind a live target's ARN names (by its service), or None for a kind cabructl does not know."""
    from cabructl.resources.arns import arn_parts

    parts = arn_parts(arn)
    if parts is None:
        return None
    # Two kinds share a service (events: buses and API destinations): the resource type tells them apart.
    return next((kind for kind in target_kinds().values()
                 if kind.service == parts.service and parts.resource.startswith(kind.resource_type)), None)


# Dead-letter queues are SQS queues (AWS: standard queues only), whatever the target's kind.
DEAD_LETTER = "queue"
