"""`cabructl demo`: the whole system, end to end, on a local endpoint, in seconds.

Starts :class:`LocalAws` on a free loopback port, applies topology.yaml, publishes
one realistic event per agent type plus a CRITICAL issue and a FAILED test run
(``cabructl/data/demo_events.yaml``) through the agent SDK, then shows where each
event landed — log group, SNS topic (through a queue subscribed to it) and each
SQS queue — then the AWS/Events metrics the local CloudWatch now holds for each rule,
and finishes with a second plan that must show no changes. With ``endpoint_url``
(``cabructl demo --local``) it runs against a ``cabructl local serve`` that stays
up afterwards, so ``cabructl cost --local`` reports what the demo published.

Where an event *should* land is computed offline from the topology with the
pattern matcher; where it *did* land is read back from the endpoint. A row whose
two disagree is a failure, and the demo exits non-zero.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import resources as package_data
from typing import Any, Callable, Iterator

from cabructl.errors import CabructlError
from cabructl.topology.model import Topology

DELIVERY_WAIT_SECONDS = 10.0
METRICS_LOOKBACK = timedelta(seconds=2)  # count from just before publishing: a demo run earlier on the same endpoint is left out
POLL_SECONDS = 0.2

Echo = Callable[[str], None]


@dataclass(frozen=True)
class DemoEvent:
    label: str
    agent: str
    detail: dict[str, Any]

    @property
    def marker(self) -> str:
        """The event's unique id (issueId, requestId…): how a delivery is recognised."""
        return next(str(value) for key, value in self.detail.items() if key.endswith("Id") and key != "agentId")


@dataclass(frozen=True)
class Destination:
    kind: str  # the target kind's key (resources.targets): which section ``logical`` is in
    logical: str
    name: str

    def __str__(self) -> str:
        from cabructl.resources.targets import target_kind

        return f"{target_kind(self.kind).label} {self.name}"


@dataclass
class Row:
    event: DemoEvent
    rule: str
    destination: Destination
    arrived: bool = False


@dataclass
class DemoResult:
    rows: list[Row] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    second_plan_empty: bool = False
    seconds: float = 0.0
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # rule → AWS/Events metric → count

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(row.arrived for row in self.rows) and not self.unexpected and self.second_plan_empty


def load_demo_events() -> list[DemoEvent]:
    """The demo's events, with fresh ids and the current time filled in."""
    from ruamel.yaml import YAML

    text = package_data.files("cabructl.data").joinpath("demo_events.yaml").read_text(encoding="utf-8")
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    events = []
    for raw in YAML(typ="safe").load(text):
        detail = _fill(raw["detail"], now)
        events.append(DemoEvent(raw["label"], raw["agent"], detail))
    return events


def _fill(value: Any, now: str) -> Any:
    if isinstance(value, dict):
        return {key: _fill(item, now) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, now) for item in value]
    if value == "{uuid}":
        return str(uuid.uuid4())
    if value == "{now}":
        return now
    return value


def demo_problems(topology: Topology, events: list[DemoEvent]) -> list[str]:
    """Why the topology cannot carry the demo's events, checked before anything is applied.

    The events are the Cabruca agents' (``demo_events.yaml``): each needs its agent, the
    agent's first schema, and a detail that schema accepts. Without this a topology lacking
    them was applied to the endpoint and then failed with ``KeyError: 'monitor'``.
    """
    problems = []
    for name in dict.fromkeys(event.agent for event in events):
        agent = topology.agents.get(name)
        if agent is None:
            problems.append(f'the topology has no agent "{name}"')
        elif not agent.events:
            problems.append(f'agent "{name}" declares no events')
    if problems:
        return problems
    from cabructl.agents.catalog import EventCatalog

    catalog = EventCatalog(topology)
    for event in events:
        schema = topology.agents[event.agent].events[0]
        problems += [f'"{event.label}" does not fit schema {schema}: {problem}' for problem in catalog.kind(schema).problems(event.detail)]
    return problems


class DemoNotReady(CabructlError):
    """The topology lacks what the demo's events need; raised before anything is applied."""

    reference = "demo-not-ready"


def refuse_unless_ready(topology: Topology, events: list[DemoEvent]) -> None:
    """Raise DemoNotReady naming every missing agent or unfitting event."""
    problems = demo_problems(topology, events)
    if problems:
        known = ", ".join(sorted(topology.agents)) or "none"
        needed = ", ".join(dict.fromkeys(event.agent for event in events))
        raise DemoNotReady(f"demo: {topology.file} cannot carry the demo's events (nothing was applied):\n"
                            + "\n".join(f"  {problem}" for problem in problems),
                            hint=f"the demo publishes as the agents {needed} (its topology.yaml has them); this topology's agents: {known}")


def expected_rows(topology: Topology, events: list[DemoEvent]) -> list[Row]:
    """Rows of (event, rule, destination) the patterns say must happen."""
    from cabructl.patterns import compile_rules

    rules = compile_rules({name: rule.pattern for name, rule in topology.rules.items()})
    from cabructl.topology.targets import destination_name

    rows = []
    for event in events:
        agent = topology.agents[event.agent]
        schema = topology.schemas[agent.events[0]]
        envelope = {"source": agent.source, "detail-type": schema.detail_type, "detail": event.detail}
        for rule_name in rules.matching(envelope):
            for target in topology.rules[rule_name].targets:
                rows.append(Row(event, rule_name, Destination(target.kind, target.ref, destination_name(topology, target.kind, target.ref))))
    return rows


def run_demo(topology_file: str, echo: Echo, *, port: int = 0, env: str | None = None,
             endpoint_url: str | None = None) -> DemoResult:
    """Run the whole demo on an endpoint of its own (stopped whatever happens), or on ``endpoint_url``."""
    from cabructl.topology import load_topology

    started = time.monotonic()
    topology = load_topology(topology_file, env)
    events = load_demo_events()
    refuse_unless_ready(topology, events)
    result = DemoResult()
    with _endpoint(endpoint_url, port, topology.region) as url:
        echo(f"Local AWS endpoint on {url} (loopback only, fake credentials).")
        aws = _aws(url, topology.region)
        _apply(topology, aws, echo)
        since = datetime.now(timezone.utc) - METRICS_LOOKBACK
        result.rows, result.unexpected = deliver_demo_events(topology, aws, echo, events)
        echo("")
        echo(render_rows(result.rows))
        result.metrics = _rule_metrics(topology, aws, since)
        echo("")
        echo(render_metrics(result.metrics))
        result.second_plan_empty = _second_plan(topology, url, echo)
    result.seconds = time.monotonic() - started
    return result


@contextlib.contextmanager
def _endpoint(endpoint_url: str | None, port: int, region: str) -> Iterator[str]:
    """The URL to run on, with the endpoint's fake credentials set for this process."""
    from cabructl.local.server import FAKE_CREDENTIAL, LocalAws

    if endpoint_url is not None:
        with _fake_credentials({"AWS_ACCESS_KEY_ID": FAKE_CREDENTIAL, "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIAL,
                                "AWS_REGION": region, "AWS_DEFAULT_REGION": region}):
            yield endpoint_url
        return
    with LocalAws(port=port, region=region) as local, _fake_credentials(local.env()):
        yield local.endpoint_url


def _rule_metrics(topology: Topology, aws: Any, since: datetime) -> dict[str, dict[str, float]]:
    """What the local CloudWatch counted per rule since the demo began publishing (metrics are flushed per call)."""
    from cabructl.policy.usage import rule_metric_counts

    return rule_metric_counts(aws, topology, since)


def render_metrics(metrics: dict[str, dict[str, float]]) -> str:
    """AWS/Events metrics per rule, as the dashboard's widgets will show them."""
    names = next(iter(metrics.values()), {})
    table = [(rule, *(f"{int(count):,}" for count in counts.values())) for rule, counts in metrics.items()]
    return "AWS/Events metrics in the local CloudWatch:\n" + _table(("rule", *names), table)


def deliver_demo_events(topology: Topology, aws: Any, echo: Echo, events: list[DemoEvent] | None = None) -> tuple[list[Row], list[str]]:
    """Publish the demo's events to a deployed topology and wait for every delivery its rules promise.

    Returns the expected rows (each marked arrived or not) and the deliveries nobody expected.
    Also the check, after any change to a deployment, that events still reach every target.
    """
    if events is None:
        events = load_demo_events()
        refuse_unless_ready(topology, events)
    watchers = _watch_destinations(topology, aws)  # before publishing: a topic is watched through a subscription
    _publish(topology, aws, events, echo)
    rows = expected_rows(topology, events)
    return rows, _collect_deliveries(watchers, rows)


class _fake_credentials:
    """Set the endpoint's fake credentials for this process while the demo runs."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = {key: value for key, value in values.items() if key.startswith("AWS_") and "ENDPOINT" not in key}
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for key, value in self.values.items():
            self.saved[key] = os.environ.get(key)
            os.environ[key] = value

    def __exit__(self, *_: Any) -> None:
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _aws(endpoint_url: str, region: str) -> Any:
    from cabructl.aws import Aws, AwsSettings

    return Aws(AwsSettings(region=region, endpoint_url=endpoint_url))


def _apply(topology: Topology, aws: Any, echo: Echo) -> None:
    from cabructl.engine import Engine
    from cabructl.output.plan import summary_line

    engine = Engine(topology, aws)
    plan = engine.plan()
    echo(f"Applying {topology.file} ({topology.project}/{topology.environment}): {summary_line(plan)}")
    outcome = engine.apply(plan)
    if not outcome.ok:
        failures = "; ".join(f"{o.change.address}: {o.error}" for o in outcome.failed)
        raise CabructlError(f"demo: apply failed: {failures}")
    echo(f"Applied {len(outcome.done)} resources.")


Reader = Callable[[], Iterator[str]]


def _watch_destinations(topology: Topology, aws: Any) -> dict[Destination, Reader]:
    """Every destination of the topology, each with its kind's reader of what arrived there."""
    from cabructl.engine.state import context_for
    from cabructl.resources.targets import target_kind

    context = context_for(aws, topology)
    return {destination: target_kind(destination.kind).watch(aws, topology, context, destination.logical)
            for destination in sorted(_all_destinations(topology), key=str)}


def _publish(topology: Topology, aws: Any, events: list[DemoEvent], echo: Echo) -> None:
    """Publish through the agent SDK: validated against the provisioned schemas, batched."""
    from cabructl.agents import EventBridgeAgent, GenericEvent

    agent = EventBridgeAgent(agent_id="cabructl-demo", topology=topology, aws=aws, guards=False, any_agent=True)
    sdk_events = [GenericEvent(schema=topology.agents[event.agent].events[0], detail=event.detail) for event in events]
    results = agent.publish_many(sdk_events)
    echo(f"Published {results.published} of {len(events)} events in {agent.metrics.put_events_calls} PutEvents call(s):")
    for event, outcome in zip(events, results):
        echo(f"  {event.label:<26} {outcome.event_id or outcome.error}")


def _collect_deliveries(watchers: dict[Destination, Reader], rows: list[Row]) -> list[str]:
    """Poll every destination until all expected deliveries arrived (or time is up).

    Returns deliveries nobody expected (an event at a destination its rules do not name).
    """
    deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
    seen: dict[tuple[str, str], set[str]] = {}
    markers = {row.event.marker for row in rows}
    while True:
        for destination, read in watchers.items():
            texts = list(read())
            found = {marker for marker in markers for text in texts if marker in text}
            seen.setdefault((destination.kind, destination.logical), set()).update(found)
        for row in rows:
            row.arrived = row.event.marker in seen.get((row.destination.kind, row.destination.logical), set())
        if all(row.arrived for row in rows) or time.monotonic() > deadline:
            break
        time.sleep(POLL_SECONDS)
    expected = {(row.destination.kind, row.destination.logical, row.event.marker) for row in rows}
    return sorted(f"{marker} reached {kind} {logical}" for (kind, logical), found in seen.items()
                  for marker in found if (kind, logical, marker) not in expected)


def _all_destinations(topology: Topology) -> set[Destination]:
    """Every resource a target of some kind could name, whether or not a rule does, and every
    resource a rule's target references by ARN (a function, a stream, …: only rules name those)."""
    from cabructl.resources.targets import target_kinds
    from cabructl.topology.targets import destination_name, target_keys

    keys = target_keys()
    declared = {Destination(key, logical, resource.name) for key in target_kinds() if not keys[key].referenced
                for logical, resource in getattr(topology, str(keys[key].section)).items()}
    referenced = {Destination(target.kind, target.ref, destination_name(topology, target.kind, target.ref))
                  for rule in topology.rules.values() for target in rule.targets if keys[target.kind].referenced}
    return declared | referenced


def _second_plan(topology: Topology, endpoint_url: str, echo: Echo) -> bool:
    """A fresh engine (nothing cached) must find nothing to change."""
    from cabructl.engine import Engine
    from cabructl.output.plan import render_plan

    plan = Engine(topology, _aws(endpoint_url, topology.region)).plan()
    echo("")
    echo("Second plan: " + render_plan(plan))
    return plan.empty


def render_rows(rows: list[Row]) -> str:
    """The table of where each event landed."""
    table = [(row.event.label, row.rule, str(row.destination), "yes" if row.arrived else "NO") for row in rows]
    return _table(("event", "rule", "destination", "arrived"), table)


def _table(headers: tuple[str, ...], table: list[tuple[str, ...]]) -> str:
    """Left-aligned columns under a ruled header line."""
    widths = [max(len(str(line[i])) for line in [headers, *table]) for i in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip() for line in [headers, *table]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def result_json(result: DemoResult) -> str:
    return json.dumps({
        "ok": result.ok,
        "seconds": round(result.seconds, 2),
        "second_plan_empty": result.second_plan_empty,
        "deliveries": [{"event": row.event.label, "rule": row.rule, "destination": str(row.destination), "arrived": row.arrived} for row in result.rows],
        "unexpected": result.unexpected,
        "metrics": result.metrics,
    }, indent=2)
