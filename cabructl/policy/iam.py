"""Just enough IAM to answer one question offline: may this service do that, for this rule?

Resource policies decide whether EventBridge can deliver (AWS-FACTS: "Delivery needs
resource policies"). The answer must come from the document the engine would write,
so this reads documents, never topology intent. Anything the evaluator cannot prove
(an unknown condition key or operator) counts as "not allowed": a check that says a
target can receive must be sure.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class Request:
    """A call EventBridge makes on a rule's behalf."""

    service: str  # principal, e.g. events.amazonaws.com
    action: str  # e.g. sqs:SendMessage
    resource: str  # ARN
    context: Mapping[str, str]  # condition keys (lower-case) → values, e.g. aws:sourcearn


def allows(document: Mapping[str, Any] | None, request: Request) -> bool:
    """True when some statement allows the request and none denies it."""
    if not document:
        return False
    statements = [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping) and _applies(s, request)]
    if any(statement.get("Effect") == "Deny" for statement in statements):
        return False
    return any(statement.get("Effect") == "Allow" for statement in statements)


def allows_all(document: Mapping[str, Any] | None, requests: Iterable[Request]) -> bool:
    return all(allows(document, request) for request in requests)


def trusts(document: Mapping[str, Any] | None, service: str, context: Mapping[str, str]) -> bool:
    """Whether a role's trust policy lets ``service`` assume it (sts:AssumeRole) in this context."""
    statements = [s for s in _as_list((document or {}).get("Statement")) if isinstance(s, Mapping)
                  and _principal_matches(s.get("Principal"), service)
                  and _any_match(s.get("Action"), "sts:assumerole", lower=True)
                  and _conditions_hold(s.get("Condition") or {}, context)]
    return not any(s.get("Effect") == "Deny" for s in statements) and any(s.get("Effect") == "Allow" for s in statements)


def identity_allows(documents: Iterable[Mapping[str, Any]], request: Request) -> bool:
    """Whether a role's own policies (no Principal: they speak for the role) allow the request;
    an explicit Deny in any of them wins."""
    statements = [s for document in documents for s in _as_list(document.get("Statement"))
                  if isinstance(s, Mapping) and _any_match(s.get("Action"), request.action.lower(), lower=True)
                  and _any_match(s.get("Resource"), request.resource) and _conditions_hold(s.get("Condition") or {}, request.context)]
    return not any(s.get("Effect") == "Deny" for s in statements) and any(s.get("Effect") == "Allow" for s in statements)


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    return (
        _principal_matches(statement.get("Principal"), request.service)
        and _any_match(statement.get("Action"), request.action.lower(), lower=True)
        and _any_match(statement.get("Resource"), request.resource)
        and _conditions_hold(statement.get("Condition") or {}, request.context)
    )


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    return service in _as_list(principal.get("Service")) or "*" in _as_list(principal.get("AWS"))


def _any_match(patterns: Any, value: str, *, lower: bool = False) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern.lower() if lower else pattern) for pattern in _as_list(patterns) if isinstance(pattern, str))


_OPERATORS = {
    "arnequals": lambda value, wanted: value == wanted,
    "stringequals": lambda value, wanted: value == wanted,
    "arnlike": fnmatch.fnmatchcase,
    "stringlike": fnmatch.fnmatchcase,
}


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """Every operator and key must hold; an operator or key this evaluator does not know fails."""
    for operator, keys in conditions.items():
        test = _OPERATORS.get(operator.lower())
        if test is None or not isinstance(keys, Mapping):
            return False
        for key, wanted in keys.items():
            value = context.get(key.lower())
            if value is None or not any(test(value, option) for option in _as_list(wanted)):
                return False
    return True


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
