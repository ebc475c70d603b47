"""ARN001: every derived grant names a resource type its action supports (by the IAM reference)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from cabructl.policy import iam_reference
from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.iam import as_list
from cabructl.policy.derived import DerivedDocument, allowed_statements, statement_name
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology


class ActionsFitResources(Check):
    id = "ARN001"
    shortdesc = "Granted actions support the resources they are granted on"
    description = ("A grant of an action on a resource type it does not support never applies: the caller is denied "
                   "although the policy seems to allow it (schemas:GetDiscoveredSchema on a registry ARN; it supports no "
                   "resource type, so only Resource \"*\" grants it). Every Allow statement of every identity, trust and "
                   "resource policy cabructl derives is compared with the IAM Service Authorization Reference as "
                   "parliament ships it: each action must exist, and unless the statement names \"*\", one of its "
                   "resources must match the ARN format of a resource type the action supports (a statement of several "
                   "actions and resources grants each action on the resources of its own type).")
    source_url = "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        for document, index, statement in allowed_statements(topology):
            yield from _statement_problems(document, index, statement)


def _statement_problems(document: DerivedDocument, index: int, statement: Mapping[str, Any]) -> Iterable[Violation]:
    name = statement_name(document, index, statement)
    resources = [resource for resource in as_list(statement.get("Resource")) if isinstance(resource, str)]
    for pattern in as_list(statement.get("Action")):
        known = iam_reference.matching(str(pattern))
        if not known:
            yield Violation(document.path, f"{name} grants {pattern}, which is no action of the IAM reference",
                            hint="check the spelling against the Service Authorization Reference")
            continue
        if resources and not any(iam_reference.supports(action, resource) for action in known for resource in resources):
            yield Violation(document.path, f"{name} grants {pattern} on {', '.join(resources)}: {_supported(known)}, "
                                           f"so the grant never applies", hint=_hint(known))


def _supported(known: list[iam_reference.Action]) -> str:
    formats = sorted({arn_format for action in known for arn_format in action.arn_formats.values()})
    if not formats:
        return f"{known[0].name} supports no resource type"
    return f"{known[0].name} applies only to {', '.join(formats)}"


def _hint(known: list[iam_reference.Action]) -> str:
    if not any(action.arn_formats for action in known):
        return f'grant {known[0].name} in a statement of its own with Resource "*"'
    return "grant it on an ARN of a resource type it supports, or in a statement with Resource \"*\""
