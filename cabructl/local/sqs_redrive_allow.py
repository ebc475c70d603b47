"""Queues' RedriveAllowPolicy read back, which moto accepts and then leaves out.

On AWS, a dead-letter queue's ``RedriveAllowPolicy`` (which source queues may name it in
their RedrivePolicy) is returned by ``GetQueueAttributes``; moto 5.2 stores the value a
``CreateQueue`` or ``SetQueueAttributes`` sends but never returns it. cabructl derives the
policy for every dead-letter queue and compares it with what it reads, so without it the
local endpoint would show the same change after every apply.

:func:`install_redrive_allow_read_back` wraps ``Queue.attributes`` once per process (safe to
call again). moto enforces nothing about the policy; only reading it back is added.
"""

from __future__ import annotations

from typing import Any

_PATCHED = "_cabructl_redrive_allow"
_ATTRIBUTE = "RedriveAllowPolicy"


def install_redrive_allow_read_back() -> None:
    """Make moto's GetQueueAttributes (``All``) return a queue's RedriveAllowPolicy when one is set; idempotent."""
    from moto.sqs.models import Queue

    if getattr(Queue.attributes.fget, _PATCHED, False):
        return
    moto_attributes = Queue.attributes.fget

    def attributes(queue: Any) -> dict[str, Any]:
        result = moto_attributes(queue)
        value = getattr(queue, "redrive_allow_policy", None)  # where moto's setattr put it; "" clears it
        if value:
            result[_ATTRIBUTE] = value
        return result

    setattr(attributes, _PATCHED, True)
    Queue.attributes = property(attributes)
