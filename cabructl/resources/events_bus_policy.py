"""events.bus_policy: cabructl's statements in the bus's resource policy, for agents in other accounts.

An agent with ``account:`` publishes from another AWS account, so the bus's own resource
policy must let that account call ``events:PutEvents``. Each grant is one statement per
agent and account, under the same conditions the agent's own events have: ``events:source``
equal to the agent's source and ``events:detail-type`` one of the detail-types of the
events it declares (EventBridge's condition keys for PutEvents; a key with several values
matches any one of them).

**One resource per topology** (``events.bus_policy.bus_policy``), not one per statement.
EventBridge has no call that writes one full statement: PutPermission with
``StatementId``/``Principal`` takes a single ``aws:PrincipalOrgID`` condition, so these
conditions can only be written as a whole ``Policy`` document, which replaces the bus's
entire policy. One resource makes that one write per apply, instead of one full-policy
write per statement racing the others; the recheck and drift compare one document; and
what other checks read (the ``policy`` attribute of ``events.bus_policy``) is one place.

**Ownership is the Sid**, as for ``lambda.permission``: a bus policy cannot be tagged, so
cabructl's statements are those whose Sid starts ``cabructl-<project>-<environment>-``
(:func:`owns_sid`); ``policy`` holds those only. Every other statement is someone else's:
never read as ours, never reported, and kept exactly as it is by every write, which
merges: the bus's policy is read again right before PutPermission, and the document sent
is every statement someone else has there now plus cabructl's. A statement of ours no
longer wanted is removed by its own RemovePermission(StatementId), which touches nothing
else, so a removal never rewrites anyone's statement. EventBridge has no conditional
write; the window between that read and the write is the only one in which a statement
added concurrently by someone else could be lost, and only when cabructl adds or changes one.

The live policy comes from the bus handler's DescribeEventBus (``aws.memo``), so a plan
makes no call of its own. The resource lives on the declared bus (``parent``): its
statements go before the bus in a destroy, and when the bus itself is deleted everyone's
statements go with it, as the policy is part of the bus, not a resource inside it.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Mapping

from cabructl.resources import events_bus
from cabructl.resources.arns import bus_arn
from cabructl.resources.base import Context, Handler, Resource, address, compact_json
from cabructl.resources.documents import POLICY_VERSION, normalize_policy, policy, publishes_as
from cabructl.topology.model import Agent, Topology

KIND = "events.bus_policy"
ADDRESS = address(KIND, "bus_policy")  # one per topology: always events.bus_policy.bus_policy
PUT_EVENTS = "events:PutEvents"
SID_MAX_LENGTH = 64  # EventBridge's StatementId: 1-64 characters of [A-Za-z0-9_-]
PREFIX_MAX_LENGTH = 40  # leaves a digest-ended Sid (cut at 51) its whole prefix


class BusPolicyHandler(Handler):
    kind = KIND
    section = "bus"
    # Its name is the bus's: a new bus name is a replace (our statements removed there, written on the new bus).
    # importer stays None: every statement is derived from the agents' accounts, source and events.

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        statements = [grant_statement(topology, context, agent, account)
                      for agent in topology.agents.values() for account in agent.accounts]
        if not statements:
            return []
        return [Resource(ADDRESS, KIND, topology.bus.name, {"policy": policy(statements)}, (events_bus.BUS_ADDRESS,),
                         {"bus": topology.bus.name, "sid_prefix": sid_prefix(topology)},
                         True, events_bus.BUS_ADDRESS)]

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """Our statements in the declared bus's policy, as the bus handler read it (no call of its own)."""
        buses = events_bus.HANDLER.discover(aws, topology, context, events_bus.HANDLER.desired(topology, context))
        bus = next((found for found in buses if found.name == topology.bus.name), None)
        if bus is None:
            return []
        ours = [statement for statement in _statements(bus.identity.get("policy")) if owns_sid(topology, _sid(statement))]
        if not ours:
            return []
        return [Resource(ADDRESS, KIND, bus.name, {"policy": policy(ours)}, (), {"bus": bus.name},
                         True, events_bus.BUS_ADDRESS)]

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        self._write(aws, resource)

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        self._write(aws, desired)

    def delete(self, aws: Any, live: Resource) -> None:
        """Each of our statements by its own RemovePermission: nobody else's is rewritten. A bus, policy or
        statement already gone is success (ResourceNotFoundException)."""
        self._remove(aws, str(live.identity["bus"]), {_sid(statement) for statement in _statements(live.attributes["policy"])})

    def _write(self, aws: Any, desired: Resource) -> None:
        """Read the bus's policy now; remove our statements no longer wanted; send everyone else's, exactly
        as they are, with ours as one policy."""
        bus, prefix = str(desired.identity["bus"]), str(desired.identity["sid_prefix"])
        wanted = _statements(desired.attributes["policy"])
        found = aws.find(lambda: aws.client("events").describe_event_bus(Name=bus)) or {}
        current = _statements(found.get("Policy"), normalized=False)
        self._remove(aws, bus, {_sid(s) for s in current if _sid(s).startswith(prefix)} - {_sid(s) for s in wanted})
        others = [statement for statement in current if not _sid(statement).startswith(prefix)]
        document = {"Version": POLICY_VERSION, "Statement": [*others, *wanted]}
        aws.settle(lambda: aws.client("events").put_permission(EventBusName=bus, Policy=compact_json(document)))

    @staticmethod
    def _remove(aws: Any, bus: str, sids: set[str]) -> None:
        client = aws.client("events")
        for sid in sorted(sids):
            aws.delete(lambda sid=sid: client.remove_permission(EventBusName=bus, StatementId=sid))


def grant_statement(topology: Topology, context: Context, agent: Agent, account: str) -> dict[str, Any]:
    """One foreign agent's grant: PutEvents on the bus from its account, for its source and detail-types only."""
    return {
        "Sid": statement_sid(topology, agent, account),
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{context.partition}:iam::{account}:root"},
        "Action": PUT_EVENTS,
        "Resource": bus_arn(topology, context),
        "Condition": publishes_as(topology, agent),
    }


def sid_prefix(topology: Topology) -> str:
    """``cabructl-<project>-<environment>-`` in EventBridge's Sid alphabet: what marks a statement as ours.

    At most PREFIX_MAX_LENGTH characters (a long one ends in a digest), so that every Sid keeps it whole."""
    return _fitted(_sid_alphabet(f"cabructl-{topology.project}-{topology.environment}"), PREFIX_MAX_LENGTH - 1) + "-"


def statement_sid(topology: Topology, agent: Agent, account: str) -> str:
    """``cabructl-<project>-<environment>-<agent>-<account>``; a long one keeps its prefix and ends in a digest."""
    return _fitted(sid_prefix(topology) + _sid_alphabet(f"{agent.name}-{account}"), SID_MAX_LENGTH)


def _sid_alphabet(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)


def _fitted(text: str, length: int) -> str:
    """``text`` when it fits in ``length``; else its start, ``-`` and 12 hex digits of its digest."""
    if len(text) <= length:
        return text
    return f"{text[:length - 13]}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def owns_sid(topology: Topology, sid: str) -> bool:
    return sid.startswith(sid_prefix(topology))


def _statements(document: Any, *, normalized: bool = True) -> list[dict[str, Any]]:
    """The statements of a policy (a JSON string, a document or None), a single one as a list;
    ``normalized=False`` keeps each exactly as AWS holds it (someone else's, to send back unchanged)."""
    parsed = json.loads(document) if isinstance(document, str) else document
    if normalized:
        parsed = normalize_policy(parsed)
    statements = parsed.get("Statement", []) if isinstance(parsed, Mapping) else []
    return [statements] if isinstance(statements, dict) else list(statements)


def others_statements(topology: Topology, document: Any) -> list[str]:
    """The Sids of the statements in a bus policy that are not this topology's (someone else's grants)."""
    return sorted(_sid(statement) for statement in _statements(document) if not owns_sid(topology, _sid(statement)))


def _sid(statement: Mapping[str, Any]) -> str:
    return str(statement.get("Sid", ""))


HANDLER = BusPolicyHandler()
