"""The IAM reference as data: which resource types each action supports, and their ARN formats.

`schemas:GetDiscoveredSchema` granted on a registry ARN is a grant that never applies: the
action supports no resource type, so only ``Resource: "*"`` grants it. A hand-written list
of such actions would be wrong for the next one, so this reads the Service Authorization
Reference as parliament ships it (its ``iam_definition.json``, regenerated from AWS's pages
with each release). The file is found through the installed package's location, without
executing ``parliament/__init__.py``, which imports ``pkg_resources`` and loads its own copy.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

_VARIABLE = re.compile(r"\$\{[^}]+\}")


class ReferenceUnavailable(RuntimeError):
    """parliament (which carries the IAM reference) is not installed."""


@dataclass(frozen=True)
class Action:
    """One action of the reference: the ARN formats of the resource types it supports."""

    name: str  # e.g. schemas:GetDiscoveredSchema, as the reference spells it
    arn_formats: Mapping[str, str]  # resource type → ARN format as a glob (``${Var}`` → ``*``); empty: none, "*" only
    complete: bool  # every resource type it names has a format in the reference


def reference_file() -> Path:
    """Where the installed parliament keeps its iam_definition.json."""
    spec = importlib.util.find_spec("parliament")
    if spec is None or not spec.submodule_search_locations:
        raise ReferenceUnavailable("the IAM reference comes with parliament: pip install parliament")
    return Path(next(iter(spec.submodule_search_locations))) / "iam_definition.json"


@functools.lru_cache(maxsize=1)
def services() -> Mapping[str, Mapping[str, Any]]:
    """The reference's services by lower-case prefix, as parliament stores them."""
    return {service["prefix"].lower(): service for service in json.loads(reference_file().read_text(encoding="utf-8"))}


@functools.lru_cache(maxsize=None)
def service_actions(prefix: str) -> Mapping[str, Action]:
    """The actions of one service, by lower-case ``prefix:name`` (IAM matches actions case-insensitively).
    Built per service on first use: most runs read a handful of the reference's hundreds of services."""
    service = services().get(prefix.lower())
    if service is None:
        return {}
    formats = {resource["resource"]: _VARIABLE.sub("*", resource["arn"]) for resource in service.get("resources", [])}
    found: dict[str, Action] = {}
    for privilege in service.get("privileges", []):
        name = f"{service['prefix']}:{privilege['privilege']}"
        found[name.lower()] = _action(name, privilege, formats, found.get(name.lower()))
    return found


def matching(pattern: str) -> list[Action]:
    """The actions an Action element names (``sqs:SendMessage``, ``sns:*``), case-insensitively."""
    wanted = pattern.lower()
    prefix = wanted.split(":", 1)[0]
    prefixes = [known for known in services() if globs_intersect(prefix, known)] if "*" in prefix or "?" in prefix else [prefix]
    return [action for known in prefixes for key, action in service_actions(known).items() if globs_intersect(wanted, key)]


def supports(action: Action, resource: str) -> bool:
    """Whether granting ``action`` on ``resource`` (an ARN, maybe with wildcards) can apply."""
    if resource == "*":
        return True  # every action can be granted on all resources
    if not action.complete:
        return True  # the reference names a type it does not describe: nothing to compare with
    return any(globs_intersect(arn_format.lower(), resource.lower()) for arn_format in action.arn_formats.values())


def globs_intersect(left: str, right: str) -> bool:
    """Whether some string matches both globs (``*`` and ``?`` only), as IAM ARN patterns are."""

    @functools.lru_cache(maxsize=None)
    def meet(i: int, j: int) -> bool:
        if i == len(left) and j == len(right):
            return True
        if i < len(left) and left[i] == "*":
            return meet(i + 1, j) or (j < len(right) and meet(i, j + 1))
        if j < len(right) and right[j] == "*":
            return meet(i, j + 1) or (i < len(left) and meet(i + 1, j))
        if i == len(left) or j == len(right):
            return False
        return (left[i] == right[j] or "?" in (left[i], right[j])) and meet(i + 1, j + 1)

    return meet(0, 0)


def _action(name: str, privilege: Mapping[str, Any], formats: Mapping[str, str], known: Action | None) -> Action:
    types = [entry.get("resource_type", "").rstrip("*") for entry in privilege.get("resource_types", [])]
    action = Action(name, {kind: formats[kind] for kind in types if kind in formats},
                    complete=all(kind in formats for kind in types if kind))
    if known is None:  # a few services list an action twice; keep what both entries allow
        return action
    return Action(name, {**known.arn_formats, **action.arn_formats}, known.complete and action.complete)
