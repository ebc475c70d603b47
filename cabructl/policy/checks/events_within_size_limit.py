"""SIZE001: every event a schema declares fits in one PutEvents request (256 KB)."""

from __future__ import annotations

from typing import Iterable

from cabructl.constants import PUT_EVENTS_MAX_BYTES
from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.units import count
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology


class EventsWithinSizeLimit(Check):
    id = "SIZE001"
    shortdesc = "Events fit in 256 KB"
    description = ("PutEvents refuses an entry over 256 KB. The size is the schema's typical_size_bytes, its example, "
                   "or an estimate with every declared property present (see model.size_estimate).")
    source_url = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html"

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        for name, size in model.schema_sizes.items():
            if size.bytes > PUT_EVENTS_MAX_BYTES:
                schema = topology.schemas[name]
                path = schema.path + ("typical_size_bytes",) if size.basis == "declared" else schema.path
                yield Violation(path, f"{name} events are {count(size.bytes)} bytes ({size.basis}); "
                                      f"PutEvents takes at most {count(PUT_EVENTS_MAX_BYTES)}",
                                hint="put large payloads in S3 and send their location")
