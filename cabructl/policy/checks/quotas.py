"""QUOTA001: rules per bus, wildcard rules per bus and targets per rule within AWS's quotas."""

from __future__ import annotations

from typing import Iterable

from cabructl import constants
from cabructl.patterns import uses_wildcard
from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology


class Quotas(Check):
    id = "QUOTA001"
    shortdesc = "EventBridge quotas"
    description = ("Rules per bus (lower in some regions), rules with wildcards per bus and targets per rule. AWS's "
                   "defaults come from cabructl's constants; policy.yaml lists regional and raised quotas.")
    source_url = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        rules_per_bus = self.parameters.get("rules_per_bus_by_region", {}).get(topology.region, self.parameters.get("rules_per_bus", constants.MAX_RULES_PER_BUS))
        if len(topology.rules) > rules_per_bus:
            yield Violation(("rules",), f"{len(topology.rules)} rules on one bus; {topology.region} allows {rules_per_bus}")
        wildcard_limit = self.parameters.get("wildcard_rules_per_bus", constants.MAX_WILDCARD_RULES_PER_BUS)
        wildcards = [rule.logical for rule in topology.rules.values() if uses_wildcard(rule.pattern)]
        if len(wildcards) > wildcard_limit:
            yield Violation(("rules",), f"{len(wildcards)} rules use wildcards; a bus allows {wildcard_limit}")
        targets_limit = self.parameters.get("targets_per_rule", constants.MAX_TARGETS_PER_RULE)
        for rule in topology.rules.values():
            if len(rule.targets) > targets_limit:
                yield Violation(rule.path + ("targets",), f"rule {rule.logical} has {len(rule.targets)} target{'' if len(rule.targets) == 1 else 's'}; "
                                                          f"a rule takes at most {targets_limit}")
