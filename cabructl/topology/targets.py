"""Which keys of a rule's target name a target kind, and what each refers to: read from schema.json.

The topology language declares its target kinds once, in the JSON Schema (each kind's key
under ``rules.*.targets[]`` carries ``x-cabructl-target``: either the section its logical
name refers to (``section``, an owned resource) or ``reference: arn`` for a resource that
lives outside the topology and is named by its ARN, and whether the target may take a role). The model and the checks read that
here, so they name no kind; what each kind *does* (ARNs, delivery permissions, labels,
local delivery) is its descriptor in :mod:`cabructl.resources.targets`, which a test keeps
in step with this list.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Mapping

TARGET_KEYWORD = "x-cabructl-target"


@dataclass(frozen=True)
class TargetKey:
    """One target kind as the topology language knows it."""

    key: str            # the target's key naming it: ``queue``
    section: str | None  # the topology section its value names an entry of: ``queues``; None: an ARN
    takes_role: bool    # whether ``role_arn`` may be given (AWS rejects a role on some kinds)
    parameters: tuple[str, ...] = ()  # the target keys only this kind takes: ``message_group`` (SqsParameters)
    other_accounts: bool = False      # a referenced resource may be in another account (AWS-FACTS: through a role)
    other_regions: bool = False       # … or another region (AWS: event buses only)
    takes_input: bool = True          # False: the target receives the event itself (another bus), input settings aside

    @property
    def referenced(self) -> bool:
        """The value is an ARN (or bare name) of a resource cabructl never creates, not a logical name."""
        return self.section is None


@functools.lru_cache(maxsize=1)
def target_keys() -> Mapping[str, TargetKey]:
    """Every target kind of the language, by key, in the schema's order."""
    from cabructl.topology.loader import topology_schema

    properties = _target_properties(topology_schema())
    return {key: _target_key(key, spec[TARGET_KEYWORD]) for key, spec in properties.items() if TARGET_KEYWORD in spec}


def _target_key(key: str, data: Mapping[str, Any]) -> TargetKey:
    return TargetKey(key, data.get("section"), bool(data["takes_role"]), tuple(data.get("parameters", ())),
                     bool(data.get("other_accounts")), bool(data.get("other_regions")), bool(data.get("takes_input", True)))


def kind_parameters() -> frozenset[str]:
    """Every target key that belongs to one kind only (``message_group``, ``partition_key``, ``http``)."""
    return frozenset(parameter for key in target_keys().values() for parameter in key.parameters)


def _target_properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    rule = schema["properties"]["rules"]["additionalProperties"]
    return rule["properties"]["targets"]["items"]["properties"]


def destination(topology: Any, kind: str, logical: str) -> Any:
    """The declared resource a target of ``kind`` names (None when it is not declared, or is referenced by ARN)."""
    section = target_keys()[kind].section
    return None if section is None else getattr(topology, section).get(logical)


def destination_name(topology: Any, kind: str, reference: str) -> str:
    """How a person names where a target delivers: the declared resource's AWS name, or the
    referenced resource's own name (the ARN's last part: ``triage-agent`` of a function ARN)."""
    declared = destination(topology, kind, reference)
    if declared is not None:
        return str(declared.name)
    return reference.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
