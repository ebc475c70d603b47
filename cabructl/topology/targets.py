"""Which keys of a rule's target name a target kind, and what each refers to: read from schema.json.

The topology language declares its target kinds once, in the JSON Schema (each kind's key
under ``rules.*.targets[]`` carries ``x-cabructl-target``: the section its logical name
refers to, and whether the target may take a role). The model and the checks read that
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

    key: str          # the target's key naming it: ``queue``
    section: str      # the topology section its value names an entry of: ``queues``
    takes_role: bool  # whether ``role_arn`` may be given (AWS rejects a role on some kinds)


@functools.lru_cache(maxsize=1)
def target_keys() -> Mapping[str, TargetKey]:
    """Every target kind of the language, by key, in the schema's order."""
    from cabructl.topology.loader import topology_schema

    properties = _target_properties(topology_schema())
    return {key: TargetKey(key, spec[TARGET_KEYWORD]["section"], bool(spec[TARGET_KEYWORD]["takes_role"]))
            for key, spec in properties.items() if TARGET_KEYWORD in spec}


def _target_properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    rule = schema["properties"]["rules"]["additionalProperties"]
    return rule["properties"]["targets"]["items"]["properties"]


def destination(topology: Any, kind: str, logical: str) -> Any:
    """The declared resource a target of ``kind`` names (None when it is not declared)."""
    return getattr(topology, target_keys()[kind].section).get(logical)
