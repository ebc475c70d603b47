"""Each new target kind's ``watch`` reads, on the local endpoint, what arrived after it began watching."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, Callable

from cabructl.resources.base import Context
from cabructl.resources.targets import target_kind
from tests.local.test_local_delivery import publish
from tests.local.test_local_failures import Clients
from tests.local.conftest import Hooked
from tests.local.test_local_role_targets import api_destination
from tests.local.test_local_function_targets import ACCOUNT, DETAIL, REGION, function, permit, role, rule_to

CONTEXT = Context(ACCOUNT, REGION)
ANY = "*"


def watching(aws_client: Callable[..., Any], key: str, reference: str, topology: Any = None) -> Callable[[], Any]:
    read = target_kind(key).watch(SimpleNamespace(client=aws_client), topology or SimpleNamespace(prefix="watch-"), CONTEXT, reference)
    return lambda: list(read())


def test_a_function_is_watched_through_the_endpoints_record(aws: Clients, bus: str, unique: Callable[[str], str],
                                                            aws_client: Callable[..., Any]) -> None:
    name = unique("watched")
    arn = function(aws_client, name)
    permit(aws_client, name, rule_to(aws, bus, unique("critical"), {"Id": "f", "Arn": arn, "InputPath": "$.detail"}))
    read = watching(aws_client, "function", name)
    publish(aws, bus, DETAIL)
    assert [json.loads(text) for text in read()] == [DETAIL]
    assert read() == []


def test_a_stream_and_a_state_machine_are_watched(aws: Clients, bus: str, unique: Callable[[str], str],
                                                  aws_client: Callable[..., Any]) -> None:
    kinesis, states, name = aws_client("kinesis"), aws_client("stepfunctions"), unique("telemetry")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    stream = kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]
    definition = json.dumps({"StartAt": "done", "States": {"done": {"Type": "Pass", "End": True}}})
    machine = states.create_state_machine(name=unique("incident"), definition=definition,
                                          roleArn=role(aws_client, unique("sfn"), None, ANY))["stateMachineArn"]
    everything = role(aws_client, unique("role"), "*", ANY)
    rule_to(aws, bus, unique("critical"), {"Id": "k", "Arn": stream, "RoleArn": everything, "InputPath": "$.detail"},
            {"Id": "s", "Arn": machine, "RoleArn": everything, "InputPath": "$.detail"})
    streamed, started = watching(aws_client, "stream", stream), watching(aws_client, "state_machine", machine)
    publish(aws, bus, DETAIL)
    assert [json.loads(text) for text in streamed()] == [DETAIL]
    assert [json.loads(text) for text in started()] == [DETAIL]
    assert streamed() == [] and started() == []


def test_another_bus_is_watched_through_a_queue_of_the_watch(aws: Clients, bus: str, unique: Callable[[str], str],
                                                             aws_client: Callable[..., Any]) -> None:
    peer_arn = aws.events.create_event_bus(Name=unique("peer"))["EventBusArn"]
    rule_to(aws, bus, unique("forward"), {"Id": "b", "Arn": peer_arn, "RoleArn": role(aws_client, unique("role"), "events:PutEvents", peer_arn)})
    read = watching(aws_client, "event_bus", peer_arn)
    publish(aws, bus, DETAIL)
    [text] = read()
    assert json.loads(text)["detail"] == DETAIL


def test_an_api_destination_is_watched_through_the_endpoints_record(aws: Clients, bus: str, unique: Callable[[str], str],
                                                                    aws_client: Callable[..., Any], hook: Hooked) -> None:
    arn = api_destination(aws, unique, hook.url + "/in")
    name = arn.split(":api-destination/", 1)[1].split("/", 1)[0]
    rule_to(aws, bus, unique("critical"), {"Id": "h", "Arn": arn, "RoleArn": role(aws_client, unique("role"), "*", ANY),
                                          "InputPath": "$.detail"})
    topology = SimpleNamespace(prefix="watch-", api_destinations={"hook": SimpleNamespace(name=name)})
    read = watching(aws_client, "api_destination", "hook", topology)
    publish(aws, bus, DETAIL)
    assert [json.loads(text) for text in read()] == [DETAIL] == [json.loads(seen["body"]) for seen in hook.seen]
