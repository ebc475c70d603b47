"""The metrics SQS, CloudWatch Logs, SNS and DynamoDB emit, recorded in the local CloudWatch.

:mod:`cabructl.local.metrics` records what EventBridge emits; ``cabructl cost`` and the
dashboard also read what the services around the bus report, so without these a local
run would show queues, log groups and topics that nobody ever used. Names, dimensions
and units follow each service's monitoring guide:

* ``AWS/SQS`` by ``QueueName``: ``NumberOfMessagesSent`` (per message accepted, whoever
  sent it: a client, EventBridge's delivery to a queue target or a dead-letter queue, an
  SNS subscription), ``NumberOfMessagesReceived`` (per message returned),
  ``NumberOfMessagesDeleted`` (per successful delete, a repeated one included, as on AWS)
  and ``NumberOfEmptyReceives`` (per ReceiveMessage call that returned nothing). A message
  SQS itself moves to a dead-letter queue after maxReceiveCount is not "sent" on AWS, and
  moto moves it without SendMessage, so it is not counted here either.
* ``AWS/Logs`` by ``LogGroupName``: ``IncomingLogEvents`` and ``IncomingBytes`` (the
  UTF-8 length of each stored event's message) per event stored; events PutLogEvents
  rejects as too old or too new are not stored, so not counted.
* ``AWS/SNS`` by ``TopicName``: ``NumberOfMessagesPublished`` (per Publish and per
  PublishBatch entry), and per subscription ``NumberOfNotificationsDelivered``,
  ``NumberOfNotificationsFailed`` (the delivery raised, or the loopback guard of
  :mod:`.sns_loopback` refused it) and ``NumberOfNotificationsFilteredOut`` (its filter
  policy rejected the message).
* ``AWS/DynamoDB`` by ``TableName``: ``ConsumedWriteCapacityUnits`` per PutItem,
  UpdateItem and DeleteItem (BatchWriteItem's included: moto runs each of its requests as
  one), one unit per started KB of the item written or deleted; a write whose condition
  fails still consumes one, and also counts in ``ConditionalCheckFailedRequests``.

Every path into a service (a client's call, the delivery's own calls, moto's SNS fan-out
into SQS) ends in the same methods of moto's models, so those are wrapped, once per
process (:func:`install_service_metrics`): the original runs unchanged, the count is
taken from what it returned, and a failure to count or to record is logged, never raised.
Only calls an attached endpoint serves are counted (``routed_here``), so moto used
in-process (``mock_aws``) keeps its CloudWatch as it was. Counts are collected per thread
until the outermost wrapped call returns, then written with one ``put_metric_data`` per
namespace: one call, batch or fan-out costs one write, whatever its size.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from collections import Counter
from typing import Any, Callable

from cabructl.constants import (
    DYNAMODB_CONDITION_FAILED,
    DYNAMODB_NAMESPACE,
    DYNAMODB_WRITE_UNITS,
    LOGS_BYTES,
    LOGS_EVENTS,
    LOGS_NAMESPACE,
    SNS_DELIVERED,
    SNS_FAILED,
    SNS_FILTERED_OUT,
    SNS_NAMESPACE,
    SNS_PUBLISHED,
    SQS_DELETED,
    SQS_EMPTY_RECEIVES,
    SQS_NAMESPACE,
    SQS_RECEIVED,
    SQS_SENT,
)
from cabructl.local.metrics import Key, datums

log = logging.getLogger(__name__)

_PATCHED = "_cabructl_service_metrics"


# metrics.py writes every datum as a Count; these two are not (AWS's units for them).
_UNITS = {LOGS_BYTES: "Bytes", LOGS_EVENTS: "None"}
_WRITE_UNIT_BYTES = 1024  # one write capacity unit per started KB of the item

Where = tuple[str, str, str]  # (account, region, namespace)
Counted = Callable[..., None]  # (model, result or error, args, kwargs) → counts for the current call


class _Pending(threading.local):
    """What one thread's calls counted, until its outermost wrapped call returns (then written)."""

    def __init__(self) -> None:
        self.depth = 0
        self.quiet = 0         # inside a DynamoDB transaction: its writes are not metered
        self.filtered = False  # what the last SNS filter policy evaluated on this thread decided
        self.counts: dict[Where, Counter[Key]] = {}


_pending = _Pending()


def count(account: str, region: str, namespace: str, metric: str, dimension: str, value: str, amount: float = 1) -> None:
    """Add to the current call's counts (written when the outermost wrapped call returns)."""
    where = (account, region, namespace)
    counts = _pending.counts.get(where)
    if counts is None:
        counts = _pending.counts[where] = Counter()
    counts[(metric, ((dimension, value),))] += amount


def flush() -> None:
    """Write what this thread counted into moto's CloudWatch of each account and region;
    a CloudWatch failure is logged, never raised (metrics are best effort on AWS too)."""
    pending, _pending.counts = _pending.counts, {}
    for (account, region, namespace), counts in pending.items():
        try:
            from moto.cloudwatch.models import cloudwatch_backends

            data = list(datums(counts.items(), _UNITS))
            cloudwatch_backends[account][region].put_metric_data(namespace, data)
        except Exception as error:  # never worth failing a service call for
            log.warning("local %s metrics not recorded: %s", namespace, error)


def _metered(original: Callable[..., Any], routed_here: Callable[[], bool], *, done: Counted | None = None,
             failed: Counted | None = None, quiet: bool = False) -> Callable[..., Any]:
    """``original`` unchanged, then ``done`` (or ``failed``, before the error goes on) counts;
    ``quiet`` silences the wrapped calls it makes. Without either it only groups the writes
    of the calls it makes (a batch's entries) into one."""

    @functools.wraps(original)
    def method(model: Any, *args: Any, **kwargs: Any) -> Any:
        if _pending.quiet or not routed_here():
            return original(model, *args, **kwargs)
        _pending.depth += 1
        _pending.quiet += quiet
        try:
            try:
                result = original(model, *args, **kwargs)
            except Exception as error:
                if failed is not None:
                    _safely(failed, model, error, args, kwargs)
                raise
            if done is not None:
                _safely(done, model, result, args, kwargs)
            return result
        finally:
            _pending.quiet -= quiet
            _pending.depth -= 1
            if not _pending.depth and _pending.counts:
                flush()

    setattr(method, _PATCHED, True)
    return method


def _safely(counted: Counted, model: Any, outcome: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        counted(model, outcome, args, kwargs)
    except Exception as error:  # a counting bug must not fail the call it counts
        log.warning("local service metrics not counted: %s", error)


def _argument(args: tuple[Any, ...], kwargs: dict[str, Any], position: int, name: str) -> Any:
    """An argument of the wrapped call, passed by position or by name."""
    return args[position] if len(args) > position else kwargs.get(name)


def _patch(owner: type, name: str, routed_here: Callable[[], bool], **how: Any) -> None:
    """Wrap ``owner.name`` unless this module already did (safe to call again)."""
    original = getattr(owner, name)
    if not getattr(original, _PATCHED, False):
        setattr(owner, name, _metered(original, routed_here, **how))


# -- SQS -------------------------------------------------------------------------------------------
def _sqs(backend: Any, metric: str, args: tuple[Any, ...], kwargs: dict[str, Any], amount: float = 1) -> None:
    count(backend.account_id, backend.region_name, SQS_NAMESPACE, metric, "QueueName",
          str(_argument(args, kwargs, 0, "queue_name")), amount)


def _sent(backend: Any, message: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    _sqs(backend, SQS_SENT, args, kwargs)


def _received(backend: Any, messages: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if messages:
        _sqs(backend, SQS_RECEIVED, args, kwargs, len(messages))
    else:
        _sqs(backend, SQS_EMPTY_RECEIVES, args, kwargs)


def _deleted(backend: Any, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    _sqs(backend, SQS_DELETED, args, kwargs)


# -- CloudWatch Logs -------------------------------------------------------------------------------
def _stored(stream: Any, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """``LogStream.put_log_events`` gets the events PutLogEvents accepted, and stores them."""
    events = _argument(args, kwargs, 0, "log_events") or ()
    if not events:
        return
    group = stream.log_group.name
    count(stream.account_id, stream.region, LOGS_NAMESPACE, LOGS_EVENTS, "LogGroupName", group, len(events))
    size = sum(_utf8_length(str(event.get("message", ""))) for event in events)
    count(stream.account_id, stream.region, LOGS_NAMESPACE, LOGS_BYTES, "LogGroupName", group, size)


def _utf8_length(text: str) -> int:
    """The UTF-8 size without encoding the (usually ASCII) text: no copy on the hot path."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


# -- SNS -------------------------------------------------------------------------------------------
def _published(backend: Any, message_id: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A Publish to a topic (not an SMS, not a platform endpoint), in the topic's account."""
    parts = str(_argument(args, kwargs, 1, "arn") or "").split(":")
    if len(parts) == 6 and parts[2] == "sns" and "/" not in parts[5]:
        count(parts[4], backend.region_name, SNS_NAMESPACE, SNS_PUBLISHED, "TopicName", parts[5])


def _notified(subscription: Any, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """One subscription's delivery returned: filtered out, refused by the loopback guard, or delivered.
    moto checks the filter policy first, so the flag set by :func:`_matches` is this delivery's."""
    from cabructl.local.sns_loopback import delivers_locally

    if not delivers_locally(subscription.protocol, subscription.endpoint):  # refused before moto looked at it
        metric = SNS_FAILED
    elif getattr(subscription, "_filter_policy_matcher", None) is not None and _pending.filtered:
        metric = SNS_FILTERED_OUT
    else:
        metric = SNS_DELIVERED
    _topic_count(subscription, metric)


def _not_notified(subscription: Any, error: BaseException, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    _topic_count(subscription, SNS_FAILED)


def _topic_count(subscription: Any, metric: str) -> None:
    topic = subscription.topic
    count(topic.account_id, topic.sns_backend.region_name, SNS_NAMESPACE, metric, "TopicName", topic.name)


def _matches(original: Callable[..., bool]) -> Callable[..., bool]:
    """moto's filter-policy check, noting what it decided for the subscription being delivered to."""
    @functools.wraps(original)
    def matches(matcher: Any, *args: Any, **kwargs: Any) -> bool:
        result = original(matcher, *args, **kwargs)
        _pending.filtered = not result
        return result

    setattr(matches, _PATCHED, True)
    return matches


# -- DynamoDB --------------------------------------------------------------------------------------
def _table(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    name = str(_argument(args, kwargs, 0, "table_name"))
    return name.split("/", 1)[1] if name.startswith("arn:") and "/" in name else name  # moto also takes the ARN


def _written(backend: Any, item: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """The item written (or deleted; None if there was none) decides the units: one per started KB."""
    size = item.size() if item is not None and hasattr(item, "size") else 0
    units = max(1, math.ceil(size / _WRITE_UNIT_BYTES))
    count(backend.account_id, backend.region_name, DYNAMODB_NAMESPACE, DYNAMODB_WRITE_UNITS, "TableName",
          _table(args, kwargs), units)


def _write_failed(backend: Any, error: BaseException, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A failed condition still consumed a unit on AWS; other errors (validation, missing table) did not."""
    from moto.dynamodb.exceptions import ConditionalCheckFailed

    if isinstance(error, ConditionalCheckFailed):
        table = _table(args, kwargs)
        count(backend.account_id, backend.region_name, DYNAMODB_NAMESPACE, DYNAMODB_WRITE_UNITS, "TableName", table)
        count(backend.account_id, backend.region_name, DYNAMODB_NAMESPACE, DYNAMODB_CONDITION_FAILED, "TableName", table)


# -- installing ------------------------------------------------------------------------------------
def install_service_metrics(routed_here: Callable[[], bool]) -> None:
    """Wrap moto's SQS, Logs, SNS and DynamoDB models once per process (safe to call again);
    only calls for which ``routed_here()`` is true are counted."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.logs.models import LogStream
    from moto.sns.models import SNSBackend, Subscription
    from moto.sns.utils import FilterPolicyMatcher
    from moto.sqs.models import SQSBackend

    _patch(SQSBackend, "send_message", routed_here, done=_sent)
    _patch(SQSBackend, "send_message_batch", routed_here)  # its entries go through send_message
    _patch(SQSBackend, "receive_message", routed_here, done=_received)
    _patch(SQSBackend, "delete_message", routed_here, done=_deleted)
    _patch(SQSBackend, "delete_message_batch", routed_here)  # its entries go through delete_message
    _patch(LogStream, "put_log_events", routed_here, done=_stored)
    _patch(SNSBackend, "publish", routed_here, done=_published)
    _patch(SNSBackend, "publish_batch", routed_here)  # its entries go through publish
    _patch(Subscription, "publish", routed_here, done=_notified, failed=_not_notified)
    if not getattr(FilterPolicyMatcher.matches, _PATCHED, False):
        FilterPolicyMatcher.matches = _matches(FilterPolicyMatcher.matches)
    for name in ("put_item", "update_item", "delete_item"):
        _patch(DynamoDBBackend, name, routed_here, done=_written, failed=_write_failed)
    # A transaction's items go through put_item and friends, but AWS bills them differently
    # (two units per KB, cancelled ones too): not metered rather than metered wrong.
    _patch(DynamoDBBackend, "transact_write_items", routed_here, quiet=True)
