"""IAM-style policy documents (IAM, SQS, SNS, Logs): one canonical form for comparing.

AWS hands documents back reordered, with one-element lists collapsed to strings
and whitespace changed (terraform-provider-aws#21968, #22314, #11801). Both sides
pass through :func:`normalize_policy` before any diff.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from cabructl.resources.base import canonical_json

_LIST_FIELDS = ("Action", "NotAction", "Resource", "NotResource")
POLICY_VERSION = "2012-10-17"


def normalize_policy(document: Any) -> dict[str, Any] | None:
    """Statements as sorted lists of sorted, list-valued fields; None for no policy."""
    document = canonical_json(document)
    if not document:
        return None
    if not isinstance(document, dict):
        return document
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    normalized = [_normalize_statement(statement) for statement in statements]
    normalized.sort(key=lambda statement: json.dumps(statement, sort_keys=True))
    result = {"Version": document.get("Version", POLICY_VERSION), "Statement": normalized}
    if "Id" in document:
        result["Id"] = document["Id"]
    return result


def _as_sorted_list(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return sorted(value, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def _normalize_statement(statement: dict[str, Any]) -> dict[str, Any]:
    result = dict(statement)
    for key in _LIST_FIELDS:
        if key in result:
            result[key] = _as_sorted_list(result[key])
    if isinstance(result.get("Principal"), dict):
        result["Principal"] = {kind: _as_sorted_list(value) for kind, value in result["Principal"].items()}
    if isinstance(result.get("Condition"), dict):
        result["Condition"] = {
            operator: {key: _as_sorted_list(value) for key, value in conditions.items()}
            for operator, conditions in result["Condition"].items()
        }
    return result


def service_statement(sid: str, service: str, actions: Iterable[str], resource: str, source_arns: Iterable[str]) -> dict[str, Any]:
    """Allow an AWS service principal, scoped by ``aws:SourceArn`` to the given ARNs."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": [service]},
        "Action": sorted(actions),
        "Resource": [resource],
        "Condition": {"ArnEquals": {"aws:SourceArn": sorted(set(source_arns))}},
    }


def policy(statements: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A normalized document of ``statements``, or None when there are none."""
    if not statements:
        return None
    return normalize_policy({"Version": POLICY_VERSION, "Statement": statements})


def publishes_as(topology: Any, agent: Any) -> dict[str, Any]:
    """The condition that lets PutEvents through only as ``agent``: its source, its events' detail-types.

    One derivation for every document that grants an agent PutEvents (its publisher policy, a
    foreign account's statement in the bus policy), so the two can never disagree."""
    from cabructl.constants import PUT_EVENTS_DETAIL_TYPE_KEY, PUT_EVENTS_SOURCE_KEY

    return {"StringEquals": {PUT_EVENTS_SOURCE_KEY: [agent.source], PUT_EVENTS_DETAIL_TYPE_KEY: topology.detail_types_of(agent)}}

