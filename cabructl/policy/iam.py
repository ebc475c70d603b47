"""Just enough IAM to answer one question offline: may this service do that, for this rule?

Resource policies decide whether EventBridge can deliver (AWS-FACTS: "Delivery needs
resource policies"). The answer must come from the document the engine would write,
so this reads documents, never topology intent. Anything the evaluator cannot prove
(an unknown condition key or operator) counts as "not allowed": a check that says a
target can receive must be sure.
"""

from __future__ import annotations

import fnmatch
import re
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
    statements = [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping) and _applies(s, request)]
    if any(statement.get("Effect") == "Deny" for statement in statements):
        return False
    return any(statement.get("Effect") == "Allow" for statement in statements)


def allows_all(document: Mapping[str, Any] | None, requests: Iterable[Request]) -> bool:
    return all(allows(document, request) for request in requests)


def trusts(document: Mapping[str, Any] | None, service: str, context: Mapping[str, str]) -> bool:
    """Whether a role's trust policy lets ``service`` assume it (sts:AssumeRole) in this context."""
    statements = [s for s in as_list((document or {}).get("Statement")) if isinstance(s, Mapping)
                  and _principal_matches(s.get("Principal"), service)
                  and _any_match(s.get("Action"), "sts:assumerole", lower=True)
                  and _conditions_hold(s.get("Condition") or {}, context)]
    return not any(s.get("Effect") == "Deny" for s in statements) and any(s.get("Effect") == "Allow" for s in statements)


def identity_allows(documents: Iterable[Mapping[str, Any]], request: Request) -> bool:
    """Whether a role's own policies (no Principal: they speak for the role) allow the request;
    an explicit Deny in any of them wins."""
    statements = [s for document in documents for s in as_list(document.get("Statement"))
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
    return service in as_list(principal.get("Service")) or "*" in as_list(principal.get("AWS"))


def _any_match(patterns: Any, value: str, *, lower: bool = False) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern.lower() if lower else pattern) for pattern in as_list(patterns) if isinstance(pattern, str))


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """Every operator and key must hold; an operator or key this evaluator does not know fails."""
    return conditions_hold(conditions, context)


def conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """Whether a Condition block holds in ``context`` (condition key → a value, or a list of values
    for a multi-valued key). Keys are compared case-insensitively, as IAM does.

    Operators: StringEquals, StringEqualsIgnoreCase, StringLike, ArnEquals, ArnLike, Bool and Null,
    each with ``…IfExists`` (an absent key holds) and the set prefixes ``ForAllValues:`` (every value of
    the key is allowed; an absent or empty key holds, as in AWS) and ``ForAnyValue:`` (some value is).
    Any other operator fails the block: "allowed" must be provable.
    """
    values = {str(key).lower(): value for key, value in context.items()}
    for operator, keys in conditions.items():
        parsed = _parse_operator(str(operator))
        if parsed is None or not isinstance(keys, Mapping):
            return False
        for key, wanted in keys.items():
            if not _condition_holds(parsed, values.get(str(key).lower()), [str(option) for option in as_list(wanted)]):
                return False
    return True


_CONDITION_TESTS: Mapping[str, Any] = {
    "stringequals": lambda value, wanted: value == wanted,
    "stringequalsignorecase": lambda value, wanted: value.lower() == wanted.lower(),
    "stringlike": lambda value, wanted: _glob(value, wanted),
    "arnequals": lambda value, wanted: value == wanted,
    "arnlike": lambda value, wanted: _glob(value, wanted),
    "bool": lambda value, wanted: value.lower() == wanted.lower(),
}
_SET_PREFIXES = ("forallvalues:", "foranyvalue:")


def _parse_operator(operator: str) -> tuple[str, str, bool] | None:
    """``ForAllValues:StringLikeIfExists`` → ("forallvalues:", "stringlike", True); None if unknown."""
    name = operator.lower()
    quantifier = next((prefix for prefix in _SET_PREFIXES if name.startswith(prefix)), "")
    name = name[len(quantifier):]
    if_exists = name.endswith("ifexists") and name != "ifexists"
    name = name[: -len("ifexists")] if if_exists else name
    if name != "null" and name not in _CONDITION_TESTS:
        return None
    return quantifier, name, if_exists


def _condition_holds(operator: tuple[str, str, bool], value: Any, wanted: list[str]) -> bool:
    quantifier, name, if_exists = operator
    present = [str(item) for item in as_list(value)]
    if name == "null":  # "true": the key is absent; "false": it is present
        return any((option.lower() == "true") == (not present) for option in wanted)
    if not present:
        return if_exists or quantifier == "forallvalues:"
    test = _CONDITION_TESTS[name]
    matches = [any(test(item, option) for option in wanted) for item in present]
    return all(matches) if quantifier == "forallvalues:" else any(matches)


def _glob(value: str, pattern: str) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one; nothing else is special."""
    expression = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(expression, value, re.DOTALL) is not None


def as_list(value: Any) -> list[Any]:
    """A policy field (one value or a list) as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
