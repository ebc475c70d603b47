"""The one boto3 boundary: configuration, clients per thread, retries, NotFound, call log.

Handlers call ``aws.client("sqs").get_queue_attributes(...)`` with boto3's own
methods (no action names passed around as strings). What every call needs is
attached here once, through botocore's event hooks: counting and logging each
call (the benchmarks count API calls this way), and the extra retry layer for
AWS's eventual consistency. Throttling, 5xx and dropped connections are retried
by botocore's ``adaptive`` retry mode with jittered backoff.

Configuration follows boto3's standard chain (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, shared config files); the
``region``, ``profile`` and ``endpoint_url`` arguments only override it.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, TypeVar

from cabructl.constants import SQS_RECEIVE_WAIT_RANGE
from cabructl.errors import AwsError, CabructlError

log = logging.getLogger("cabructl.aws")

T = TypeVar("T")

# Error codes that mean "this thing does not exist", across the services cabructl uses.
NOT_FOUND_CODES = frozenset({
    "ResourceNotFoundException",
    "NotFoundException",
    "NotFound",
    "NoSuchEntity",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "ResourceNotFound",
    "DashboardNotFoundError",
    "ResourceNotFoundFault",
})

# Errors that say "another change to this resource is still in flight": worth a short wait, on any write.
# (ResourceConflictException is not one: it means a conflict a retry cannot resolve.)
EVENTUAL_CONSISTENCY_CODES = frozenset({
    "AWS.SimpleQueueService.QueueDeletedRecently",  # SQS: wait 60 s after deleting a queue to reuse its name
    "ConcurrentModificationException",
    "OperationAbortedException",
})

_READ_PREFIXES = ("Describe", "List", "Get", "Receive", "Search")

# ReceiveMessage may hold its answer this long (its WaitTimeSeconds, at most 20), so the
# SQS client waits that much longer than read_timeout before it calls the endpoint silent.
SQS_LONG_POLL_SECONDS = SQS_RECEIVE_WAIT_RANGE[1]


def error_code(error: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


def error_summary(error: BaseException) -> str:
    """``Code: Message`` of an AWS error as AWS sent it, else ``Type: text``: one line for a report."""
    code = error_code(error)
    if code is not None:
        return f"{code}: {getattr(error, 'response', {}).get('Error', {}).get('Message')}"
    return f"{type(error).__name__}: {error}"


def is_throttling(error: BaseException) -> bool:
    """AWS said "slow down", in any spelling a service uses: botocore's own list decides, not a copy of it."""
    from botocore.retries.standard import RetryContext, ThrottledRetryableChecker

    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    return bool(ThrottledRetryableChecker().is_retryable(RetryContext(attempt_number=1, parsed_response=response)))


def is_not_found(error: BaseException) -> bool:
    return error_code(error) in NOT_FOUND_CODES


def is_write(operation: str) -> bool:
    """Reads are the calls a no-op apply may make; everything else counts as a write."""
    return not operation.startswith(_READ_PREFIXES)


@dataclass(frozen=True)
class AwsSettings:
    """Explicit overrides of boto3's chain; ``None`` leaves the chain in charge."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    # Static credentials for this boundary only (``--local``'s fake ones), so nothing is
    # written into the process environment for other code to pick up.
    credentials: tuple[str, str] | None = None
    max_attempts: int = 5  # botocore retries (throttling, 5xx, connection); more makes a dead endpoint hang for a minute
    connect_timeout: float = 5.0
    # Seconds to wait for an answer. AWS's control-plane APIs (EventBridge, SQS, SNS,
    # IAM, CloudWatch, Schemas, STS) answer in well under a few seconds, so 15 s is
    # generous for a slow region, yet an endpoint that accepts and never answers costs
    # 15 s an attempt instead of 60 (times max_attempts). SQS long polling
    # waits longer on purpose: see SQS_LONG_POLL_SECONDS.
    read_timeout: float = 15.0
    max_workers: int = 8
    latency: float = 0.0  # seconds added to every call; only the benchmarks set it


class CallLog:
    """Counts API calls per (service, operation), safely across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()

    def record(self, service: str, operation: str) -> None:
        with self._lock:
            self.counts[(service, operation)] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def writes(self) -> int:
        return sum(n for (_, operation), n in self.counts.items() if is_write(operation))

    def write_calls(self) -> list[str]:
        return sorted(f"{service}:{operation}" for (service, operation) in self.counts if is_write(operation))

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()


class Aws:
    """Shared, thread-safe clients over one configuration, plus the call log.

    boto3 clients are thread-safe but sessions are not, and creating a client
    costs tens of milliseconds of CPU. So clients are made once, under a lock,
    from one session that is never used outside that lock, and then shared by
    every worker thread (DESIGN: "shared clients, never a shared session").
    """

    def __init__(self, settings: AwsSettings | None = None) -> None:
        self.settings = settings or AwsSettings()
        self.calls = CallLog()
        self._hooks: list[tuple[str, Callable[..., Any]]] = []
        self._account_id: str | None = None
        self._lock = threading.RLock()
        self._session_object: Any = None
        self._clients: dict[str, Any] = {}
        self._memo: dict[Any, Once] = {}

    # -- configuration ---------------------------------------------------------------
    @property
    def region(self) -> str:
        """The effective region: the override, else AWS_REGION, else boto3's chain, else us-east-1.

        botocore itself reads only AWS_DEFAULT_REGION and the profile; AWS_REGION is the
        variable every other AWS SDK (and Lambda) uses, so users expect it to work here too.
        """
        if self.settings.region:
            return self.settings.region
        if os.environ.get("AWS_REGION"):
            return os.environ["AWS_REGION"]
        with self._lock:
            return self._session().region_name or "us-east-1"

    @property
    def account_id(self) -> str:
        """The caller's account (one STS call per process, cached)."""
        with self._lock:
            if self._account_id is None:
                self._account_id = self.client("sts").get_caller_identity()["Account"]
            return self._account_id

    @property
    def partition(self) -> str:
        region = self.region
        if region.startswith("cn-"):
            return "aws-cn"
        if region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    def add_hook(self, event: str, handler: Callable[..., Any]) -> None:
        """Register a botocore event hook on every client, present and future (fault injection, tests)."""
        with self._lock:
            self._hooks.append((event, handler))
            for client in self._clients.values():
                client.meta.events.register(event, handler)

    # -- clients -----------------------------------------------------------------------
    def _session(self) -> Any:
        """The one session; callers hold the lock."""
        if self._session_object is None:
            import boto3

            profile = self.settings.profile
            if self.settings.credentials is not None:
                key, secret = self.settings.credentials
                import botocore.session

                # The static credentials must not depend on the shell: AWS_PROFILE is not read at all.
                ignoring_profile = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
                self._session_object = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                                             botocore_session=ignoring_profile)
            else:
                self._session_object = boto3.session.Session(profile_name=profile) if profile else boto3.session.Session()
        return self._session_object

    def client(self, service: str) -> Any:
        """The shared client for ``service``, configured once with cabructl's hooks."""
        client = self._clients.get(service)
        if client is None:
            with self._lock:
                client = self._clients.get(service)
                if client is None:
                    client = self._new_client(self._session(), service)
                    self._clients[service] = client
        return client

    def _new_client(self, session: Any, service: str) -> Any:
        from botocore.config import Config

        config = Config(
            retries={"mode": "adaptive", "max_attempts": self.settings.max_attempts},
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout + (SQS_LONG_POLL_SECONDS if service == "sqs" else 0),
            max_pool_connections=max(10, self.settings.max_workers * 4),
        )
        kwargs: dict[str, Any] = {"config": config, "region_name": self.region}
        if self.settings.endpoint_url:
            kwargs["endpoint_url"] = self.settings.endpoint_url
        client = session.client(service, **kwargs)
        client.meta.events.register("before-call.*.*", self._before_call)
        for event, handler in self._hooks:
            client.meta.events.register(event, handler)
        return client

    def _before_call(self, model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        self.calls.record(service, model.name)
        log.debug("call %s:%s", service, model.name)
        if self.settings.latency:
            time.sleep(self.settings.latency)

    # -- helpers for handlers -------------------------------------------------------------
    def memo(self, key: Any, compute: Callable[[], T]) -> T:
        """A read several handlers need, made once per command (DESIGN: nothing reads AWS twice).

        Concurrent askers wait for the first one's answer; a failure is not remembered.
        """
        with self._lock:
            once = self._memo.setdefault(key, Once())
        return once.get(compute)

    def forget(self) -> None:
        """Drop remembered reads, e.g. to re-read live state after an apply."""
        with self._lock:
            self._memo.clear()

    def find(self, call: Callable[[], T]) -> T | None:
        """Run a read; NotFound means None (habit: NotFound has one meaning per verb)."""
        try:
            return call()
        except Exception as error:  # botocore.exceptions.ClientError, imported lazily
            if is_not_found(error):
                return None
            raise

    def delete(self, call: Callable[[], Any]) -> None:
        """Run a delete; NotFound means it is already gone, which is success."""
        try:
            call()
        except Exception as error:
            if not is_not_found(error):
                raise

    def settle(self, call: Callable[[], T], *, propagating: bool = False, codes: Iterable[str] = (), attempts: int = 6,
               base_delay: float = 0.5) -> T:
        """Retry a write while AWS is still settling a recent change (or on ``codes``).

        botocore already retries throttling and 5xx; this covers what it cannot know
        is transient: a change still in flight on the same resource, always; and,
        with ``propagating``, NotFound from a write that names what this apply has
        just created (PutTargets on a new rule, CreateSchema in a new registry), which
        AWS documents as eventually consistent. A NotFound anywhere else is an answer,
        not a delay. Six attempts wait about 16 s in all, never a minute.
        """
        retry_on = EVENTUAL_CONSISTENCY_CODES | frozenset(codes) | (NOT_FOUND_CODES if propagating else frozenset())
        for attempt in range(attempts):
            try:
                return call()
            except Exception as error:
                if error_code(error) not in retry_on or attempt == attempts - 1:
                    raise
                time.sleep(base_delay * (2 ** attempt) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")  # pragma: no cover

    def paginate(self, service: str, operation: str, result_key: str, **kwargs: Any) -> list[Any]:
        """All items of a paginated list call.

        ``operation`` is the boto3 paginator name (snake_case), the one place a
        call is named by string, because boto3's paginators are looked up so.
        """
        paginator = self.client(service).get_paginator(operation)
        items: list[Any] = []
        for page in paginator.paginate(**kwargs):
            items.extend(page.get(result_key, []))
        return items


class Once:
    """A value computed at most once, even when several threads ask at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None

    def get(self, compute: Callable[[], T]) -> T:
        with self._lock:
            if not self._done:
                self._value = compute()
                self._done = True
            return self._value


def is_botocore_error(error: BaseException) -> bool:
    """An AWS failure (ClientError, connection, credentials…), told apart without importing botocore."""
    return (type(error).__module__ or "").startswith("botocore")


@contextmanager
def aws_errors(doing: str, not_found_hint: str | None = None) -> Iterator[None]:
    """botocore failures inside become an AwsError saying what was being done (no traceback);
    ``not_found_hint`` replaces the hint when the thing asked for does not exist."""
    try:
        yield
    except CabructlError:
        raise
    except Exception as error:  # botocore's exceptions, imported lazily
        if not is_botocore_error(error):
            raise
        mapped = describe_aws_error(error, doing)
        if not_found_hint and is_not_found(error):
            mapped.hint = not_found_hint
        raise mapped from error


def describe_aws_error(error: BaseException, doing: str) -> AwsError:
    """A user-facing AwsError for a failed call, keeping AWS's own code and message."""
    code = error_code(error)
    message = getattr(error, "response", {}).get("Error", {}).get("Message") if code else str(error)
    hint = None
    if type(error).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
        hint = "configure credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID…) or use --local with `cabructl local serve`"
    elif type(error).__name__ == "EndpointConnectionError":
        hint = "is the endpoint up? (AWS_ENDPOINT_URL / --endpoint-url / --local)"
    text = f"{doing}: {code}: {message}" if code else f"{doing}: {error}"
    return AwsError(text, hint=hint)


def parallel_map(func: Callable[[Any], T], items: Iterable[Any], workers: int) -> list[T]:
    """Map in a bounded thread pool, keeping order; workers=1 runs inline (the benchmark baseline)."""
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [func(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(func, items))
