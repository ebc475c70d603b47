"""tail: a live view of what one rule matches on the real bus ("events are not being received").

A tail adds a temporary queue and a temporary target to the rule, prints each event the rule
delivers there, and removes both when it stops (Ctrl-C, SIGTERM, or the end of ``--duration``):
the target first, so nothing is sent to a queue that is gone, then the queue.

Both are written as the engine's own resources, through its one checked apply: they are desired
beside the topology (``Engine.extra``) and the plan is limited to exactly their addresses
(``only``), so a tail never writes anything else, however far the rest has drifted; the apply
re-reads live AWS first and reads back after. The queue is owned (the topology's ownership
tags), marked ephemeral with a lease the running tail renews, and its policy lets only this
rule send to it (``aws:SourceArn``). A tail killed with SIGKILL cannot clean up: once its lease
has ended, ``cabructl plan`` shows its queue and target as leftovers to delete
(:mod:`cabructl.engine.ephemeral`).

The queue is read with long polling, so an event prints as soon as it is delivered, and no
receive costs more than one call per 20 s of silence.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

from cabructl.aws import aws_errors
from cabructl.constants import EVENTS_SERVICE_PRINCIPAL, MAX_TARGETS_PER_RULE, SQS_LONG_POLL_SECONDS, SQS_RECEIVE_MAX_MESSAGES
from cabructl.errors import CabructlError

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.aws import Aws
    from cabructl.resources.base import Resource
    from cabructl.topology.model import Topology

MADE_BY = "tail"  # the value of the ephemeral tag: what made the queue
LEASE_SECONDS = 180.0  # how long a tail's resources are left alone without a renewal
LEASE_ENV = "CABRUCTL_TAIL_LEASE_SECONDS"  # a shorter lease, for tests that kill a tail
QUEUE_RETENTION_SECONDS = 3600  # events nobody printed within the hour are of no use to a tail


class TailError(CabructlError):
    reference = "tail"


class TailStopped(KeyboardInterrupt):
    """SIGTERM: the tail stops and cleans up, as on Ctrl-C."""


@dataclass(frozen=True)
class TailEvent:
    """One delivered message: the event as EventBridge sent it (``event`` None when it is not JSON)."""

    body: str
    event: dict[str, Any] | None
    received_at: float


def lease_seconds_default() -> float:
    """The lease, from ``CABRUCTL_TAIL_LEASE_SECONDS`` when set (tests), else three minutes."""
    value = os.environ.get(LEASE_ENV)
    try:
        return max(1.0, float(value)) if value else LEASE_SECONDS
    except ValueError:
        raise TailError(f"{LEASE_ENV}={value!r} is not a number of seconds") from None


class Tail:
    """One tail of one rule: its two temporary resources and the engine that writes them."""

    def __init__(self, topology: "Topology", aws: "Aws", rule: str, *, lease_seconds: float | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        from cabructl.engine import Engine
        from cabructl.resources import events_rule, events_target, handlers, sqs_queue

        if rule not in topology.rules:
            from cabructl.diagnostics import did_you_mean

            raise TailError(f'no rule "{rule}" in the topology (rules: {", ".join(topology.rules) or "none"})',
                            hint=did_you_mean(rule, list(topology.rules)))
        self.topology = topology
        self.rule = topology.rules[rule]
        self.rule_address = f"{events_rule.KIND}.{rule}"
        self.lease_seconds = lease_seconds if lease_seconds is not None else lease_seconds_default()
        self.clock = clock
        suffix = secrets.token_hex(4)
        self.queue_logical = f"tail-{rule}-{suffix}"
        self.queue_name = f"{topology.prefix}tail-{suffix}"
        self.target_id = f"{events_target.EPHEMERAL_TARGET_PREFIX}{suffix}"
        self.queue_address = f"{sqs_queue.KIND}.{self.queue_logical}"
        self.target_address = events_target.target_address(rule, self.target_id)
        kinds = [handler for handler in handlers() if handler.kind in (events_rule.KIND, sqs_queue.KIND, events_target.KIND)]
        self.engine: "Engine" = Engine(topology, aws, kinds=kinds)
        self.queue_url: str | None = None
        self.wrote = False  # set before the first write: only then is there anything to remove

    @property
    def addresses(self) -> list[str]:
        return [self.target_address, self.queue_address]

    @property
    def renew_every(self) -> float:
        return self.lease_seconds / 3

    # -- the two resources -------------------------------------------------------------------
    def _resources(self, rule: "Resource") -> tuple["Resource", "Resource"]:
        from cabructl.resources import events_target, sqs_queue
        from cabructl.resources.base import Resource, compact_json, ephemeral_tags
        from cabructl.resources.documents import policy, service_statement

        context = self.engine.context
        arn = context.arn("sqs", self.queue_name)
        scoped = policy([service_statement("AllowThisRuleOnly", EVENTS_SERVICE_PRINCIPAL, ["sqs:SendMessage"], arn,
                                           [rule.identity["arn"]])])
        tags = self.topology.resource_tags(ephemeral_tags(MADE_BY, self.clock() + self.lease_seconds), address=self.queue_address)
        sqs_form = {"MessageRetentionPeriod": str(QUEUE_RETENTION_SECONDS), "ReceiveMessageWaitTimeSeconds": str(SQS_LONG_POLL_SECONDS),
                    "SqsManagedSseEnabled": "true", "Policy": compact_json(scoped)}
        queue = Resource(self.queue_address, sqs_queue.KIND, self.queue_name, sqs_queue.live_attributes(sqs_form, tags), (),
                         {"arn": arn})
        return queue, events_target.ephemeral_target(rule, self.target_id, queue)

    def _live_rule(self) -> "Resource":
        """The rule as it is live; refused unless the topology owns it and it has room for one more target."""
        live = self.engine.live()
        rule = live.get(self.rule_address)
        if rule is None:
            raise TailError(f"rule {self.rule.name} does not exist in AWS; nothing was created", hint="run `cabructl apply` first")
        if not rule.owned:
            raise TailError(f"rule {self.rule.name} is not managed by this topology; cabructl adds no target to it")
        targets = sorted(resource.name for resource in live.values() if resource.parent == self.rule_address)
        if len(targets) >= MAX_TARGETS_PER_RULE:
            raise TailError(f"rule {self.rule.name} already has {len(targets)} targets ({', '.join(targets)}), AWS's limit is "
                            f"{MAX_TARGETS_PER_RULE}; a tail needs one more; nothing was created",
                            hint="tail another rule, or remove a target (a tail's own ones go when it stops)")
        return rule

    # -- writes, each one checked apply --------------------------------------------------------
    def start(self) -> None:
        """Create the queue, then the target (the graph's order); refused before any write when the rule is full."""
        rule = self._live_rule()
        self.engine.extra = self._resources(rule)
        self.wrote = True
        self._apply(self.engine.plan(only=self.addresses), "creating the tail's queue and target")
        self.queue_url = self.engine.live()[self.queue_address].identity["url"]

    def renew(self) -> None:
        """Move the queue's lease forward (a tag update, through the engine like every write)."""
        rule = self.engine.live()[self.rule_address]
        self.engine.extra = self._resources(rule)
        self._apply(self.engine.plan(only=[self.queue_address]), "renewing the tail's lease", verify=False)

    def stop(self) -> list[str]:
        """Remove the target, then the queue; returns what was removed. Messages still queued are copies: dropped."""
        if not self.wrote:
            return []
        self.engine.extra = ()
        self.engine.live(refresh=True)
        plan = self.engine.plan(destroy=True, only=self.addresses)
        done = self._apply(plan, "removing the tail's target and queue", destroy=True)
        return [change.address for change in done]  # in the order removed

    def _apply(self, plan: Any, doing: str, *, destroy: bool = False, verify: bool = True) -> list[Any]:
        """One checked apply of ``plan``; returns the changes made, in the order they were made."""
        result = self.engine.apply(plan, allow_data_loss=True)
        if not result.ok:
            failures = "; ".join(f"{outcome.change.address}: {outcome.error}" for outcome in result.failed)
            raise TailError(f"{doing} failed: {failures}",
                            hint="`cabructl plan` deletes what a tail leaves behind once its lease has ended")
        if verify:
            wrong = self.engine.verify([outcome.change for outcome in result.done], destroy=destroy)
            if wrong:
                raise TailError(f"{doing}: live AWS differs right after the write for {', '.join(wrong)} (a cabructl bug)")
        return [outcome.change for outcome in result.done]

    # -- reading --------------------------------------------------------------------------------
    def receive(self, wait_seconds: int) -> list[TailEvent]:
        """What arrived within ``wait_seconds`` (long polling: returns as soon as anything does), deleted once read."""
        assert self.queue_url is not None, "start() first"
        client = self.engine.aws.client("sqs")
        with aws_calls(f"receiving from the tail queue {self.queue_name} (sqs:ReceiveMessage)"):
            messages = client.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=SQS_RECEIVE_MAX_MESSAGES,
                                              WaitTimeSeconds=wait_seconds).get("Messages", [])
        if messages:
            with aws_calls(f"deleting printed messages from {self.queue_name} (sqs:DeleteMessageBatch)"):
                client.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(messages)])
        now = self.clock()
        return [TailEvent(message["Body"], _parsed(message["Body"]), now) for message in messages]


def aws_calls(doing: str) -> Any:
    return aws_errors(doing)


def _parsed(body: str) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def follow(tail: Tail, on_event: Callable[[TailEvent], None], *, duration: float | None = None,
           monotonic: Callable[[], float] = time.monotonic) -> None:
    """Print events until ``duration`` passes (forever without one), renewing the lease on time."""
    end = None if duration is None else monotonic() + duration
    renew_at = monotonic() + tail.renew_every
    while True:
        now = monotonic()
        if end is not None and now >= end:
            return
        if now >= renew_at:
            tail.renew()
            renew_at = monotonic() + tail.renew_every
        wait = min(float(SQS_LONG_POLL_SECONDS), renew_at - now, (end - now) if end is not None else math.inf)
        for event in tail.receive(int(min(SQS_LONG_POLL_SECONDS, max(1, math.ceil(wait))))):
            on_event(event)


@dataclass(frozen=True)
class TailRun:
    """How a tail ended: what it printed, why it stopped, what it removed."""

    events: int
    stopped_by: str  # "duration", "interrupt" (SIGINT) or "terminate" (SIGTERM)
    removed: tuple[str, ...]


def run(tail: Tail, on_event: Callable[[TailEvent], None], *, duration: float | None = None,
        on_started: Callable[[Tail], None] = lambda tail: None) -> TailRun:
    """Start, follow, and always clean up: on the duration's end, Ctrl-C, SIGTERM, and errors too."""
    count = 0
    stopped_by = "duration"

    def counted(event: TailEvent) -> None:
        nonlocal count
        count += 1
        on_event(event)

    with _terminate_raises():
        try:
            tail.start()
            on_started(tail)
            follow(tail, counted, duration=duration)
        except TailStopped:
            stopped_by = "terminate"
        except KeyboardInterrupt:
            stopped_by = "interrupt"
        finally:
            with _signals_deferred():  # the cleanup runs to its end: a second Ctrl-C must not leave a leftover
                removed = tail.stop()
    return TailRun(count, stopped_by, tuple(removed))


@contextmanager
def _terminate_raises() -> Iterator[None]:
    """SIGTERM stops the tail like Ctrl-C does (the default would end the process without cleanup)."""
    def stop(signum: int, frame: Any) -> None:
        raise TailStopped()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM ignored while the tail removes its resources."""
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
