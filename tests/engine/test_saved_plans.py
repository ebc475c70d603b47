"""A saved plan is applied only while it still holds: data, ownership and existence are re-read at apply time.

Each case is a saved plan (``plan --out``) and a change made by someone else before
``apply PLANFILE``: the apply must refuse before any write, and the other party's
resource and data must be as they left them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

from cabructl.resources import handlers
from support import create_function, edit_topology, every_item

NEW_QUEUE = "  test-investigation:\n    retention: 14d"


def saved_plan(deployment: Any, folder: Path) -> Path:
    out = folder / "plan.json"
    result = deployment.cli("plan", "--out", str(out))
    assert result.exit_code == 0 and out.exists(), result.output
    return out


def apply_saved(deployment: Any, plan: Path, *options: str) -> Any:
    return deployment.cli("apply", str(plan), "--auto-approve", *options)


def queue_url(deployment: Any, name: str) -> str:
    return deployment.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def messages_in(deployment: Any, url: str) -> int:
    attributes = deployment.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_data_that_arrived_after_the_plan_is_not_destroyed(deploy: Any, tmp_path: Path) -> None:
    """Defect 1: the plan deletes an empty queue; a message arrives; apply re-reads it and refuses."""
    deployment = deploy()
    name = deployment.topology.queues["test-investigation"].name
    text = deployment.file.read_text(encoding="utf-8")
    failed_tests = text[text.index("  failed-tests:\n"):text.index("\nqueues:\n")]
    edit_topology(deployment.file, failed_tests, "")
    edit_topology(deployment.file, "  test-investigation:\n    retention: 14d\n    visibility_timeout: 5m\n    receive_wait: 20s\n    encryption: sqs\n"
                  "    redrive: {dead_letter: eventbridge-dlq, max_receives: 5}\n", "")
    edit_topology(deployment.file, "consumes: [cicd-changes, test-investigation]", "consumes: [cicd-changes]")
    plan = saved_plan(deployment, tmp_path)
    assert json.loads(plan.read_text())["summary"]["delete"] >= 3  # the rule, its target and the queue
    url = queue_url(deployment, name)
    deployment.client("sqs").send_message(QueueUrl=url, MessageBody="arrived after the plan")

    refused = apply_saved(deployment, plan)

    assert refused.exit_code == 1, refused.output
    assert "sqs.queue.test-investigation (delete) holds 1 message" in refused.output
    assert messages_in(deployment, url) == 1
    consented = apply_saved(deployment, plan, "--allow-data-loss")
    assert consented.exit_code == 0, consented.output


def test_a_resource_someone_creates_after_the_plan_is_not_taken_over(deploy: Any, tmp_path: Path) -> None:
    """Defect 2: the plan creates a queue; someone creates one of that name with tags and a message first."""
    deployment = deploy()
    edit_topology(deployment.file, "\ntopics:\n", "\n  late-queue:\n    retention: 1d\n\ntopics:\n")
    plan = saved_plan(deployment, tmp_path)
    name = deployment.topology.queues["late-queue"].name
    sqs = deployment.client("sqs")
    url = sqs.create_queue(QueueName=name, tags={"team": "someone-else"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="theirs")

    refused = apply_saved(deployment, plan)

    assert refused.exit_code == 1 and "live AWS changed since this plan was made" in refused.output, refused.output
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "someone-else"}
    assert messages_in(deployment, url) == 1
    replanned = deployment.cli("plan")
    assert replanned.exit_code == 1 and "sqs.queue.late-queue" in replanned.output and "not managed by this topology" in replanned.output


# kind → an out-of-band change to the deployed resource(s) of that kind, as another client makes it.
Change = Callable[[Any], None]


def _first(items: list[Any], key: str, prefix: str) -> Any:
    return next(item for item in items if str(item[key]).startswith(prefix) or prefix in str(item[key]))


def _retitle_dashboard(d: Any) -> None:
    cloudwatch = d.client("cloudwatch")
    name = _first(cloudwatch.list_dashboards()["DashboardEntries"], "DashboardName", d.prefix)["DashboardName"]
    body = json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"])
    body["widgets"][0]["properties"]["title"] = "someone else's title"
    cloudwatch.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))


def _new_policy_version(d: Any) -> None:
    iam = d.client("iam")
    arn = _first(every_item(iam, "list_policies", "Policies", Scope="Local"), "PolicyName", d.prefix)["Arn"]
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": "*"}]}
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True)


def _widen_logs_policy(d: Any) -> None:
    logs = d.client("logs")
    found = _first(logs.describe_resource_policies()["resourcePolicies"], "policyName", d.prefix)
    document = json.loads(found["policyDocument"])
    document["Statement"][0]["Condition"] = {}
    logs.put_resource_policy(policyName=found["policyName"], policyDocument=json.dumps(document))


def _tag_alarm(d: Any) -> None:
    cloudwatch = d.client("cloudwatch")
    arn = cloudwatch.describe_alarms(AlarmNamePrefix=d.prefix)["MetricAlarms"][0]["AlarmArn"]
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": "Team", "Value": "other"}])


def _rule(d: Any, logical: str) -> str:
    return d.prefix + logical


CHANGES: dict[str, Change] = {
    "events.bus": lambda d: d.client("events").tag_resource(
        ResourceARN=d.client("events").describe_event_bus(Name=d.bus)["Arn"], Tags=[{"Key": "Team", "Value": "other"}]),
    "events.archive": lambda d: d.client("events").update_archive(ArchiveName=d.prefix + "events-arch", Description="edited"),
    "schemas.registry": lambda d: d.client("schemas").update_registry(RegistryName=d.prefix + "agent-schemas", Description="edited"),
    "schemas.schema": lambda d: d.client("schemas").update_schema(RegistryName=d.prefix + "agent-schemas",
                                                                  SchemaName="TestResultsEvent", Description="edited"),
    "sqs.queue": lambda d: d.client("sqs").tag_queue(QueueUrl=queue_url(d, d.prefix + "cicd-changes"), Tags={"Team": "other"}),
    "sns.topic": lambda d: d.client("sns").set_topic_attributes(
        TopicArn=_first(d.client("sns").list_topics()["Topics"], "TopicArn", d.prefix)["TopicArn"],
        AttributeName="DisplayName", AttributeValue="edited"),
    "logs.group": lambda d: d.client("logs").put_retention_policy(
        logGroupName=d.topology.log_groups["agents"].name, retentionInDays=30),
    "logs.resource_policy": _widen_logs_policy,
    "events.rule": lambda d: d.client("events").put_rule(
        Name=_rule(d, "failed-tests"), EventBusName=d.bus, Description="edited",
        EventPattern=d.client("events").describe_rule(Name=_rule(d, "failed-tests"), EventBusName=d.bus)["EventPattern"]),
    "events.target": lambda d: d.client("events").put_targets(
        Rule=_rule(d, "failed-tests"), EventBusName=d.bus,
        Targets=[{"Id": "someone-elses", "Arn": d.client("sqs").get_queue_attributes(
            QueueUrl=queue_url(d, d.prefix + "eventbridge-dlq"), AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]}]),
    "cloudwatch.dashboard": _retitle_dashboard,
    "cloudwatch.alarm": _tag_alarm,
    "iam.policy": _new_policy_version,
    "iam.role": lambda d: d.client("iam").put_role_policy(
        RoleName=d.prefix + "eventbridge-targets", PolicyName="cabructl-targets", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "states:*", "Resource": "*"}]})),
    "lambda.permission": lambda d: d.client("lambda").remove_permission(
        FunctionName=d.function, StatementId=f"cabructl-{d.topology.project}-{d.topology.environment}-failed-tests"),
    "events.bus_policy": lambda d: d.client("events").remove_permission(
        EventBusName=d.bus, StatementId=f"cabructl-{d.topology.project}-{d.topology.environment}-monitor-{FOREIGN_ACCOUNT}"),
    "events.connection": lambda d: _connection(d, d.prefix + "someone-elses"),  # under the prefix: ours to delete
    "dynamodb.table": lambda d: d.client("dynamodb").tag_resource(
        ResourceArn=d.client("dynamodb").describe_table(TableName=d.prefix + "agent-state")["Table"]["TableArn"],
        Tags=[{"Key": "Team", "Value": "other"}]),
    "kms.key": lambda d: d.client("kms").tag_resource(KeyId=_key_id(d, d.prefix + "dead-letters"), Tags=[{"TagKey": "Team", "TagValue": "other"}]),
    "events.api_destination": lambda d: d.client("events").create_api_destination(
        Name=d.prefix + "someone-elses", ConnectionArn=_connection(d, f"elsewhere-{uuid.uuid4().hex[:8]}"),
        InvocationEndpoint="https://example.com/hook", HttpMethod="POST"),
}

# Kinds the real topology does not deploy: failed-tests also invokes a function (made in the endpoint
# before the apply) and starts a state machine through the targets role.
NEEDS_GRANTS = ("iam.role", "lambda.permission")
FAILED_TESTS_END = "        dead_letter: eventbridge-dlq\n\nqueues:\n"
GRANT_TARGETS = "".join(f"      - id: {id}\n        {key}: {ref}\n        retry: {{attempts: 3, max_age: 1h}}\n"
                        "        dead_letter: eventbridge-dlq\n" for id, key, ref in (
                            ("invoke", "function", "FUNCTION"),
                            ("start", "state_machine", '"arn:aws:states:{region}:{account}:stateMachine:sm"')))


# The real topology has no agent in another account: this edit puts the monitor agent in one (a bus-policy statement).
FOREIGN_ACCOUNT = "111122223333"
FOREIGN_AGENT = ("  monitor:\n    source: cabruca.agents.monitor\n",
                 f'  monitor:\n    source: cabruca.agents.monitor\n    account: "{FOREIGN_ACCOUNT}"\n')


# The real topology declares no key: these edits declare one and encrypt the dead-letter queue with it.
KEYED = ("\n\nqueues:\n", "\n\nkeys:\n  dead-letters: {description: failed deliveries}\n\nqueues:\n")
DLQ_UNDER_KEY = ("    encryption: sqs\n  critical-events-dlq:\n", "    encryption: dead-letters\n  critical-events-dlq:\n")


def _key_id(d: Any, alias: str) -> str:
    return next(a["TargetKeyId"] for a in d.client("kms").list_aliases()["Aliases"] if a["AliasName"] == f"alias/{alias}")


def deployed_for(deploy: Any, kind: str) -> Any:
    """A deployment holding a resource of ``kind``."""
    if kind == "kms.key":
        return deploy(KEYED, DLQ_UNDER_KEY)
    if kind == "events.bus_policy":
        return deploy(FOREIGN_AGENT)
    if kind not in NEEDS_GRANTS:
        return deploy()
    function = f"saved-plan-{uuid.uuid4().hex[:8]}"
    end = FAILED_TESTS_END.replace("\n\n", "\n" + GRANT_TARGETS.replace("FUNCTION", function) + "\n", 1)
    deployment = deploy((FAILED_TESTS_END, end), applied=False)
    deployment.function = create_function(deployment.client("iam"), deployment.client("lambda"), function)
    deployment.apply()
    return deployment


def _connection(d: Any, name: str) -> str:
    """A connection made by another client (the real topology declares none); its ARN."""
    return d.client("events").create_connection(Name=name, AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "X-Api-Key", "ApiKeyValue": "elsewhere"}})["ConnectionArn"]


def test_every_kind_has_a_concurrent_change_case() -> None:
    assert sorted(CHANGES) == sorted(handler.kind for handler in handlers())


@pytest.mark.parametrize("kind", sorted(CHANGES))
def test_a_change_by_another_client_after_the_plan_makes_apply_refuse(deploy: Any, tmp_path: Path, kind: str) -> None:
    deployment = deployed_for(deploy, kind)
    edit_topology(deployment.file, "  product-requests:\n    retention: 14d", "  product-requests:\n    retention: 13d")
    plan = saved_plan(deployment, tmp_path)
    CHANGES[kind](deployment)

    refused = apply_saved(deployment, plan)

    assert refused.exit_code == 1 and "live AWS changed since this plan was made" in refused.output, refused.output
    url = queue_url(deployment, deployment.prefix + "product-requests")
    retention = deployment.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["MessageRetentionPeriod"])
    assert retention["Attributes"]["MessageRetentionPeriod"] == str(14 * 86400), "nothing of the plan was applied"
