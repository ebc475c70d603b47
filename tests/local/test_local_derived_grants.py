"""The grants the topology derives let the local endpoint deliver: the targets role (its trust scoped to
the topology's rules, one statement per action) and the Lambda permission statement per rule.

A fixture topology gains targets of the kinds referenced by ARN; its derived documents are written
with boto3 as the owned handlers will write them, the rule and its targets are put with PutTargets,
and one event must reach the function's handler, the stream and the state machine.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import yaml

from cabructl.local.invocations import INVOCATIONS
from cabructl.resources.arns import rule_arn, target_arn
from cabructl.resources.base import Context
from cabructl.resources.delivery_grants import (delivery_role_arn, function_grants, targets_role_name, targets_role_policy,
                                                targets_role_trust)
from cabructl.topology import load_topology
from support import ROOT
from tests.local.test_local_function_targets import ACCOUNT, REGION, function, role

FIXTURE = ROOT / "tests" / "fixtures" / "topologies" / "good" / "fifo-and-input"
TARGETS = [
    {"id": "f", "function": "arn:aws:lambda:{region}:{account}:function:%(function)s", "input_path": "$.detail"},
    {"id": "s", "state_machine": "arn:aws:states:{region}:{account}:stateMachine:%(machine)s", "input_path": "$.detail"},
    {"id": "k", "stream": "arn:aws:kinesis:{region}:{account}:stream/%(stream)s", "partition_key": "$.detail.agentId"},
]


def test_the_derived_role_and_permission_let_the_endpoint_deliver(tmp_path: Path, unique: Callable[[str], str],
                                                                  aws_client: Callable[..., Any]) -> None:
    names = {"function": unique("triage"), "machine": unique("incident"), "stream": unique("telemetry")}
    shutil.copytree(FIXTURE, tmp_path / "fixture")
    file = tmp_path / "fixture" / "topology.yaml"
    document = yaml.safe_load(file.read_text())
    document["project"] = unique("grants")
    document["rules"]["pings"]["targets"] = [{key: (value % names if isinstance(value, str) else value)
                                              for key, value in target.items()} for target in TARGETS]
    file.write_text(yaml.safe_dump(document))
    topology, context = load_topology(str(file)), Context(ACCOUNT, REGION)
    rule = topology.rules["pings"]

    iam, events, kinesis, states = (aws_client(service) for service in ("iam", "events", "kinesis", "stepfunctions"))
    iam.create_role(RoleName=targets_role_name(topology), AssumeRolePolicyDocument=json.dumps(targets_role_trust(topology, context)))
    iam.put_role_policy(RoleName=targets_role_name(topology), PolicyName="targets",
                        PolicyDocument=json.dumps(targets_role_policy(topology, context)))
    calls: list[Any] = []
    INVOCATIONS.register(names["function"], lambda event, context: calls.append(event))
    function(aws_client, names["function"])
    [grant] = function_grants(topology, context)
    aws_client("lambda").add_permission(FunctionName=names["function"], StatementId=grant.sid, Action="lambda:InvokeFunction",
                                        Principal="events.amazonaws.com", SourceArn=grant.source_arn,
                                        SourceAccount=grant.source_account)
    definition = json.dumps({"StartAt": "done", "States": {"done": {"Type": "Pass", "End": True}}})
    machine = states.create_state_machine(name=names["machine"], definition=definition,
                                          roleArn=role(aws_client, unique("sfn"), None, "*"))["stateMachineArn"]
    kinesis.create_stream(StreamName=names["stream"], ShardCount=1)
    stream = kinesis.describe_stream(StreamName=names["stream"])["StreamDescription"]["StreamARN"]
    shard = kinesis.list_shards(StreamARN=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamARN=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]

    events.create_event_bus(Name=topology.bus.name)
    assert events.put_rule(Name=rule.name, EventBusName=topology.bus.name, EventPattern=json.dumps(rule.pattern))["RuleArn"] \
        == rule_arn(topology, context, rule)
    entries = []
    for target in rule.targets:
        entry = {"Id": target.id, "Arn": target_arn(topology, context, target)}
        role_arn = delivery_role_arn(topology, context, target)
        entry.update({"RoleArn": role_arn} if role_arn else {})
        entry.update({"InputPath": "$.detail"} if target.kind != "stream" else {"KinesisParameters": {"PartitionKeyPath": "$.detail.agentId"}})
        entries.append(entry)
    events.put_targets(Rule=rule.name, EventBusName=topology.bus.name, Targets=entries)

    detail = {"pingId": "p-1", "timestamp": "2026-12-01T10:00:00Z", "agentId": "pinger-7", "severity": "CRITICAL"}
    events.put_events(Entries=[{"EventBusName": topology.bus.name, "Source": "example.agent", "DetailType": "Ping",
                                "Detail": json.dumps(detail)}])
    assert calls == [detail]
    [execution] = states.list_executions(stateMachineArn=machine)["executions"]
    assert json.loads(states.describe_execution(executionArn=execution["executionArn"])["input"]) == detail
    [record] = kinesis.get_records(ShardIterator=iterator, StreamARN=stream)["Records"]
    assert record["PartitionKey"] == "pinger-7"
