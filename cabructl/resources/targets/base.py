"""What a target kind is, in one shape: every module that handles targets reads these, none names a kind.

A descriptor says which topology key names the kind, the resource it refers to and
how its ARN is built, the delivery permission EventBridge needs (a statement in a
resource policy that a handler derives), whether a role is sent, what a target of
the kind waits for, how routes and the demo label it, which KMS key makes it
undeliverable, how to watch what arrives there on the local endpoint, and how to
deliver one event to a live target of the kind (:attr:`TargetKind.send`, with the
live policy that must allow it): the local endpoint delivers through it, and
``dlq redrive`` uses it to reach the one target that failed. The keys
the topology language accepts are in ``topology/schema.json`` (``x-cabructl-target``);
a test keeps the two lists equal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from cabructl.resources.base import Context
from cabructl.topology.model import Topology

ArnOf = Callable[[Topology, Context, str], str]
# A boto3 client for a service, in the account and region of an ARN (the one the call is about).
Clients = Callable[[str, str], Any]


@dataclass(frozen=True)
class Outgoing:
    """One delivery as EventBridge makes it: the rendered body for one target entry."""

    arn: str                          # the target's ARN, as in its PutTargets entry
    body: str                         # the input, rendered for this target
    target: Mapping[str, Any]         # the PutTargets entry (SqsParameters, …)
    event_id: str                     # the event's id (Logs names a stream after it)
    event: Mapping[str, Any] | None = None  # the event itself: parameters AWS reads from it survive any input rendering

    def original_event(self) -> Mapping[str, Any]:
        """The event itself, else the body when it is the whole event (a redrive of a target without
        input settings); an empty mapping when neither holds."""
        if self.event is not None:
            return self.event
        try:
            parsed = json.loads(self.body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, Mapping) else {}


def from_event(value: Any, event: Mapping[str, Any]) -> Any:
    """A target parameter as EventBridge fills it (a partition key, a header): ``$.…`` is a path into
    the event (its text, or None when it selects nothing), anything else is itself."""
    from cabructl.patterns.transform import select_path

    if not isinstance(value, str) or not value.startswith("$"):
        return value
    found, selected = select_path(value, event)
    if not found or selected is None:
        return None
    return selected if isinstance(selected, str) else json.dumps(selected, separators=(",", ":"))


Send = Callable[[Clients, Outgoing], None]
# The live resource policy that decides whether EventBridge may deliver to an ARN (None: none set).
LivePolicy = Callable[[Clients, str], "Mapping[str, Any] | None"]
# Start watching a destination on a local endpoint; returns a reader of the texts that arrived since.
Watch = Callable[[Any, Topology, Context, str], Callable[[], Iterator[str]]]


@dataclass(frozen=True)
class Delivery:
    """The resource-policy statement EventBridge needs to deliver to a target of this kind."""

    handler_module: str               # the handler whose desired policy grants it
    policy_kind: str                  # its resource kind (the policy's owner)
    policy_attribute: str             # where the policy document is in that resource
    actions: tuple[str, ...]          # what events.amazonaws.com must be allowed to do
    attached: bool                    # the policy is the target's own (queue, topic), not shared (logs)
    request_arn: ArnOf                # the ARN a delivery presents (a log group's stream, …)
    # The logical part of the address of the policy resource that speaks for a rule's delivery to a
    # target: the target's own (a queue's policy), or one per rule and target (a function's statement).
    # (topology, context, the rule's logical name, the target's reference or ARN) → the policy's logical name.
    policy_logical: Callable[[Topology, Context, str, str], str] = lambda topology, context, rule, reference: reference


@dataclass(frozen=True)
class TargetKind:
    key: str                          # the target's key in topology.yaml: ``queue``
    resource_kind: str | None         # the owned resource it refers to: ``sqs.queue``; None: referenced by ARN
    label: str                        # how routes and the demo name it: ``SQS queue``
    arn: ArnOf                        # the ARN a PutTargets entry names
    delivery: Delivery | None         # the resource-policy statement that lets EventBridge deliver (None: a role does)
    sends_role: bool = True           # False where AWS rejects a RoleArn (Logs)
    waits_for: tuple[str, ...] = ()   # addresses a target of this kind is written after (a shared policy)
    watch: Watch | None = None        # the local endpoint's view of what arrived (the demo)
    service: str = ""                 # the service in a target ARN of this kind: ``sqs``
    resource_type: str = ""           # how its ARN's resource begins, where kinds share a service: ``event-bus/``
    send: Send | None = None          # deliver one rendered event to a live target
    live_policy: LivePolicy | None = None
    live_request_arn: Callable[[Outgoing], str] = lambda outgoing: outgoing.arn  # the ARN the delivery acts on
    # Kinds EventBridge delivers to with a role (state machines, streams, …): the action the role must
    # grant on the target's ARN. Such a target gets the topology's targets role unless it names its own.
    role_action: str | None = None
    role_resource: Callable[[str], str] = lambda arn: arn  # what the role's grant names (an ARN pattern)
    # ARNs AWS completes with an id of its own (an API destination's ``/<uuid>``): the form compared in a
    # plan (the id removed), and the call that finds the full ARN when PutTargets needs it.
    canonical_arn: Callable[[str], str] = lambda arn: arn
    offline_arn: Callable[[str], str] = lambda arn: arn  # the canonical ARN completed as AWS would (offline proofs)
    resolve_arn: Callable[[Any, str], str] | None = None
    # What the cost model (policy.bill) bills a delivery to this kind as, beside EventBridge's own price:
    # ``sqs`` (a SendMessage request), ``sns`` (a publish), ``logs`` (ingestion), ``api_destination``
    # (an EventBridge invocation); None: nothing more that the model prices.
    billed_as: str | None = None
    # What a delivery costs that the model does not price (inside a function, a state machine…): every report
    # lists it as not modelled, never as zero.
    unpriced: str | None = None
