"""Lambda function targets on the local endpoint: your Python handler runs, and every invocation is recorded.

Each test creates the function (CreateFunction: its code is never run), the Lambda permission
that cabructl's ``lambda.permission`` writes, and the rule with PutTargets, straight with
boto3 on the session's endpoint; the handler is registered in this process (what
``local serve --function`` does); then it publishes and reads what the handler got. The
helpers here (roles, rules) serve the other target-kind tests too.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any, Callable

from click.testing import CliRunner

from cabructl.cli import cli
from cabructl.local.invocations import INVOCATIONS
from cabructl.policy.iam import allows
from cabructl.resources.delivery_grants import FunctionGrant, permission_statement
from cabructl.local.delivery import RuleRef, delivery_request
from tests.local.test_local_delivery import CRITICAL, PATTERN, new_queue, publish, received
from tests.local.test_local_failures import Clients, dead_letters, reasons

ACCOUNT = "123456789012"
REGION = "sa-east-1"
DETAIL = {**CRITICAL, "agentId": "pinger-7"}


def role(aws_client: Callable[[str], Any], name: str, action: str | None, resource: str, *, trusted: bool = True) -> str:
    """A role EventBridge may assume (unless ``trusted`` is False), allowed ``action`` on ``resource``."""
    iam = aws_client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "events.amazonaws.com" if trusted else "lambda.amazonaws.com"}}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if action:
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
        iam.put_role_policy(RoleName=name, PolicyName="targets", PolicyDocument=json.dumps(policy))
    return str(arn)


def rule_to(aws: Clients, bus: str, name: str, *targets: dict[str, Any]) -> str:
    arn = aws.events.put_rule(Name=name, EventBusName=bus, EventPattern=PATTERN)["RuleArn"]
    aws.events.put_targets(Rule=name, EventBusName=bus, Targets=list(targets))
    return str(arn)


# -- Lambda -------------------------------------------------------------------------------------
def function(aws_client: Callable[[str], Any], name: str) -> str:
    lambda_ = aws_client("lambda")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", "def handle(event, context):\n    return event\n")
    execution = role(aws_client, f"{name}-exec", None, "*")
    return str(lambda_.create_function(FunctionName=name, Runtime="python3.12", Role=execution, Handler="handler.handle",
                                       Code={"ZipFile": archive.getvalue()})["FunctionArn"])


def permit(aws_client: Callable[[str], Any], function_name: str, rule_arn: str) -> None:
    """What cabructl's lambda.permission writes: AddPermission for the rule, in this account."""
    aws_client("lambda").add_permission(FunctionName=function_name, StatementId="cabructl-test", Action="lambda:InvokeFunction",
                                        Principal="events.amazonaws.com", SourceArn=rule_arn, SourceAccount=ACCOUNT)


def invocations_of(name: str) -> list[dict[str, Any]]:
    return [item for item in INVOCATIONS.listing() if item.get("function_name") == name]


def test_the_statement_the_topology_derives_lets_the_rule_invoke() -> None:
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/b/r"
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:triage"
    statement = permission_statement(FunctionGrant(None, arn, "cabructl-x", rule, ACCOUNT))  # type: ignore[arg-type]
    document = {"Version": "2012-10-17", "Statement": [statement]}
    reference = RuleRef("r", rule, "b", ACCOUNT, REGION)
    assert allows(document, delivery_request("lambda:InvokeFunction", arn, reference))
    other = RuleRef("o", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/b/o", "b", ACCOUNT, REGION)
    assert not allows(document, delivery_request("lambda:InvokeFunction", arn, other))


def test_a_function_handler_gets_the_rendered_payload_and_is_listed(aws: Clients, bus: str, unique: Callable[[str], str],
                                                                    aws_client: Callable[[str], Any], local_aws: Any) -> None:
    name, calls = unique("triage"), []
    INVOCATIONS.register(name, lambda event, context: calls.append((event, context)) or {"ok": True})
    arn = function(aws_client, name)
    rule = unique("critical")
    rule_arn = rule_to(aws, bus, rule, {"Id": "f", "Arn": arn, "InputTransformer": {
        "InputPathsMap": {"agent": "$.detail.agentId"}, "InputTemplate": '{"agent": <agent>, "rule": <aws.events.rule-name>}'}})
    permit(aws_client, name, rule_arn)
    publish(aws, bus, DETAIL)
    [(event, context)] = calls
    assert event == {"agent": "pinger-7", "rule": rule}
    assert (context.function_name, context.invoked_function_arn) == (name, arn)
    assert context.aws_request_id and context.get_remaining_time_in_millis() > 0
    result = CliRunner().invoke(cli, ["local", "invocations", "--json", "--endpoint-url", local_aws.endpoint_url])
    assert result.exit_code == 0, result.output
    [listed] = [item for item in json.loads(result.output)["invocations"] if item.get("function_name") == name]
    assert (listed["status"], listed["event"], listed["invocation_type"]) == ("handled", event, "Event")
    assert listed["request_id"] == context.aws_request_id


def test_a_handler_that_raises_is_recorded_but_the_async_delivery_succeeded(
        aws: Clients, bus: str, unique: Callable[[str], str], aws_client: Callable[[str], Any]) -> None:
    name = unique("broken")

    def fails(event: Any, context: Any) -> None:
        raise RuntimeError("disk on fire")

    INVOCATIONS.register(name, fails)
    arn = function(aws_client, name)
    dlq_url, dlq_arn = new_queue(aws, unique("dlq"))
    permit(aws_client, name, rule_to(aws, bus, unique("critical"), {"Id": "f", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}}))
    publish(aws, bus, DETAIL)
    [record] = invocations_of(name)
    assert (record["status"], record["error"]) == ("error", {"type": "RuntimeError", "message": "disk on fire"})
    assert received(aws, dlq_url) == []  # Lambda accepted the asynchronous invocation


def test_a_function_without_a_handler_is_recorded(aws: Clients, bus: str, unique: Callable[[str], str],
                                                   aws_client: Callable[[str], Any]) -> None:
    name = unique("unhandled")
    arn = function(aws_client, name)
    permit(aws_client, name, rule_to(aws, bus, unique("critical"), {"Id": "f", "Arn": arn}))
    publish(aws, bus, DETAIL)
    [record] = invocations_of(name)
    assert record["status"] == "no-handler" and record["event"]["detail"] == DETAIL


def test_a_missing_function_goes_to_the_dlq_with_no_resource(aws: Clients, bus: str, unique: Callable[[str], str]) -> None:
    dlq_url, dlq_arn = new_queue(aws, unique("dlq"))
    missing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{unique('gone')}"
    rule_to(aws, bus, unique("critical"), {"Id": "f", "Arn": missing, "DeadLetterConfig": {"Arn": dlq_arn},
                                          "RetryPolicy": {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600}})
    publish(aws, bus, DETAIL)
    attributes = reasons(dead_letters(aws, dlq_url)[0])
    assert (attributes["ERROR_CODE"], attributes["RETRY_ATTEMPTS"]) == ("NO_RESOURCE", "0")


def test_a_function_whose_policy_does_not_name_the_rule_is_not_invoked(
        aws: Clients, bus: str, unique: Callable[[str], str], aws_client: Callable[[str], Any]) -> None:
    name = unique("closed")
    arn = function(aws_client, name)
    dlq_url, dlq_arn = new_queue(aws, unique("dlq"))
    rule_to(aws, bus, unique("critical"), {"Id": "f", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}})
    permit(aws_client, name, f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{bus}/another-rule")
    publish(aws, bus, DETAIL)
    attributes = reasons(dead_letters(aws, dlq_url)[0])
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS" and "lambda:InvokeFunction" in attributes["ERROR_MESSAGE"]
    assert invocations_of(name) == []


def test_a_synchronous_invoke_answers_with_the_handlers_result_or_its_error(unique: Callable[[str], str],
                                                                           aws_client: Callable[[str], Any]) -> None:
    name, lambda_ = unique("sync"), aws_client("lambda")
    INVOCATIONS.register(name, lambda event, context: {"echo": event, "name": context.function_name})
    function(aws_client, name)
    answer = lambda_.invoke(FunctionName=name, Payload=b'{"a": 1}')
    assert json.loads(answer["Payload"].read()) == {"echo": {"a": 1}, "name": name} and "FunctionError" not in answer
    INVOCATIONS.register(name, lambda event, context: 1 / 0)
    failed = lambda_.invoke(FunctionName=name, Payload=b"{}")
    assert failed["FunctionError"] == "Unhandled" and json.loads(failed["Payload"].read())["errorType"] == "ZeroDivisionError"


def test_a_function_option_that_cannot_be_imported_is_a_usage_error() -> None:
    for option in ("triage", "triage=nowhere_at_all:handle", "triage=json:no_such_callable"):
        result = CliRunner().invoke(cli, ["local", "serve", "--port", "0", "--function", option])
        assert result.exit_code == 64 and "--function" in result.output, (option, result.exit_code, result.output)
