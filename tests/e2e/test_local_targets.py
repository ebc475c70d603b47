"""A Lambda target rehearsed end to end: `cabructl local serve --function NAME=module:callable` runs the
team's Python handler in its own process, over HTTP, and `cabructl local invocations` lists each call.

The function, its permission for the rule, the bus, the rule and the target are made with boto3 (as
the topology's handlers will make them); the handler writes each event it gets to a file, which is
compared with what `local invocations --json` reports.
"""

from __future__ import annotations

import io
import json
import os
import textwrap
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from e2e_driver import REGION, Cli, serve

ACCOUNT = "123456789012"
HANDLER = '''
import json, os

def handle(event, context):
    with open(os.environ["TRIAGE_OUT"], "a") as out:
        out.write(json.dumps({"event": event, "function": context.function_name, "request": context.aws_request_id}) + "\\n")
    return {"triaged": True}
'''


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Cli]]:
    """`local serve --function triage=triage_handler:handle`, the handler's module on PYTHONPATH."""
    folder = tmp_path_factory.mktemp("functions")
    (folder / "triage_handler.py").write_text(textwrap.dedent(HANDLER))
    out = folder / "triaged.jsonl"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, "PYTHONUNBUFFERED": "1", "TRIAGE_OUT": str(out),
           "CABRUCTL_LOCAL_STATE": str(folder / "state.json"),
           "PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])}
    with serve(env, "--function", "triage=triage_handler:handle", cwd=folder) as url:
        yield url, out, Cli(folder, {**env, "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing",
                                     "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION})


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


def test_a_rule_invokes_the_python_handler_and_local_invocations_lists_it(serving: tuple[str, Path, Cli]) -> None:
    endpoint, out, cli = serving
    iam, lambda_, events = (client(service, endpoint) for service in ("iam", "lambda", "events"))
    execution = iam.create_role(RoleName="triage-exec", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("index.py", "def handle(event, context):\n    return None\n")
    function_arn = lambda_.create_function(FunctionName="triage", Runtime="python3.12", Role=execution, Handler="index.handle",
                                           Code={"ZipFile": archive.getvalue()})["FunctionArn"]
    bus = f"incidents-{uuid.uuid4().hex[:8]}"
    events.create_event_bus(Name=bus)
    rule_arn = events.put_rule(Name="critical", EventBusName=bus, EventPattern=json.dumps({"source": ["cabruca.agents.monitor"]}))["RuleArn"]
    lambda_.add_permission(FunctionName="triage", StatementId="cabructl-e2e-critical", Action="lambda:InvokeFunction",
                           Principal="events.amazonaws.com", SourceArn=rule_arn, SourceAccount=ACCOUNT)
    events.put_targets(Rule="critical", EventBusName=bus, Targets=[{"Id": "f", "Arn": function_arn, "InputTransformer": {
        "InputPathsMap": {"issue": "$.detail.issue"}, "InputTemplate": '{"issue": <issue>, "rule": <aws.events.rule-name>}'}}])

    detail = {"issue": "disk full", "severity": "CRITICAL"}
    result = events.put_events(Entries=[{"EventBusName": bus, "Source": "cabruca.agents.monitor", "DetailType": "Issue",
                                         "Detail": json.dumps(detail)}])
    assert result["FailedEntryCount"] == 0
    deadline = time.monotonic() + 10
    while not (out.exists() and out.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    [handled] = [json.loads(line) for line in out.read_text().splitlines()]
    assert handled["event"] == {"issue": "disk full", "rule": "critical"} and handled["function"] == "triage"

    listed = json.loads(cli.run("local", "invocations", "--json", "--endpoint-url", endpoint).stdout)
    [invocation] = [item for item in listed["invocations"] if item.get("kind") == "function"]
    assert (invocation["function_name"], invocation["status"], invocation["event"]) == ("triage", "handled", handled["event"])
    assert invocation["request_id"] == handled["request"] and invocation["result"] == {"triaged": True}
    assert listed["handlers"] == ["triage"]
    text = cli.run("local", "invocations").stdout  # the running endpoint, found through its state file
    assert "function triage (Event" in text and "handled" in text
