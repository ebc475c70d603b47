"""RET002: the bus archive keeps events no longer than the policy's maximum."""

from __future__ import annotations

from typing import Iterable

from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology


class ArchiveRetentionBounded(Check):
    id = "RET002"
    shortdesc = "Archive retention at most the policy's maximum"
    description = ("Archived events are billed per GB-month stored; retention 0 means forever, so the bill grows "
                   "every month. The seed archived seven days for replay after an incident.")

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        archive = topology.bus.archive
        if archive is None:
            return
        maximum = self.parameters["max_archive_retention_days"]
        if archive.retention_days == 0:
            yield Violation(archive.path + ("retention",), f"the archive keeps events forever (retention 0); "
                                                           f"the policy allows at most {maximum} days")
        elif archive.retention_days > maximum:
            yield Violation(archive.path + ("retention",), f"the archive keeps events {archive.retention_days} days; "
                                                           f"the policy allows at most {maximum}")
