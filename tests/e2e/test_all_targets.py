"""examples/all-targets.yaml end to end: every target kind and input form, on the real `cabructl` and
`local serve` processes over HTTP.

The referenced resources (the triage function, the incident state machine, the telemetry stream, the
peer account's bus) are made with boto3 first, as their owners would. Then `validate`, `plan` and
`apply`; one event per rule; every target must have received exactly the payload `test-event`
renders for it (the same renderer: `policy.routes.target_payload`) from the event as delivered; the
next plan is empty; and `destroy` removes what cabructl owns (the connection, the API destination,
the targets role, the Lambda statement) and leaves the referenced resources.
"""

from __future__ import annotations

import json
import os
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
import pytest

from cabructl.aws import Aws, AwsSettings
from cabructl.policy.routes import target_payload
from cabructl.resources.base import Context
from cabructl.resources.targets import target_kind
from cabructl.topology import Topology, load_topology
from e2e_driver import REGION, Cli, serve
from support import ROOT, create_function

PEER_ACCOUNT, PEER_REGION = "111122223333", "us-east-1"
API_KEY = "local-rehearsal-key"
WAIT_SECONDS = 10.0
HANDLER = '''
def handle(event, context):
    return {"triaged": event.get("id")}
'''


class Hook(BaseHTTPRequestHandler):
    """The CI webhook: records every request (the destination URL is on loopback)."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def hook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/cabruca"
    server.shutdown()


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory, hook: str) -> Iterator[tuple[str, Cli, Path]]:
    """`local serve --function triage-agent=…` and a copy of the example whose webhook is the loopback one."""
    folder = tmp_path_factory.mktemp("all-targets")
    (folder / "triage_handler.py").write_text(textwrap.dedent(HANDLER))
    example = (ROOT / "examples" / "all-targets.yaml").read_text(encoding="utf-8")
    (folder / "topology.yaml").write_text(example.replace("https://ci.example.com/hooks/cabruca", hook), encoding="utf-8")
    base = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env = {**base, "PYTHONUNBUFFERED": "1", "CABRUCTL_LOCAL_STATE": str(folder / "state.json"),
           "PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])}
    with serve(env, "--function", "triage-agent=triage_handler:handle", cwd=folder) as url:
        cli_env = {**env, "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_DEFAULT_REGION": REGION, "CI_WEBHOOK_KEY": API_KEY, "NO_COLOR": "1"}
        yield url, Cli(folder, cli_env), folder / "topology.yaml"


def client(service: str, endpoint: str, *, account: str | None = None, region: str = REGION) -> Any:
    made = boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing")
    if account:  # moto's server keeps one state per account, chosen by this header
        made.meta.events.register("before-send.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account))
    return made


def referenced_resources(endpoint: str) -> dict[str, str]:
    """What the topology references and never creates: made as their owners would."""
    iam, lambda_ = client("iam", endpoint), client("lambda", endpoint)
    function = create_function(iam, lambda_, "triage-agent")
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    machine = client("stepfunctions", endpoint).create_state_machine(
        name="incident", definition=definition, roleArn="arn:aws:iam::123456789012:role/incident-execution")["stateMachineArn"]
    client("kinesis", endpoint).create_stream(StreamName="agent-telemetry", ShardCount=1)
    peer = client("events", endpoint, account=PEER_ACCOUNT, region=PEER_REGION).create_event_bus(Name="peer-agents")["EventBusArn"]
    return {"function": function, "state_machine": machine, "event_bus": peer}


def observe_peer_bus(endpoint: str) -> Callable[[], list[dict[str, Any]]]:
    """The peer account's own rule and queue on its bus: what arrived there."""
    events = client("events", endpoint, account=PEER_ACCOUNT, region=PEER_REGION)
    sqs = client("sqs", endpoint, account=PEER_ACCOUNT, region=PEER_REGION)
    url = sqs.create_queue(QueueName="peer-inbox")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = events.put_rule(Name="inbox", EventBusName="peer-agents", EventPattern=json.dumps({"source": [{"prefix": ""}]}))["RuleArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": queue,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}]})})
    events.put_targets(Rule="inbox", EventBusName="peer-agents", Targets=[{"Id": "inbox", "Arn": queue}])

    def read() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    return read


def collect(read: Callable[[], Any], count: int) -> list[Any]:
    """What a reader yields, until ``count`` items or WAIT_SECONDS."""
    found: list[Any] = []
    deadline = time.monotonic() + WAIT_SECONDS
    while len(found) < count and time.monotonic() < deadline:
        found += list(read())
        if len(found) < count:
            time.sleep(0.2)
    return found


def publish(endpoint: str, topology: Topology, source: str, detail_type: str, detail: dict[str, Any]) -> str:
    entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": topology.bus.name}
    result = client("events", endpoint).put_events(Entries=[entry])
    assert result["FailedEntryCount"] == 0, result
    return str(result["Entries"][0]["EventId"])


def as_json(text: str) -> Any:
    """A payload as received; what reached a topic comes inside SNS's envelope (the observer queue's view)."""
    value = json.loads(text)
    if isinstance(value, dict) and value.get("Type") == "Notification" and "Message" in value:
        return json.loads(value["Message"])
    return value


def test_every_target_kind_applies_delivers_replans_empty_and_destroys(serving: tuple[str, Cli, Path]) -> None:
    endpoint, cli, file = serving
    referenced = referenced_resources(endpoint)
    assert "valid" in cli.run("validate").stdout
    cli.run("plan", "--detailed-exitcode", check=2)
    without_key = Cli(cli.folder, {key: value for key, value in cli.env.items() if key != "CI_WEBHOOK_KEY"})
    refused = without_key.run("apply", "--auto-approve", check=1)
    assert "environment variable CI_WEBHOOK_KEY" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    assert "all-targets-dev-bus" not in json.dumps(client("events", endpoint).list_event_buses())  # nothing was written
    cli.run("apply", "--auto-approve")

    topology = load_topology(str(file))
    aws = Aws(AwsSettings(region=REGION, endpoint_url=endpoint))
    context = Context(account_id="123456789012", region=REGION)
    watched = {(rule.logical, target.id): target_kind(target.kind).watch(aws, topology, context, target.ref)
               for rule in topology.rules.values() for target in rule.targets
               if target.kind not in ("event_bus", "api_destination")}  # the peer and the hook are observed below
    peer_inbox = observe_peer_bus(endpoint)
    Hook.received.clear()

    issue = {"agentId": "monitor-1", "severity": "critical", "summary": "disk full"}
    change = {"agentId": "dev-1", "repository": "cabruca", "commit": "abc123"}
    issue_id = publish(endpoint, topology, "example.monitor", "Issue Detected", issue)
    change_id = publish(endpoint, topology, "example.developer", "Code Change", change)

    received = {key: collect(read, 2 if key == ("changes", "slim") else 1) for key, read in watched.items()}
    # product-requests holds both the slim and the marker payloads: one queue, two targets.
    received[("changes", "slim")], received[("changes", "marker")] = _split_shared_queue(received[("changes", "slim")])
    [delivered_issue] = [as_json(text) for text in received[("issues", "triage")]]
    [delivered_change] = [as_json(text) for text in received[("changes", "ordered")]]
    assert (delivered_issue["id"], delivered_change["id"]) == (issue_id, change_id)
    events = {"issues": delivered_issue, "changes": delivered_change}

    for (rule_name, target_id), texts in received.items():
        rule = topology.rules[rule_name]
        target = next(target for target in rule.targets if target.id == target_id)
        expected = as_json(target_payload(topology, rule, target, events[rule_name]))
        assert [as_json(text) for text in texts] == [expected], (rule_name, target_id)

    [request] = collect(lambda: list(Hook.received), 1)
    assert as_json(request["body"]) == delivered_change
    assert (request["headers"]["X-Source"], request["headers"]["X-Agent"], request["headers"]["X-Api-Key"]) == ("cabruca", "dev-1", API_KEY)
    [forwarded] = collect(peer_inbox, 1)
    assert (forwarded["source"], forwarded["detail-type"], forwarded["detail"]) == ("example.developer", "Code Change", change)
    _assert_partition_key(endpoint, "monitor-1")

    cli.run("plan", "--detailed-exitcode", check=0)  # applied: nothing to change
    cli.run("destroy", "--auto-approve", "--allow-data-loss")
    _assert_only_the_owned_are_gone(endpoint, topology, referenced)


def _split_shared_queue(texts: list[str]) -> tuple[list[str], list[str]]:
    marker = [text for text in texts if as_json(text) == {"kind": "change-seen"}]
    return [text for text in texts if text not in marker], marker


def _assert_partition_key(endpoint: str, agent_id: str) -> None:
    kinesis = client("kinesis", endpoint)
    shard = kinesis.describe_stream(StreamName="agent-telemetry")["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="agent-telemetry", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    [record] = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert record["PartitionKey"] == agent_id


def _assert_only_the_owned_are_gone(endpoint: str, topology: Topology, referenced: dict[str, str]) -> None:
    lambda_, events = client("lambda", endpoint), client("events", endpoint)
    assert lambda_.get_function(FunctionName="triage-agent")["Configuration"]["FunctionArn"] == referenced["function"]
    try:
        statements = json.loads(lambda_.get_policy(FunctionName="triage-agent")["Policy"])["Statement"]
    except lambda_.exceptions.ResourceNotFoundException:
        statements = []
    assert not [statement for statement in statements if statement["Sid"].startswith("cabructl-")]
    client("stepfunctions", endpoint).describe_state_machine(stateMachineArn=referenced["state_machine"])
    client("kinesis", endpoint).describe_stream(StreamName="agent-telemetry")
    client("events", endpoint, account=PEER_ACCOUNT, region=PEER_REGION).describe_event_bus(Name="peer-agents")
    with pytest.raises(client("iam", endpoint).exceptions.NoSuchEntityException):
        client("iam", endpoint).get_role(RoleName=f"{topology.prefix}eventbridge-targets")
    assert events.list_connections(NamePrefix=topology.prefix)["Connections"] == []
    assert events.list_api_destinations(NamePrefix=topology.prefix)["ApiDestinations"] == []
