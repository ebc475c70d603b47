"""The local event bus: PutEvents, PutRule, TestEventPattern and StartReplay as AWS answers them.

moto routes PutEvents with its own pattern matcher (wrong on arrays of objects,
``exists`` on ``[]``, booleans against numbers, …), ignores ``Input`` and ``InputPath``
on most targets, never checks a resource policy, never retries and never writes a
dead letter; its StartReplay replays the whole archive to every rule. Here the
endpoint routes with cabructl's rule set (the one ``test-event`` uses), validates
patterns and target input as AWS does (:mod:`cabructl.local.checks`), archives by
each archive's own pattern, replays only the requested window to the rules in
``FilterArns``, and hands every (rule, target, event) to
:class:`cabructl.local.delivery.LocalDelivery`.

The patches go on moto's classes once per process (:func:`install_event_routing`);
only requests an attached endpoint serves (:func:`attach`, :func:`serving`) get
cabructl's behaviour, so moto used in-process in the same process (``mock_aws``)
keeps its own. Like moto's backends, the delivery is one per process: endpoints
started in one process share it (and its injected failures), and it reaches
targets through whichever of them is still running.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import json
import logging
import threading
import uuid
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from cabructl.agents.entries import entry_size
from cabructl.constants import PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES
from cabructl.local import checks
from cabructl.local.checks import ARCHIVE_MANAGER
from cabructl.local.metrics import MetricBatch

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.local.delivery import LocalDelivery
    from cabructl.patterns import RuleSet

log = logging.getLogger(__name__)

_PATCHED = "_cabructl_event_routing"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_delivery: LocalDelivery | None = None
_rule_sets: dict[str, tuple[tuple[Any, ...], "RuleSet"]] = {}  # bus ARN → (its rules, compiled)
_rule_sets_lock = threading.Lock()
_endpoints: list[tuple[str, Any]] = []  # (URL, WSGI app) of the running endpoints of this process, oldest first
_attach_lock = threading.Lock()


def attach(endpoint_url: str, region: str, *, failures: Mapping[str, str], time_scale: float | None,
           enforce_permissions: bool, app: Any = None) -> LocalDelivery:
    """The process's delivery, made on the first endpoint's start; later endpoints share it."""
    global _delivery
    from cabructl.local.clients import EndpointClients
    from cabructl.local.delivery import LocalDelivery
    from cabructl.local.failures import InjectedFailures
    from cabructl.local.retries import DEFAULT_TIME_SCALE, RetryScheduler
    from cabructl.patterns.transform import render_input

    with _attach_lock:
        if _delivery is None:
            _delivery = LocalDelivery(EndpointClients(endpoint_url, region, app=app), RetryScheduler(time_scale or DEFAULT_TIME_SCALE),
                                      InjectedFailures(), render_input, enforce_permissions=enforce_permissions)
        elif time_scale is not None:
            _delivery.scheduler.time_scale = time_scale
        for target_id, code in failures.items():
            _delivery.failures.set(target_id, code)
        _endpoints.append((endpoint_url, app))
        return _delivery


def detach(endpoint_url: str) -> None:
    """An endpoint stopped: deliver through another one, or give moto its behaviour back."""
    global _delivery
    with _attach_lock:
        _endpoints[:] = [endpoint for endpoint in _endpoints if endpoint[0] != endpoint_url]
        if _delivery is None:
            return
        if _endpoints:
            _delivery.clients.use_endpoint(*_endpoints[0])
        else:
            _delivery = None


def current_delivery() -> LocalDelivery | None:
    return _delivery


_request = threading.local()


@contextlib.contextmanager
def serving() -> Iterator[None]:
    """Mark the calls made while the endpoint's WSGI app handles one request (one thread per request)."""
    previous = getattr(_request, "active", False)  # a delivery's own call (bus to bus) nests inside a request
    _request.active = True
    try:
        yield
    finally:
        _request.active = previous


def routed_here() -> bool:
    """Whether the call being made is one an attached endpoint serves (cabructl's behaviour applies)."""
    return _delivery is not None and getattr(_request, "active", False)


def install_event_routing() -> None:
    """Patch moto's EventBridge once per process; idempotent."""
    from moto.events.models import EventsBackend, Replay
    from moto.events.responses import EventsHandler

    if getattr(EventsBackend.put_events, _PATCHED, False):
        return
    EventsBackend.put_events = _when_configured(EventsBackend.put_events, put_events)
    EventsBackend.put_rule = _when_configured(EventsBackend.put_rule, checks.checking_put_rule(EventsBackend.put_rule))
    EventsBackend.put_targets = _when_configured(EventsBackend.put_targets, checks.checking_put_targets(EventsBackend.put_targets))
    EventsHandler.test_event_pattern = _when_configured(EventsHandler.test_event_pattern, checks.test_event_pattern)
    Replay.replay_events = _when_configured(Replay.replay_events, replay_events)


def _when_configured(moto_method: Any, ours: Any) -> Any:
    """Ours for requests the endpoint serves, moto's for everything else (``mock_aws`` in-process)."""
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return ours(self, *args, **kwargs) if routed_here() else moto_method(self, *args, **kwargs)

    setattr(method, _PATCHED, True)
    method.__doc__ = ours.__doc__
    return method


# -- PutEvents --------------------------------------------------------------------------------
def put_events(backend: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per entry, as AWS gives them; every valid entry is routed at once."""
    from moto.events.exceptions import ValidationException

    if len(entries) > PUT_EVENTS_MAX_ENTRIES:
        raise ValidationException("1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' "
                                  f"failed to satisfy constraint: Member must have length less than or equal to {PUT_EVENTS_MAX_ENTRIES}")
    if sum(entry_size(entry) for entry in entries) > PUT_EVENTS_MAX_BYTES:
        raise ValidationException("Total size of the entries in the request is over the limit.")
    metrics = MetricBatch(backend.account_id, backend.region_name)
    metrics.account_wide("PutEventsApproximateCallCount")
    results = []
    for entry in entries:
        problem = entry_problem(entry)
        if problem:
            results.append(problem)
            metrics.account_wide("PutEventsFailedEntriesCount")
            continue
        bus = backend.describe_event_bus(backend._normalize_event_bus_arn(entry.get("EventBusName")))
        event = aws_event(entry, backend.account_id, backend.region_name)
        results.append({"EventId": event["id"]})
        metrics.account_wide("PutEventsEntriesCount")
        route(backend, bus, event, metrics)
    metrics.account_wide("PutEventsApproximateSuccessCount", float(all("EventId" in result for result in results)))
    metrics.flush()
    return results


def entry_problem(entry: Mapping[str, Any]) -> dict[str, str] | None:
    """AWS's per-entry error for an entry it would not take, or None."""
    for key in ("Source", "DetailType", "Detail"):
        if not entry.get(key):
            return {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": f"Parameter {key} is not valid. Reason: {key} is a required argument."}
    try:
        detail = json.loads(entry["Detail"])
    except (TypeError, ValueError):
        detail = None
    if not isinstance(detail, dict):
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    return None


def aws_event(entry: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
    """The event as EventBridge builds it from an entry, keys in AWS's order."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": account,
        "time": event_time(entry.get("Time")),
        "region": region,
        "resources": list(entry.get("Resources") or []),
        "detail": json.loads(entry["Detail"]),
    }


def event_time(value: Any) -> str:
    """The entry's ``Time`` (epoch seconds from boto3, or ISO text), else now; as AWS writes it."""
    if isinstance(value, (int, float)):
        return _dt.datetime.fromtimestamp(value, tz=_dt.timezone.utc).strftime(TIME_FORMAT)
    if isinstance(value, str) and value:
        try:
            return parse_time(value).strftime(TIME_FORMAT)
        except ValueError:
            pass
    return _now()


def parse_time(text: str) -> _dt.datetime:
    moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime(TIME_FORMAT)


# -- routing ----------------------------------------------------------------------------------
def route(backend: Any, bus: Any, event: dict[str, Any], metrics: MetricBatch,
          only_rules: Iterable[str] | None = None) -> None:
    """Archive the event, then deliver it to every target of every rule it matches."""
    from cabructl.local.delivery import RuleRef

    assert _delivery is not None
    ingestion_time = _now()
    if "replay-name" not in event:
        archive(backend, bus.name, event)
    wanted = set(only_rules) if only_rules is not None else None
    chain = _chain()
    for name in rule_set(bus).matching(event):
        rule = bus.rules.get(name)
        if rule is None or (wanted is not None and rule.arn not in wanted):
            continue
        metrics.rule("MatchedEvents", bus.name, rule.name)
        if rule.arn in chain:  # a bus target brought the event back to this rule: AWS does not invoke it again
            metrics.rule("DeadLetterInvocations", bus.name, rule.name)
            continue
        metrics.rule("TriggeredRules", bus.name, rule.name)
        reference = RuleRef(rule.name, rule.arn, bus.name, backend.account_id, backend.region_name)
        chain.append(rule.arn)
        try:
            for target in list(rule.targets):
                _delivery.deliver(reference, target, event, ingestion_time)
        finally:
            chain.pop()


_routing = threading.local()


def _chain() -> list[str]:
    """The rules whose deliveries are under way in this thread, outermost first: a bus target's PutEvents
    runs inside its rule's delivery, so a loop back to a rule shows as that rule in the chain."""
    if not hasattr(_routing, "rules"):
        _routing.rules = []
    return _routing.rules  # type: ignore[no-any-return]


def rule_set(bus: Any) -> "RuleSet":
    """The bus's enabled rules compiled into cabructl's rule set, rebuilt only when a rule changes."""
    from cabructl.patterns import RuleSet
    from cabructl.patterns.errors import PatternError

    rules = [rule for rule in bus.rules.values()
             if rule.state == "ENABLED" and rule.managed_by != ARCHIVE_MANAGER and rule.event_pattern._raw_pattern]
    signature = tuple((rule.name, rule.event_pattern._raw_pattern) for rule in rules)
    with _rule_sets_lock:
        known = _rule_sets.get(bus.arn)
        if known is not None and known[0] == signature:
            return known[1]
        compiled = {}
        for rule in rules:
            try:
                compiled[rule.name] = compiled_pattern(rule.event_pattern._raw_pattern)
            except PatternError as error:  # stored before the endpoint validated patterns
                log.warning("rule %s never matches: %s", rule.name, error)
        _rule_sets[bus.arn] = (signature, RuleSet(compiled))
        return _rule_sets[bus.arn][1]


@functools.lru_cache(maxsize=1024)
def compiled_pattern(raw: str) -> Any:
    """Patterns repeat across rules, archives and calls: compile each text once."""
    from cabructl.patterns import compile_pattern

    return compile_pattern(raw)


def archive(backend: Any, bus_name: str, event: dict[str, Any]) -> None:
    """Keep the event in every enabled archive of the bus whose pattern matches it (none: all events)."""
    for found in list(backend.archives.values()):
        if found.event_bus_name != bus_name or found.state != "ENABLED":
            continue
        raw = found.event_pattern._raw_pattern
        if not raw or compiled_pattern(raw).matches(event):
            found.events.append(dict(event))


# -- StartReplay ------------------------------------------------------------------------------
def replay_events(replay: Any, archive_model: Any) -> None:
    """Replay the archived events whose time lies in the window, to the rules in FilterArns only."""
    from moto.events.models import ReplayState, events_backends

    backend = events_backends[replay.account_id][replay.region]
    bus = backend.describe_event_bus(replay.destination["Arn"].split("/")[-1])
    start, end = _epoch(replay.event_start_time), _epoch(replay.event_end_time)
    only_rules = replay.destination.get("FilterArns") or None
    metrics = MetricBatch(replay.account_id, replay.region)
    replay.state = ReplayState.RUNNING
    for event in list(archive_model.events):
        moment = parse_time(event["time"]).timestamp()
        if start <= moment < end:
            route(backend, bus, {**event, "replay-name": replay.name}, metrics, only_rules)
    metrics.flush()
    replay.state = ReplayState.COMPLETED
    replay.end_time = _dt.datetime.now(_dt.timezone.utc).timestamp()


def _epoch(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return parse_time(str(value)).timestamp()
