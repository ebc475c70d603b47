"""`local serve` and `test-event` agree: an event goes, on the endpoint, exactly where test-event says.

The real topology.yaml (schemas/ beside it) is applied to the session's local endpoint
under a project of its own. Agent events (drawn from the topology's schemas, with the
values the rules' patterns test pushed to their edges: every enum value, other cases,
null, numbers, arrays, objects, the field missing, other sources and detail-types) are
published with PutEvents to the topology's bus and routed offline with
:func:`cabructl.policy.routes.route_events`. For every event, the destinations that
received it on the endpoint (queues drained, topics through a queue subscribed to them,
log groups searched for the event id) must be, with multiplicity, those of test-event's
deliveries. The dead-letter queues are watched too, so a delivery that failed is a
disagreement. After the run, the endpoint's per-rule ``AWS/Events`` metrics must count
the matches and invocations the offline routing predicts, and ``cabructl test-event
--json`` on the same PutEvents entries must name the destinations the endpoint reached.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cabructl.cli import cli
from cabructl.engine.state import context_for
from cabructl.local import LocalAws
from cabructl.policy.candidates import pattern_paths
from cabructl.policy.routes import EventRoute, deliveries_of, events_from_document, route_events
from cabructl.resources.arns import topic_arn
from cabructl.resources.targets import target_kinds
from cabructl.topology.model import Topology
from cabructl.topology.targets import target_keys
from deployment import Deployment, deployments

PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
BATCH = 10  # PutEvents' limit of entries per call
MISSING = object()  # the field is left out of the detail
ODD_SOURCES = ["cabruca.agents", "cabruca.agents.unknown", "CABRUCA.AGENTS.MONITOR", "cabruca.agents.monitor ",
               "cabruca.agents.tester.v2", "com.example.orders"]
ODD_DETAIL_TYPES = ["issue detection event", "Test Results Event ", "Test Results", "Order Placed", "*"]


@dataclass
class Run:
    """What the run saw, for the sanity checks and the checks at the end."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    reached: list[Counter[str]] = field(default_factory=list)  # per entry: destination name → deliveries seen
    matched: Counter[str] = field(default_factory=Counter)  # logical rule → events test-event says it matches
    invoked: Counter[str] = field(default_factory=Counter)  # logical rule → its deliveries test-event predicts
    matching_none: int = 0


class Endpoint:
    """The deployed topology on the endpoint, with a reader of every destination a target could name."""

    def __init__(self, deployment: Deployment) -> None:
        self.topology = deployment.topology
        self.events = deployment.client("events")
        aws = deployment.aws()
        context = context_for(aws, self.topology)
        self.readers: dict[str, Callable[[], Iterator[str]]] = {}
        for key, kind in target_kinds().items():
            assert kind.watch is not None, f"target kind {key} has no watch"
            section = target_keys()[key].section
            if section is None:  # referenced by ARN: the real topology declares none to watch
                continue
            for logical, resource in getattr(self.topology, section).items():
                self.readers[resource.name] = kind.watch(aws, self.topology, context, logical)
                if key == "topic":
                    _let_the_topic_send_to_its_observer(aws, topic_arn(self.topology, context, logical))
        for read in self.readers.values():
            list(read())  # start from empty queues (the log group is searched by event id)

    def publish(self, entries: list[dict[str, Any]]) -> list[Counter[str]]:
        """PutEvents, then, per entry, how many deliveries of it each destination holds."""
        answer = self.events.put_events(Entries=entries)
        assert answer["FailedEntryCount"] == 0, answer["Entries"]
        ids = [result["EventId"] for result in answer["Entries"]]
        texts = {name: list(read()) for name, read in self.readers.items()}
        return [Counter({name: hits for name, found in texts.items() if (hits := sum(event_id in text for text in found))})
                for event_id in ids]


def _let_the_topic_send_to_its_observer(aws: Any, arn: str) -> None:
    """The queue the topic's watch subscribed gets the policy a person would give it: SNS may send, from this topic."""
    sqs, sns = aws.client("sqs"), aws.client("sns")
    for subscription in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]:
        if subscription["Protocol"] != "sqs":
            continue
        queue = subscription["Endpoint"]
        url = sqs.get_queue_url(QueueName=queue.rsplit(":", 1)[-1])["QueueUrl"]
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue, "Condition": {"ArnEquals": {"aws:SourceArn": arn}}}]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})


# -- the events -------------------------------------------------------------------------------
def pattern_fields(topology: Topology) -> dict[tuple[str, ...], list[Any]]:
    """Each detail field a rule's pattern tests → the values worth sending (enum values first)."""
    fields: dict[tuple[str, ...], list[Any]] = {}
    for rule in topology.rules.values():
        for path in pattern_fields_of(rule.pattern):
            fields.setdefault(path, [])
    for path, values in fields.items():
        for schema in topology.schemas.values():
            values += _enum_at(schema.detail_schema, path)
        for rule in topology.rules.values():
            values += [value for value in _pattern_values(rule.pattern, ("detail", *path)) if isinstance(value, str)]
        fields[path] = list(dict.fromkeys(values))
    return fields


def pattern_fields_of(pattern: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The detail fields one pattern tests (paths below ``detail``)."""
    return [path[1:] for path in pattern_paths(pattern) if path[0] == "detail" and len(path) > 1]


def _may_match_source(pattern: Mapping[str, Any], source: str) -> bool:
    """Whether a pattern could fire on this source: it names it, or tests the source otherwise (or not at all)."""
    values = pattern.get("source")
    return not isinstance(values, list) or source in values or not all(isinstance(value, str) for value in values)


def _enum_at(schema: Mapping[str, Any], path: tuple[str, ...]) -> list[Any]:
    for key in path:
        schema = (schema.get("properties") or {}).get(key) or {}
    return list(schema.get("enum") or [])


def _pattern_values(pattern: Mapping[str, Any], path: tuple[str, ...]) -> list[Any]:
    value: Any = pattern
    for key in path:
        value = value.get(key, []) if isinstance(value, dict) else []
    return value if isinstance(value, list) else []


def odd_values(values: list[Any]) -> list[Any]:
    """What a rule on these values must not be fooled by (or must, for ``exists``)."""
    first = values[0] if values else "X"
    return [value.lower() for value in values[:3]] + [f" {first}", f"{first}!", "", None, 0, 2.5, True, False, [],
                                                      [None], {"value": first}, [{"value": first}]]


def value_of(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A value fitting a (small) JSON schema, as agents send them."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "uuid":
            return st.uuids().map(str)
        if schema.get("format") == "date-time":
            return st.datetimes().map(lambda moment: moment.isoformat(timespec="seconds") + "Z")
        return st.text(max_size=12)
    if kind == "integer":
        return st.integers(-(2**31), 2**31)
    if kind == "number":
        return st.floats(-1e6, 1e6, allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(value_of(schema.get("items") or {"type": "string"}), max_size=2)
    if kind == "object":
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        if not properties and isinstance(schema.get("additionalProperties"), dict):
            return st.dictionaries(st.text(max_size=6), value_of(schema["additionalProperties"]), max_size=2)
        return st.fixed_dictionaries({key: value_of(spec) for key, spec in properties.items() if key in required},
                                     optional={key: value_of(spec) for key, spec in properties.items() if key not in required})
    return st.none()


def plain_value(schema: Mapping[str, Any]) -> Any:
    """A fixed value fitting a (small) JSON schema: required properties only, each enum's first value."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {key: plain_value(properties[key]) for key in schema.get("required") or [] if key in properties}
    plain = {"string": "00000000-0000-4000-8000-000000000000" if schema.get("format") == "uuid" else
             "2026-01-01T00:00:00Z" if schema.get("format") == "date-time" else "agent",
             "integer": 1, "number": 1.5, "boolean": True, "array": []}
    return plain.get(kind)


def with_field(detail: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """``detail`` with ``path`` set to ``value`` (or removed, for MISSING)."""
    detail = json.loads(json.dumps(detail))
    holder = detail
    for key in path[:-1]:
        if not isinstance(holder.get(key), dict):
            holder[key] = {}
        holder = holder[key]
    if value is MISSING:
        holder.pop(path[-1], None)
    else:
        holder[path[-1]] = value
    return detail


def entry(bus: str, source: str, detail_type: str, detail: Mapping[str, Any]) -> dict[str, Any]:
    return {"EventBusName": bus, "Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}


def agent_events(topology: Topology) -> st.SearchStrategy[dict[str, Any]]:
    """One PutEvents entry: mostly an agent's own event, sometimes crossed or from elsewhere; tested fields at their edges."""
    kinds = [(agent.source, topology.schemas[name]) for agent in topology.agents.values() for name in agent.events]
    sources = sorted({source for source, _ in kinds}) + ODD_SOURCES
    detail_types = sorted({schema.detail_type for _, schema in kinds}) + ODD_DETAIL_TYPES
    fields = pattern_fields(topology)

    @st.composite
    def one(draw: Any) -> dict[str, Any]:
        source, schema = draw(st.sampled_from(kinds))
        detail_type = schema.detail_type
        if draw(st.integers(0, 4)) == 0:  # one in five: another source or detail-type
            source, detail_type = draw(st.sampled_from(sources)), draw(st.sampled_from(detail_types))
        detail = draw(value_of(schema.detail_schema))
        for path, values in fields.items():
            value = draw(st.one_of(st.just("keep"), st.sampled_from(values or ["X"]), st.sampled_from(odd_values(values)),
                                   st.lists(st.sampled_from(values or ["X"]), min_size=1, max_size=3), st.just(MISSING)))
            if value != "keep":
                detail = with_field(detail, path, value)
        return entry(topology.bus.name, source, detail_type, detail)

    return one()


def edge_entries(topology: Topology) -> list[dict[str, Any]]:
    """Each agent's event as is, then with each field its rules test at each value the rules or schemas name,
    at odd values, and missing; and events from another source, or of another detail-type."""
    kinds = [(agent.source, topology.schemas[name]) for agent in topology.agents.values() for name in agent.events]
    fields = pattern_fields(topology)
    found = []
    for source, schema in kinds:
        base = plain_value(schema.detail_schema)
        found.append(entry(topology.bus.name, source, schema.detail_type, base))
        tested = {path for rule in topology.rules.values() if _may_match_source(rule.pattern, source)
                  for path in pattern_fields_of(rule.pattern)}
        for path in sorted(tested):
            values = fields[path]
            for value in [*values, *odd_values(values), MISSING]:
                found.append(entry(topology.bus.name, source, schema.detail_type, with_field(base, path, value)))
    other_source, other_type = kinds[0][1].source + ".other", "Something Else"
    found += [entry(topology.bus.name, other_source, schema.detail_type, {}) for _, schema in kinds]
    found += [entry(topology.bus.name, source, other_type, {}) for source, _ in kinds]
    return found


# -- the check --------------------------------------------------------------------------------
def expected(route: EventRoute) -> Counter[str]:
    return Counter(delivery.destination for delivery in route.deliveries)


def check(endpoint: Endpoint, run: Run, entries: list[dict[str, Any]]) -> None:
    """Publish ``entries`` and route them offline: the same destinations, as often, for every one."""
    topology = endpoint.topology
    for start in range(0, len(entries), BATCH):
        batch = entries[start:start + BATCH]
        reached = endpoint.publish(batch)
        routes = route_events(topology, events_from_document(topology, batch, "entries"))
        for item, route, seen in zip(batch, routes, reached):
            assert seen == expected(route), (
                f"the endpoint and test-event disagree on {item['Source']!r} / {item['DetailType']!r} "
                f"detail {item['Detail']}: test-event's rules {list(route.rules)} deliver to {dict(expected(route))}, "
                f"the endpoint delivered to {dict(seen)}")
            run.entries.append(item)
            run.reached.append(seen)
            run.matched.update(route.rules)
            run.invoked.update(delivery.rule for delivery in route.deliveries)
            run.matching_none += not route.rules


def rule_metric(cloudwatch: Any, topology: Topology, metric: str, rule: str) -> float:
    dimensions = [{"Name": "EventBusName", "Value": topology.bus.name}, {"Name": "RuleName", "Value": topology.rules[rule].name}]
    points = cloudwatch.get_metric_statistics(Namespace="AWS/Events", MetricName=metric, Dimensions=dimensions,
                                              StartTime=time.time() - 3600, EndTime=time.time() + 60, Period=60,
                                              Statistics=["Sum"])["Datapoints"]
    return sum(point["Sum"] for point in points)


@pytest.fixture
def deployed(tmp_path: Path, local_aws: LocalAws) -> Iterator[Deployment]:
    with deployments(lambda: tmp_path, local_aws, project_prefix="agree") as make:
        yield make()


def test_every_agent_event_reaches_on_the_endpoint_exactly_what_test_event_says(deployed: Deployment, tmp_path: Path) -> None:
    topology = deployed.topology
    endpoint = Endpoint(deployed)
    assert {delivery.destination for rule in topology.rules.values() for delivery in deliveries_of(topology, rule)} <= set(endpoint.readers)
    run = Run()

    # Each agent's event with every field its rules test at every value a rule or schema names, odd values, missing.
    check(endpoint, run, edge_entries(topology))
    assert set(run.matched) == set(topology.rules), f"the edge events never fire {set(topology.rules) - set(run.matched)}"
    assert run.matching_none > 0

    # Then random agent events, a PutEvents call of up to ten per example.
    edge_events = len(run.entries)

    @PROPERTY
    @given(st.lists(agent_events(topology), min_size=1, max_size=BATCH))
    def random_batches(entries: list[dict[str, Any]]) -> None:
        check(endpoint, run, entries)

    random_batches()
    assert len(run.entries) - edge_events >= PROPERTY.max_examples

    # The sanity of the comparison: both kinds of answer were seen, and no delivery failed.
    assert run.matching_none > 0 and sum(run.matched.values()) > 0
    assert any(run.reached) and not all(run.reached)
    for queue in {target.dead_letter for rule in topology.rules.values() for target in rule.targets} - {None}:
        assert not any(topology.queues[queue].name in reached for reached in run.reached), f"a delivery failed to {queue}"

    # The endpoint's own count of matches and invocations per rule is test-event's.
    cloudwatch = deployed.client("cloudwatch")
    for rule in topology.rules:
        assert rule_metric(cloudwatch, topology, "MatchedEvents", rule) == run.matched[rule], rule
        assert rule_metric(cloudwatch, topology, "Invocations", rule) == run.invoked[rule], rule
        assert rule_metric(cloudwatch, topology, "FailedInvocations", rule) == 0, rule

    # And the command itself: `cabructl test-event --json` on the same entries names what the endpoint reached.
    file = tmp_path / "entries.json"
    file.write_text(json.dumps({"Entries": run.entries}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["test-event", str(file), "-f", str(deployed.file), "--json"], catch_exceptions=False)
    assert result.exit_code == 2, result.output  # some events match no rule
    routes = json.loads(result.output)
    assert len(routes) == len(run.entries)
    for item, route, seen in zip(run.entries, routes, run.reached):
        assert Counter(delivery["destination"] for delivery in route["deliveries"]) == seen, item
