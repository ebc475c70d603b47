"""Targets EventBridge reaches with a role: a stream, a state machine, another bus, an API destination.

The role must exist, trust events.amazonaws.com and allow the kind's action on the target;
otherwise the delivery fails as AWS fails it and the event goes to the DLQ. An API
destination is called over HTTP only on loopback: any other host is refused, never contacted.
"""

from __future__ import annotations

import base64
import http.client
import json
from typing import Any, Callable

import pytest

from cabructl.local.invocations import INVOCATIONS
from tests.local.conftest import Hooked
from tests.local.test_local_delivery import CRITICAL, new_queue, publish, received
from tests.local.test_local_failures import Clients, dead_letters, reasons
from tests.local.test_local_function_targets import ACCOUNT, DETAIL, role, rule_to

ANY = "*"


def new_stream(kinesis: Any, name: str) -> tuple[str, str]:
    """A one-shard stream: its ARN and an iterator from its start."""
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]
    shard = kinesis.list_shards(StreamARN=arn)["Shards"][0]["ShardId"]
    return arn, kinesis.get_shard_iterator(StreamARN=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]


def test_a_stream_gets_a_record_keyed_by_the_partition_key_path(aws: Clients, bus: str, unique: Callable[[str], str],
                                                                aws_client: Callable[[str], Any]) -> None:
    kinesis, name = aws_client("kinesis"), unique("telemetry")
    arn, iterator = new_stream(kinesis, name)
    rule_to(aws, bus, unique("critical"), {"Id": "k", "Arn": arn, "RoleArn": role(aws_client, unique("role"), "kinesis:PutRecord", arn),
                                          "InputPath": "$.detail", "KinesisParameters": {"PartitionKeyPath": "$.detail.agentId"}})
    publish(aws, bus, DETAIL)
    [record] = kinesis.get_records(ShardIterator=iterator, StreamARN=arn)["Records"]
    assert (json.loads(record["Data"]), record["PartitionKey"]) == (DETAIL, "pinger-7")


def test_without_a_partition_key_path_the_event_id_keys_the_record(aws: Clients, bus: str, unique: Callable[[str], str],
                                                                   aws_client: Callable[[str], Any]) -> None:
    kinesis, name = aws_client("kinesis"), unique("telemetry")
    arn, iterator = new_stream(kinesis, name)
    rule_to(aws, bus, unique("critical"), {"Id": "k", "Arn": arn, "RoleArn": role(aws_client, unique("role"), "kinesis:*", ANY)})
    event_id = publish(aws, bus, DETAIL)
    [record] = kinesis.get_records(ShardIterator=iterator, StreamARN=arn)["Records"]
    assert record["PartitionKey"] == event_id and json.loads(record["Data"])["id"] == event_id


def test_a_state_machine_starts_an_execution_with_the_rendered_input(aws: Clients, bus: str, unique: Callable[[str], str],
                                                                     aws_client: Callable[[str], Any]) -> None:
    states = aws_client("stepfunctions")
    definition = json.dumps({"StartAt": "done", "States": {"done": {"Type": "Pass", "End": True}}})
    arn = states.create_state_machine(name=unique("incident"), definition=definition,
                                      roleArn=role(aws_client, unique("sfn"), None, ANY))["stateMachineArn"]
    rule_to(aws, bus, unique("critical"), {"Id": "s", "Arn": arn, "Input": '{"page": "on-call"}',
                                          "RoleArn": role(aws_client, unique("role"), "states:StartExecution", arn)})
    publish(aws, bus, DETAIL)
    [execution] = states.list_executions(stateMachineArn=arn)["executions"]
    assert json.loads(states.describe_execution(executionArn=execution["executionArn"])["input"]) == {"page": "on-call"}


def test_another_bus_receives_the_event_itself_and_its_rules_fire(aws: Clients, bus: str, unique: Callable[[str], str],
                                                                  aws_client: Callable[[str], Any]) -> None:
    peer = unique("peer")
    peer_arn = aws.events.create_event_bus(Name=peer)["EventBusArn"]
    queue_url, queue_arn = new_queue(aws, unique("peer-queue"))
    rule_to(aws, peer, unique("on-peer"), {"Id": "q", "Arn": queue_arn})
    rule_to(aws, bus, unique("forward"), {"Id": "b", "Arn": peer_arn, "Input": '{"ignored": true}',
                                         "RoleArn": role(aws_client, unique("role"), "events:PutEvents", peer_arn)})
    publish(aws, bus, DETAIL)
    [body] = received(aws, queue_url)
    event = json.loads(body)
    assert (event["source"], event["detail"]) == ("cabruca.agents.test", DETAIL)  # input settings do not apply to a bus


def test_two_buses_sending_to_each_other_stop_at_the_rule_that_fired_first(
        aws: Clients, bus: str, unique: Callable[[str], str], aws_client: Callable[[str], Any]) -> None:
    peer = unique("peer")
    peer_arn = aws.events.create_event_bus(Name=peer)["EventBusArn"]
    bus_arn = aws.events.describe_event_bus(Name=bus)["Arn"]
    everywhere = role(aws_client, unique("role"), "events:PutEvents", ANY)
    queue_url, queue_arn = new_queue(aws, unique("seen"))
    rule_to(aws, bus, unique("there"), {"Id": "b", "Arn": peer_arn, "RoleArn": everywhere}, {"Id": "q", "Arn": queue_arn})
    rule_to(aws, peer, unique("back"), {"Id": "b", "Arn": bus_arn, "RoleArn": everywhere})
    publish(aws, bus, DETAIL)
    assert len(received(aws, queue_url)) == 1  # once, not once per lap


@pytest.mark.parametrize("problem, code", [("no role", "NO_PERMISSIONS"), ("missing role", "FAILED_TO_ASSUME_ROLE"),
                                           ("untrusting role", "FAILED_TO_ASSUME_ROLE"), ("role without the action", "NO_PERMISSIONS")])
def test_a_role_kind_without_a_usable_role_goes_to_the_dlq(problem: str, code: str, aws: Clients, bus: str,
                                                            unique: Callable[[str], str], aws_client: Callable[[str], Any]) -> None:
    states = aws_client("stepfunctions")
    definition = json.dumps({"StartAt": "done", "States": {"done": {"Type": "Pass", "End": True}}})
    arn = states.create_state_machine(name=unique("incident"), definition=definition,
                                      roleArn=role(aws_client, unique("sfn"), None, ANY))["stateMachineArn"]
    roles = {"no role": None, "missing role": f"arn:aws:iam::{ACCOUNT}:role/{unique('nobody')}",
             "untrusting role": role(aws_client, unique("role"), "states:StartExecution", arn, trusted=False),
             "role without the action": role(aws_client, unique("role"), "states:StopExecution", arn)}
    dlq_url, dlq_arn = new_queue(aws, unique("dlq"))
    target: dict[str, Any] = {"Id": "s", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}}
    if roles[problem]:
        target["RoleArn"] = roles[problem]
    rule_to(aws, bus, unique("critical"), target)
    publish(aws, bus, DETAIL)
    attributes = reasons(dead_letters(aws, dlq_url)[0])
    assert (attributes["ERROR_CODE"], attributes["RETRY_ATTEMPTS"]) == (code, "0")
    assert states.list_executions(stateMachineArn=arn)["executions"] == []


# -- API destinations ---------------------------------------------------------------------------
def api_destination(aws: Clients, unique: Callable[[str], str], url: str) -> str:
    connection = aws.events.create_connection(Name=unique("conn"), AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "X-Api-Key", "ApiKeyValue": "s3cret"}})["ConnectionArn"]
    return str(aws.events.create_api_destination(Name=unique("hook"), ConnectionArn=connection, InvocationEndpoint=url,
                                                 HttpMethod="POST")["ApiDestinationArn"])


def test_an_api_destination_on_loopback_gets_the_rendered_body_and_headers(
        aws: Clients, bus: str, unique: Callable[[str], str], aws_client: Callable[[str], Any], hook: Hooked) -> None:
    arn = api_destination(aws, unique, f"{hook.url}/hooks/*/events")
    rule_to(aws, bus, unique("critical"), {
        "Id": "h", "Arn": arn, "RoleArn": role(aws_client, unique("role"), "events:InvokeApiDestination", arn.rsplit("/", 1)[0] + "/*"),
        "InputTransformer": {"InputPathsMap": {"issue": "$.detail.issue"}, "InputTemplate": '{"text": "<issue>"}'},
        "HttpParameters": {"PathParameterValues": ["$.detail.agentId"], "HeaderParameters": {"X-Source": "cabruca"},
                           "QueryStringParameters": {"severity": "$.detail.severity"}}})
    publish(aws, bus, DETAIL)
    [request] = hook.seen
    assert (request["method"], request["path"]) == ("POST", "/hooks/pinger-7/events?severity=critical")
    assert json.loads(request["body"]) == {"text": "disk full"}
    headers = request["headers"]
    assert (headers["X-Source"], headers["X-Api-Key"]) == ("cabruca", "s3cret")
    assert headers["Content-Type"].startswith("application/json")
    [listed] = [item for item in INVOCATIONS.listing() if item.get("target_arn") == arn]
    assert (listed["status"], listed["headers"]["X-Api-Key"]) == (200, "(secret)")


def test_an_api_destination_off_loopback_is_never_contacted_and_fails(
        aws: Clients, bus: str, unique: Callable[[str], str], aws_client: Callable[[str], Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    contacted: list[str] = []
    original = http.client.HTTPConnection.__init__

    def spy(self: Any, host: str, *args: Any, **kwargs: Any) -> None:
        contacted.append(host)
        original(self, host, *args, **kwargs)

    monkeypatch.setattr(http.client.HTTPConnection, "__init__", spy)
    arn = api_destination(aws, unique, "http://192.0.2.10/hooks")  # TEST-NET-1: nobody's
    dlq_url, dlq_arn = new_queue(aws, unique("dlq"))
    rule_arn = rule_to(aws, bus, unique("critical"), {"Id": "h", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn},
                                                     "RoleArn": role(aws_client, unique("role"), "events:InvokeApiDestination", ANY)})
    publish(aws, bus, DETAIL)
    attributes = reasons(dead_letters(aws, dlq_url)[0])
    assert (attributes["ERROR_CODE"], attributes["RETRY_ATTEMPTS"]) == ("INVALID_PARAMETER", "0")
    assert "loopback" in attributes["ERROR_MESSAGE"]
    assert "192.0.2.10" not in contacted
    [listed] = [item for item in INVOCATIONS.listing() if item.get("target_arn") == arn]
    assert listed["status"] == "refused"
    cloudwatch = aws_client("cloudwatch")
    failed = cloudwatch.get_metric_statistics(Namespace="AWS/Events", MetricName="FailedInvocations", Statistics=["Sum"],
                                              Dimensions=[{"Name": "EventBusName", "Value": bus},
                                                          {"Name": "RuleName", "Value": rule_arn.rsplit("/", 1)[-1]}],
                                              StartTime=0, EndTime=4102444800, Period=86400)["Datapoints"]
    assert sum(point["Sum"] for point in failed) == 1


def test_basic_auth_is_sent_as_an_authorization_header(aws: Clients, bus: str, unique: Callable[[str], str],
                                                       aws_client: Callable[[str], Any], hook: Hooked) -> None:
    connection = aws.events.create_connection(Name=unique("conn"), AuthorizationType="BASIC", AuthParameters={
        "BasicAuthParameters": {"Username": "cabruca", "Password": "pw"}})["ConnectionArn"]
    arn = aws.events.create_api_destination(Name=unique("hook"), ConnectionArn=connection, InvocationEndpoint=hook.url + "/in",
                                            HttpMethod="POST")["ApiDestinationArn"]
    rule_to(aws, bus, unique("critical"), {"Id": "h", "Arn": arn, "RoleArn": role(aws_client, unique("role"), "events:*", ANY)})
    publish(aws, bus, CRITICAL)
    [request] = hook.seen
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"cabruca:pw").decode()
    assert json.loads(request["body"])["detail"] == CRITICAL
