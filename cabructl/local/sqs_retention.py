"""A queue's retention read directly, not through every attribute, when moto receives messages.

moto 5.2 checks each message a ReceiveMessage looks at against the queue's retention period by
computing *all* of the queue's attributes, and the approximate message counts among them look at
every message: a receive on a queue of n messages costs O(n²). A queue of 2,000 messages took
about a minute to drain, so the local endpoint measured moto rather than the consumers talking
to it. :func:`install_direct_retention_check` makes the check read the one attribute it needs;
what it decides is unchanged (a message past its retention period is not returned).
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import unix_time

_PATCHED = "_cabructl_direct_retention"


def install_direct_retention_check() -> None:
    """Patch moto's SQS backend once per process (safe to call again)."""
    from moto.sqs.models import SQSBackend

    if getattr(SQSBackend.is_message_valid_based_on_retention_period, _PATCHED, False):
        return

    def is_message_valid_based_on_retention_period(backend: Any, queue_name: str, message: Any) -> bool:
        retention_period = int(backend.get_queue(queue_name).message_retention_period)
        return retention_period + message.sent_timestamp / 1000 > unix_time()

    setattr(is_message_valid_based_on_retention_period, _PATCHED, True)
    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
