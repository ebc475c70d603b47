"""Checks of where a target delivers that a JSON Schema cannot say: kind parameters, regions, accounts.

A parameter that belongs to one kind (``partition_key`` to streams, ``http`` to API
destinations, ``message_group`` to queues) is refused elsewhere instead of being sent and
rejected by PutTargets, or silently ignored. A referenced ARN must be somewhere AWS delivers
to: targets live in the rule's region (event buses excepted). Which kind allows what is data in ``schema.json`` (``x-cabructl-target``).
"""

from __future__ import annotations

import re
from typing import Iterator, Optional

from cabructl.diagnostics import Path
from cabructl.topology.destination_checks import WARNING, Warned
from cabructl.topology.model import Target, Topology
from cabructl.topology.targets import TargetKey, kind_parameters, target_keys

Finding = tuple[Path, str, str, Optional[str]]
PLACEHOLDERS = re.compile(r"^\{(region|account)\}$")
# Accounts are not checked here: a literal account may be the one the topology is applied in, known only
# at plan time. A function in another account is policy check's finding (no statement cabructl can write).


def check_target_parameters(topology: Topology) -> Iterator[Finding]:
    """Each kind's own parameters appear on targets of that kind only."""
    for rule in topology.rules.values():
        for target in rule.targets:
            own = target_keys()[target.kind].parameters
            for parameter in sorted(kind_parameters() - set(own)):
                if parameter == "message_group":
                    continue  # its own check names the FIFO rule (input_checks.check_message_groups)
                if getattr(target, parameter, None) is not None:
                    takers = [key.replace("_", " ") for key, spec in target_keys().items() if parameter in spec.parameters]
                    yield (target.path + (parameter,), f"{parameter.replace('_', '-')}-on-other-target",
                           f"`{parameter}` is for {' and '.join(takers)} targets only; this is a {target.kind.replace('_', ' ')} target", None)


def check_input_taken(topology: Topology) -> Iterator[Warned]:
    """Input settings on a kind that receives the event itself (another bus) are not applied: a warning."""
    for rule in topology.rules.values():
        for target in rule.targets:
            if target_keys()[target.kind].takes_input:
                continue
            for setting in ("input", "input_path", "input_transformer"):
                if getattr(target, setting) is not None:
                    yield (target.path + (setting,), "input-not-applied",
                           f"{target.kind.replace('_', ' ')} targets receive the event itself; `{setting}` is not applied "
                           "(input settings are for AWS service targets and API destinations)", None, WARNING)


def check_target_locations(topology: Topology) -> Iterator[Finding]:
    """A referenced ARN is in the rule's region, or its kind may be elsewhere."""
    for rule in topology.rules.values():
        for target in rule.targets:
            key = target_keys()[target.kind]
            if key.referenced and target.ref.startswith("arn:"):
                yield from _location_findings(topology, target, key)


def _location_findings(topology: Topology, target: Target, key: TargetKey) -> Iterator[Finding]:
    parts = target.ref.split(":", 5)
    if len(parts) < 6:
        return
    region = parts[3]
    where = target.path + (target.kind,)
    label = target.kind.replace("_", " ")
    if not key.other_regions and not PLACEHOLDERS.match(region) and region != topology.region:
        yield (where, "target-in-other-region",
               f"the {label} is in {region}, the rule in {topology.region}: EventBridge delivers to other regions only through event buses",
               f"use `{{region}}`, or put an event_bus target in {region} in between")
