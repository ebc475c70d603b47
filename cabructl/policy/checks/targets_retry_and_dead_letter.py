"""DLV001: every target has an explicit retry policy and a dead-letter queue."""

from __future__ import annotations

from typing import Iterable

from cabructl.constants import RETRY_DEFAULTS
from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.units import duration
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology


class TargetsRetryAndDeadLetter(Check):
    id = "DLV001"
    shortdesc = "Every target has a retry policy and a dead-letter queue"
    description = ("Without a dead-letter queue, an event EventBridge cannot deliver after its retries is dropped "
                   "without a trace; without an explicit retry policy it retries on AWS's defaults, for a day.")
    source_url = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html"

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        for rule in topology.rules.values():
            for target in rule.targets:
                if target.retry is None:
                    yield Violation(target.path, f"target {target.id} of rule {rule.logical} has no retry policy; EventBridge "
                                                 f"would retry {RETRY_DEFAULTS['attempts']} times over {duration(RETRY_DEFAULTS['max_age'])}",
                                    hint="add `retry: {attempts: 3, max_age: 1h}`")
                if target.dead_letter is None:
                    yield Violation(target.path, f"target {target.id} of rule {rule.logical} has no dead-letter queue: "
                                                 f"events it cannot deliver are lost",
                                    hint="add `dead_letter: <queue>`")
