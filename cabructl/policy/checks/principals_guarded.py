"""PRIN001: no derived resource-policy statement opens to anyone, or to a service on anyone's behalf."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from cabructl.policy.checks.base import Check, Violation
from cabructl.policy.iam import as_list
from cabructl.policy.derived import DerivedDocument, allowed_statements, statement_name
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology

# The condition keys that tie a service principal to the caller's resource or account.
GUARD_KEYS = ("aws:sourcearn", "aws:sourceaccount")
# Operators that require the key to be present and to equal or match a value; IfExists and
# ForAllValues variants hold when the key is absent, and Null tests presence only, so none guards.
_GUARDING_OPERATORS = ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike")


class PrincipalsGuarded(Check):
    id = "PRIN001"
    shortdesc = "Resource policies name their principals and guard service principals"
    description = ("Every statement with a Principal that cabructl derives (queue, topic, Logs and bus policies, Lambda "
                   "permissions, key policies, the targets role's trust) must not allow a wildcard principal (\"*\", "
                   "AWS \"*\", or an Allow with NotPrincipal), and a statement that allows a service principal must "
                   "scope it with aws:SourceArn or aws:SourceAccount: otherwise the service acts for any account that "
                   "asks it to (the confused deputy).")
    source_url = "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        for document, index, statement in allowed_statements(topology):
            yield from _statement_problems(document, index, statement)


def _statement_problems(document: DerivedDocument, index: int, statement: Mapping[str, Any]) -> Iterable[Violation]:
    name = statement_name(document, index, statement)
    principal = statement.get("Principal")
    if "NotPrincipal" in statement:
        yield Violation(document.path, f"{name} allows everyone but its NotPrincipal", hint="name the principals it allows")
    elif principal == "*" or (isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS"))):
        yield Violation(document.path, f"{name} allows any principal (\"*\"), whatever its conditions say",
                        hint="name the account or role it is for, e.g. arn:aws:iam::ACCOUNT:root")
    services = as_list(principal.get("Service")) if isinstance(principal, Mapping) else []
    if services and not guarded(statement.get("Condition")):
        yield Violation(document.path, f"{name} allows {', '.join(map(str, services))} without aws:SourceArn or "
                                       f"aws:SourceAccount: the service would act for any account (confused deputy)",
                        hint="add a condition ArnEquals aws:SourceArn (the resource that calls) or StringEquals aws:SourceAccount")


def guarded(conditions: Any) -> bool:
    """Whether some condition requires aws:SourceArn or aws:SourceAccount to be present and to match a
    value narrower than "*" (condition keys and operators are case-insensitive)."""
    if not isinstance(conditions, Mapping):
        return False
    for operator, keys in conditions.items():
        base = str(operator).lower().removeprefix("foranyvalue:")
        if base not in _GUARDING_OPERATORS or not isinstance(keys, Mapping):
            continue
        for key, values in keys.items():
            if str(key).lower() in GUARD_KEYS and as_list(values) and "*" not in as_list(values):
                return True
    return False
