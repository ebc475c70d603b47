"""RET001: log groups keep events no longer than the policy's maximum."""

from __future__ import annotations

from typing import Iterable

from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology


class LogRetentionBounded(Check):
    id = "RET001"
    shortdesc = "Log retention at most the policy's maximum"
    description = ("Stored log data is billed every month it is kept; the seed kept agent logs seven days. "
                   "A log group without retention keeps everything forever.")

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        maximum = self.parameters["max_log_retention_days"]
        for group in topology.log_groups.values():
            days = group.retention_days
            if days is None:
                yield Violation(group.path, f"log group {group.logical} keeps events forever (no `retention`); "
                                            f"the policy allows at most {maximum} days")
            elif days > maximum:
                yield Violation(group.path + ("retention",), f"log group {group.logical} keeps events {days} days; "
                                                             f"the policy allows at most {maximum}")
