"""Could one agent publish as another? Read from the publishing documents the engine derives.

EventBridge authorizes each PutEvents entry on its own ``events:source`` and
``events:detail-type``, so a policy lets its holder publish as an agent when it allows
PutEvents on the bus with that agent's source or one of its detail-types. This module
asks the handlers (offline, as ``delivery.py`` does) for every document cabructl would
write that can grant PutEvents: each ``iam.policy``'s ``document`` and each
``events.bus_policy``'s ``policy`` (statements for other accounts), found by kind name so
a kind registered later is covered without naming its module here.

The question is the reverse of delivery's: a check that says "nobody can impersonate" must
be sure, so unknowns count as allowing. A condition operator the evaluator does not know is
assumed to hold in an Allow and a Deny that carries one is assumed not to apply;
``NotAction``/``NotResource`` in an Allow are read as ``*``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from cabructl.constants import PUT_EVENTS_DETAIL_TYPE_KEY, PUT_EVENTS_SOURCE_KEY
from cabructl.policy.iam import Request, conditions_hold, identity_allows
from cabructl.resources import handlers
from cabructl.resources.arns import bus_arn
from cabructl.resources.base import Context
from cabructl.topology.model import Topology

PUT_EVENTS = "events:PutEvents"
SOURCE, DETAIL_TYPE = PUT_EVENTS_SOURCE_KEY, PUT_EVENTS_DETAIL_TYPE_KEY
# Kinds whose desired resources hold a document that may grant PutEvents, and where.
PUBLISHING_DOCUMENTS: Mapping[str, str] = {"iam.policy": "document", "events.bus_policy": "policy"}


@dataclass(frozen=True)
class Grant:
    """What one derived document (one principal's share of it, for a resource policy) lets its holder publish."""

    address: str
    name: str
    principal: str | None  # the principal of a resource policy; None for an identity policy
    allowed: frozenset[tuple[str, str]]  # (source, detail-type) pairs among the agents' own


@dataclass(frozen=True)
class Identity:
    """What one agent publishes as: its source, and the detail-types of the events it declares."""

    agent: str
    source: str
    detail_types: frozenset[str]

    @property
    def pairs(self) -> frozenset[tuple[str, str]]:
        return frozenset((self.source, detail_type) for detail_type in self.detail_types)

    def carried_by(self, source: str, detail_type: str) -> bool:
        """Whether an entry with this source or this detail-type passes for this agent's."""
        return source == self.source or detail_type in self.detail_types


def identities(topology: Topology) -> list[Identity]:
    return [Identity(name, agent.source, frozenset(topology.detail_types_of(agent))) for name, agent in topology.agents.items()]


def grants(topology: Topology, context: Context) -> Iterator[Grant]:
    """For each derived publishing document (per principal, for a resource policy), what it allows
    among every combination of an agent's source with an agent's detail-type."""
    own = identities(topology)
    bus = bus_arn(topology, context)
    for handler in handlers():
        attribute = PUBLISHING_DOCUMENTS.get(handler.kind)
        if attribute is None:
            continue
        for resource in handler.desired(topology, context):
            document = resource.attributes.get(attribute)
            if not isinstance(document, Mapping):
                continue
            for principal, statements in _by_principal(document).items():
                yield Grant(resource.address, resource.name, principal, allowed_pairs(statements, own, bus))


def allowed_pairs(statements: list[Mapping[str, Any]], own: list[Identity], bus: str) -> frozenset[tuple[str, str]]:
    """Which combinations of an agent's source with an agent's detail-type the statements may let
    their holder publish on ``bus`` (widened: see the module's docstring)."""
    widened = {"Statement": [widen(statement) for statement in statements]}
    sources = sorted({identity.source for identity in own})
    types = sorted({detail_type for identity in own for detail_type in identity.detail_types})
    return frozenset((source, detail_type) for source, detail_type in itertools.product(sources, types)
                     if identity_allows([widened], Request("", PUT_EVENTS, bus, {SOURCE: source, DETAIL_TYPE: detail_type})))


def impersonated(grant: Grant, own: list[Identity]) -> list[str]:
    """[] when one agent owns every pair the grant allows (its holder publishes as itself at most);
    else every agent whose source or detail-type some allowed pair carries, sorted."""
    if not grant.allowed or any(grant.allowed <= identity.pairs for identity in own):
        return []
    return sorted(identity.agent for identity in own if any(identity.carried_by(*pair) for pair in grant.allowed))


def widen(statement: Mapping[str, Any]) -> dict[str, Any]:
    """The statement as it may act at most: see the module's docstring."""
    widened = dict(statement)
    conditions = statement.get("Condition") or {}
    if statement.get("Effect") == "Allow":
        for negated, plain in (("NotAction", "Action"), ("NotResource", "Resource")):
            if negated in widened:
                widened.pop(negated)
                widened[plain] = "*"
        widened["Condition"] = {operator: keys for operator, keys in conditions.items() if _known(operator)}
    elif any(not _known(operator) for operator in conditions) or "NotAction" in statement or "NotResource" in statement:
        widened["Effect"] = "Ignored"  # a Deny that may not apply
    return widened


def _known(operator: str) -> bool:
    """Whether the evaluator reads ``operator`` (an empty key set holds exactly when it does)."""
    return conditions_hold({operator: {}}, {})


def _by_principal(document: Mapping[str, Any]) -> dict[str | None, list[Mapping[str, Any]]]:
    """An identity policy as one group; a resource policy's statements by each principal they name
    (a ``*`` statement belongs to every group, and is a group of its own)."""
    statements = [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]
    if not any("Principal" in statement for statement in statements):
        return {None: statements}
    named = {statement_principal: None for statement in statements for statement_principal in _principals(statement)}
    return {principal: [s for s in statements if principal in _principals(s) or "*" in _principals(s)] for principal in named}


def _principals(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, Mapping):
        return [str(value) for values in principal.values() for value in _as_list(values)]
    return []


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
