"""Delivering one matched event to one target, failing as AWS fails.

For every target of a matching rule the local endpoint does what EventBridge does:
render the input for that target (:func:`cabructl.patterns.transform.render_input`;
another bus gets the event itself); check, with cabructl's IAM evaluator, that the
target's live resource policy lets ``events.amazonaws.com`` act on it for this rule
(``aws:SourceArn``), or, for the kinds AWS reaches only with a role (streams, state
machines, buses, API destinations), that the target's RoleArn trusts EventBridge and
allows the kind's action on the target; send it through
the target kind's own ``send`` (the same code ``dlq redrive`` uses on AWS). A failure
is retried per the target's retry policy (:mod:`.retries`), except the failures AWS
never retries (missing permission, missing target); when retries end the event goes
to the target's dead-letter queue with AWS's attributes, if that queue's own policy
lets EventBridge send, and is dropped and counted otherwise.

The first attempt runs inside the PutEvents call, so a healthy target has the event
when PutEvents returns (tests and the demo read at once); retries run later on the
scheduler's thread. Targets are reached over HTTP through the endpoint itself, so
every service behaves exactly as a client sees it.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from cabructl.aws import error_code, is_not_found, is_throttling
from cabructl.errors import CabructlError
from cabructl.constants import DELIVERY_ERRORS_NOT_RETRIED, EVENTS_SERVICE_PRINCIPAL, RETRY_DEFAULTS
from cabructl.local.failures import INJECTED_MESSAGE, InjectedFailures
from cabructl.local.metrics import MetricBatch
from cabructl.local.retries import RetryScheduler, backoff_seconds
from cabructl.policy.iam import Request, allows_all
from cabructl.resources.targets import DEAD_LETTER, TargetKind, kind_of_arn, target_kind
from cabructl.resources.targets.base import Clients, Outgoing
from cabructl.topology.targets import target_keys

log = logging.getLogger(__name__)

_ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "AuthorizationError", "KMS.AccessDeniedException"})


@dataclass(frozen=True)
class RuleRef:
    """The rule a delivery is made for (a snapshot: the rule may change while retries wait)."""

    name: str
    arn: str
    bus: str
    account: str
    region: str


@dataclass(frozen=True)
class Failure:
    code: str        # one of AWS's DLQ error codes
    message: str

    @property
    def retried(self) -> bool:
        return self.code not in DELIVERY_ERRORS_NOT_RETRIED


@dataclass
class Job:
    """One event on its way to one target, across attempts."""

    rule: RuleRef
    target: Mapping[str, Any]
    event: Mapping[str, Any]
    ingestion_time: str
    born: float                      # on the scheduler's scaled clock
    attempts: int = 0

    @property
    def max_retries(self) -> int:
        return int((self.target.get("RetryPolicy") or {}).get("MaximumRetryAttempts", RETRY_DEFAULTS["attempts"]))

    @property
    def max_age(self) -> float:
        return float((self.target.get("RetryPolicy") or {}).get("MaximumEventAgeInSeconds", RETRY_DEFAULTS["max_age"]))


class LocalDelivery:
    """Attempts, retries, dead letters and their metrics, for every target of every rule."""

    def __init__(self, clients: Clients, scheduler: RetryScheduler, failures: InjectedFailures,
                 render: Callable[..., str], *, enforce_permissions: bool = True) -> None:
        self.clients = clients
        self.scheduler = scheduler
        self.failures = failures
        self.render = render
        self.enforce_permissions = enforce_permissions
        self._lock = threading.Lock()
        self.dropped = 0   # events that failed and could not be dead-lettered

    def deliver(self, rule: RuleRef, target: Mapping[str, Any], event: Mapping[str, Any], ingestion_time: str) -> None:
        self._attempt(Job(rule, dict(target), event, ingestion_time, self.scheduler.aws_now()))

    def counts(self) -> dict[str, int]:
        return {"pending_retries": self.scheduler.pending(), "dropped": self.dropped}

    # -- one attempt -------------------------------------------------------------------------
    def _attempt(self, job: Job) -> None:
        metrics = MetricBatch(job.rule.account, job.rule.region)
        job.attempts += 1
        metrics.rule("InvocationAttempts", job.rule.bus, job.rule.name)
        if job.attempts > 1:
            metrics.rule("RetryInvocationAttempts", job.rule.bus, job.rule.name)
        failure = self._try_once(job)
        if failure is None:
            metrics.rule("SuccessfulInvocationAttempts", job.rule.bus, job.rule.name)
            metrics.rule("Invocations", job.rule.bus, job.rule.name)
        else:
            self._after_failure(job, failure, metrics)
        metrics.flush()

    def _try_once(self, job: Job) -> Failure | None:
        arn = str(job.target.get("Arn", ""))
        injected = self.failures.code_for(str(job.target.get("Id", "")))
        if injected:
            return Failure(injected, INJECTED_MESSAGE)
        kind = kind_of_arn(arn)
        if kind is None or kind.send is None:
            return Failure("INVALID_PARAMETER", f"the local endpoint cannot deliver to {arn} (no target kind for it)")
        try:
            # Another bus receives the event itself (schema.json: takes_input), its rules match it as published.
            body = (json.dumps(job.event, separators=(",", ":")) if not target_keys()[kind.key].takes_input else
                    self.render(job.target, job.event, rule_arn=job.rule.arn, rule_name=job.rule.name,
                                ingestion_time=job.ingestion_time))
        except (ValueError, CabructlError) as error:  # PutTargets on AWS would have refused this input
            return Failure("INVALID_PARAMETER", f"the target's input cannot be rendered: {error}")
        # The event beside the entry: parameters read from the event (a partition key, an API
        # destination's path parameters) are read from it whatever the input renders.
        outgoing = Outgoing(arn, body, job.target, str(job.event.get("id", "")), job.event)
        try:
            denied = self._denied(kind, outgoing, job.rule)
            if denied:
                return denied
            kind.send(self.clients, outgoing)
        except Exception as error:  # botocore's and the connection's, all mapped to AWS's codes
            return failure_of(error)
        return None

    def _denied(self, kind: TargetKind, outgoing: Outgoing, rule: RuleRef) -> Failure | None:
        """Why AWS would refuse this delivery, or None: the target's resource policy must allow
        EventBridge for this rule, or the target's role (when it has one) must be assumable and allow it.
        A kind without a resource policy (``delivery`` None) is reached through its role only: no
        RoleArn is NO_PERMISSIONS, and the role must allow ``role_action`` on the target."""
        if not self.enforce_permissions:
            return None
        role_arn = outgoing.target.get("RoleArn")
        if kind.delivery is None:  # a role kind: only the target's role can let EventBridge in
            request = delivery_request(str(kind.role_action), kind.live_request_arn(outgoing), rule)
            if not role_arn:
                return Failure("NO_PERMISSIONS", f"EventBridge needs a role to perform {request.action} on {outgoing.arn} "
                                                 f"for rule {rule.arn}: the target has no RoleArn")
            return self._role_denied(str(role_arn), [request], rule)
        if kind.live_policy is None:
            return None
        requests = [delivery_request(action, kind.live_request_arn(outgoing), rule) for action in kind.delivery.actions]
        if allows_all(kind.live_policy(self.clients, outgoing.arn), requests):
            return None
        if role_arn and kind.sends_role:
            return self._role_denied(str(role_arn), requests, rule)
        actions = ", ".join(kind.delivery.actions)
        return Failure("NO_PERMISSIONS", f"EventBridge is not authorized to perform {actions} on {outgoing.arn} "
                                         f"for rule {rule.arn}: its {kind.delivery.policy_attribute} does not allow it")

    def _role_denied(self, role_arn: str, requests: list[Request], rule: RuleRef) -> Failure | None:
        """Same-account access through the role: EventBridge assumes it, then its policies must allow every action."""
        from cabructl.policy.iam import identity_allows, trusts
        from cabructl.resources.targets.role import live_role

        role = live_role(self.clients, role_arn)
        if role is None or not trusts(role.trust, EVENTS_SERVICE_PRINCIPAL, requests[0].context):
            why = "does not exist" if role is None else "does not trust events.amazonaws.com for this rule"
            return Failure("FAILED_TO_ASSUME_ROLE", f"EventBridge cannot assume {role_arn} for rule {rule.arn}: the role {why}")
        refused = [request.action for request in requests if not identity_allows(role.policies, request)]
        if refused:
            return Failure("NO_PERMISSIONS", f"role {role_arn} is not allowed {', '.join(refused)} on {requests[0].resource}")
        return None

    # -- after a failure ----------------------------------------------------------------------
    def _after_failure(self, job: Job, failure: Failure, metrics: MetricBatch) -> None:
        exhausted = self._exhausted(job, failure)
        if exhausted is None:
            retry = job.attempts  # the number of the retry about to be scheduled
            self.scheduler.after(backoff_seconds(retry, self.scheduler.rng), lambda: self._attempt(job))
            return
        metrics.rule("Invocations", job.rule.bus, job.rule.name)
        metrics.rule("FailedInvocations", job.rule.bus, job.rule.name)
        self._dead_letter(job, failure, exhausted or None, metrics)

    def _exhausted(self, job: Job, failure: Failure) -> str | None:
        """Why retries end now ('' when the failure is never retried), or None to retry."""
        if not failure.retried:
            return ""
        if job.attempts - 1 >= job.max_retries:
            return "MaximumRetryAttempts"
        if self.scheduler.aws_now() - job.born >= job.max_age:
            return "MaximumEventAgeInSeconds"
        return None

    def _dead_letter(self, job: Job, failure: Failure, exhausted: str | None, metrics: MetricBatch) -> None:
        dead_letter_arn = (job.target.get("DeadLetterConfig") or {}).get("Arn")
        log.info("delivery of %s to %s failed: %s %s", job.event.get("id"), job.target.get("Arn"), failure.code, failure.message)
        if not dead_letter_arn:
            self._drop()
            return
        attributes = {"RULE_ARN": job.rule.arn, "TARGET_ARN": str(job.target.get("Arn", "")), "ERROR_CODE": failure.code,
                      "ERROR_MESSAGE": failure.message, "EXHAUSTED_RETRY_CONDITION": exhausted or "",
                      "RETRY_ATTEMPTS": str(job.attempts - 1)}
        if self._send_dead_letter(dead_letter_arn, job, attributes):
            metrics.rule("InvocationsSentToDlq", job.rule.bus, job.rule.name)
        else:
            metrics.rule("InvocationsFailedToBeSentToDlq", job.rule.bus, job.rule.name)
            self._drop()

    def _send_dead_letter(self, arn: str, job: Job, attributes: Mapping[str, str]) -> bool:
        from cabructl.resources.targets.queue import send_message

        kind = target_kind(DEAD_LETTER)
        body = json.dumps(job.event, separators=(",", ":"))
        outgoing = Outgoing(arn, body, {}, str(job.event.get("id", "")))
        try:
            if self._denied(kind, outgoing, job.rule):
                log.warning("event %s dropped: dead-letter queue %s does not let EventBridge send", job.event.get("id"), arn)
                return False
            send_message(self.clients, arn, body, attributes=attributes)
        except Exception as error:
            log.warning("event %s dropped: dead-letter queue %s: %s", job.event.get("id"), arn, failure_of(error).message)
            return False
        return True

    def _drop(self) -> None:
        with self._lock:
            self.dropped += 1


def delivery_request(action: str, resource: str, rule: RuleRef) -> Request:
    """What EventBridge asks of a resource policy when it delivers for ``rule``."""
    context = {"aws:sourcearn": rule.arn, "aws:sourceaccount": rule.account}
    return Request(EVENTS_SERVICE_PRINCIPAL, action, resource, context)


def failure_of(error: BaseException) -> Failure:
    """AWS's DLQ error code for what a delivery raised."""
    code, message = error_code(error), str(error)
    declared = getattr(error, "delivery_error_code", None)  # a target kind's own error that names its DLQ code
    if isinstance(declared, str):
        return Failure(declared, message)
    if code is not None:
        if is_not_found(error):
            return Failure("NO_RESOURCE", message)
        if is_throttling(error):
            return Failure("THROTTLING", message)
        if code in _ACCESS_DENIED:
            return Failure("NO_PERMISSIONS", message)
        status = getattr(error, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
        return Failure("INTERNAL_ERROR" if status >= 500 else "INVALID_PARAMETER", message)
    name = type(error).__name__
    if "Timeout" in name:
        return Failure("TIMEOUT", message)
    if "Connect" in name or isinstance(error, ConnectionError):
        return Failure("CONNECTION_FAILURE", message)
    return Failure("UNKNOWN", message)
