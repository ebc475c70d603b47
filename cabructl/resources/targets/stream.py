"""A Kinesis data stream as a rule's target (``stream: <ARN or name>``): referenced, never created.

EventBridge writes one record per event with a role (``kinesis:PutRecord``), keyed by
``partition_key`` (KinesisParameters.PartitionKeyPath) or, without one, by the event id.
"""

from __future__ import annotations

from cabructl.resources.targets.base import TargetKind
from cabructl.resources.targets.referenced import referenced_arn

STREAM = TargetKind(
    key="stream",
    resource_kind=None,
    label="Kinesis stream",
    arn=referenced_arn("kinesis", "stream/"),
    delivery=None,
    service="kinesis",
    role_action="kinesis:PutRecord",
)
