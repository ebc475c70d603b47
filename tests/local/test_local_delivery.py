"""EventBridge rules deliver through the local endpoint: to SNS (added by cabructl), SQS and Logs (moto)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

import pytest

SOURCE = "cabruca.agents.test"
PATTERN = json.dumps({"source": [SOURCE], "detail": {"severity": ["critical"]}})
CRITICAL = {"severity": "critical", "issue": "disk full"}


@dataclass
class Clients:
    events: Any
    sns: Any
    sqs: Any
    logs: Any


def events_may(action: str, resource: str) -> str:
    """A resource policy letting EventBridge deliver (for any rule of the account)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": action, "Resource": resource,
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]})


def new_queue(aws: Clients, name: str, *, open_to_events: bool = True) -> tuple[str, str]:
    url = aws.sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if open_to_events:
        aws.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": events_may("sqs:SendMessage", arn)})
    return url, arn


def topic_with_queue(aws: Clients, unique: Callable[[str], str], raw: bool = False) -> tuple[str, str]:
    """A topic EventBridge may publish to, and the URL of a queue subscribed to it."""
    topic_arn = aws.sns.create_topic(Name=unique("topic"))["TopicArn"]
    aws.sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=events_may("sns:Publish", topic_arn))
    queue_url, queue_arn = new_queue(aws, unique("subscriber"))
    attributes = {"RawMessageDelivery": "true"} if raw else {}
    aws.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)
    return topic_arn, queue_url


def route(aws: Clients, bus: str, rule: str, *targets: dict[str, Any]) -> None:
    aws.events.put_rule(Name=rule, EventBusName=bus, EventPattern=PATTERN)
    aws.events.put_targets(Rule=rule, EventBusName=bus, Targets=list(targets))


def publish(aws: Clients, bus: str, detail: dict[str, Any]) -> str:
    result = aws.events.put_events(Entries=[{"EventBusName": bus, "Source": SOURCE, "DetailType": "IssueDetected", "Detail": json.dumps(detail)}])
    assert result["FailedEntryCount"] == 0
    return result["Entries"][0]["EventId"]


def received(aws: Clients, queue_url: str) -> list[str]:
    """Delivery happens inside PutEvents, so whatever arrived is already there."""
    messages = aws.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [message["Body"] for message in messages]


def sns_payloads(aws: Clients, queue_url: str) -> list[str]:
    return [json.loads(body)["Message"] for body in received(aws, queue_url)]


def test_event_reaches_a_queue_subscribed_to_the_rules_sns_target(aws: Clients, bus: str, unique: Callable[[str], str], local_aws: Any) -> None:
    topic_arn, queue_url = topic_with_queue(aws, unique)
    route(aws, bus, unique("critical"), {"Id": "sns", "Arn": topic_arn})
    event_id = publish(aws, bus, CRITICAL)
    [message] = sns_payloads(aws, queue_url)
    event = json.loads(message)
    assert (event["id"], event["source"], event["detail-type"], event["detail"]) == (event_id, SOURCE, "IssueDetected", CRITICAL)
    assert (event["account"], event["region"]) == ("123456789012", local_aws.region)
    assert event["time"].endswith("Z") and "ingestion-time" not in event


def test_events_the_rule_does_not_match_are_not_published(aws: Clients, bus: str, unique: Callable[[str], str]) -> None:
    topic_arn, queue_url = topic_with_queue(aws, unique)
    route(aws, bus, unique("critical"), {"Id": "sns", "Arn": topic_arn})
    publish(aws, bus, {"severity": "low"})
    assert received(aws, queue_url) == []


def test_constant_input_and_input_transformer_shape_the_sns_message(aws: Clients, bus: str, unique: Callable[[str], str]) -> None:
    constant_topic, constant_queue = topic_with_queue(aws, unique, raw=True)
    transformed_topic, transformed_queue = topic_with_queue(aws, unique, raw=True)
    transformer = {"InputPathsMap": {"issue": "$.detail.issue"}, "InputTemplate": '{"alert": "<issue>"}'}
    route(
        aws,
        bus,
        unique("critical"),
        {"Id": "constant", "Arn": constant_topic, "Input": '{"page": "on-call"}'},
        {"Id": "transformed", "Arn": transformed_topic, "InputTransformer": transformer},
    )
    publish(aws, bus, CRITICAL)
    assert [json.loads(body) for body in received(aws, constant_queue)] == [{"page": "on-call"}]
    assert [json.loads(body) for body in received(aws, transformed_queue)] == [{"alert": "disk full"}]


def test_sqs_and_logs_targets_still_deliver_beside_sns(aws: Clients, bus: str, unique: Callable[[str], str]) -> None:
    topic_arn, subscriber_url = topic_with_queue(aws, unique)
    queue_url, queue_arn = new_queue(aws, unique("direct"))
    log_group = f"/aws/events/{unique('critical')}"
    aws.logs.create_log_group(logGroupName=log_group)
    aws.logs.put_resource_policy(policyName="events-to-test-groups", policyDocument=events_may(
        "logs:*", "arn:aws:logs:*:123456789012:log-group:/aws/events/*"))
    log_group_arn = aws.logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"][0]["arn"].removesuffix(":*")
    route(aws, bus, unique("critical"), {"Id": "sns", "Arn": topic_arn}, {"Id": "sqs", "Arn": queue_arn}, {"Id": "logs", "Arn": log_group_arn})
    event_id = publish(aws, bus, CRITICAL)
    assert json.loads(sns_payloads(aws, subscriber_url)[0])["id"] == event_id
    assert json.loads(received(aws, queue_url)[0])["id"] == event_id
    [logged] = aws.logs.filter_log_events(logGroupName=log_group)["events"]
    assert json.loads(logged["message"])["id"] == event_id


def test_a_missing_topic_fails_only_its_own_delivery(aws: Clients, bus: str, unique: Callable[[str], str], local_aws: Any) -> None:
    missing_topic = f"arn:aws:sns:{local_aws.region}:123456789012:{unique('missing')}"
    queue_url, queue_arn = new_queue(aws, unique("direct"))
    route(aws, bus, unique("critical"), {"Id": "gone", "Arn": missing_topic}, {"Id": "sqs", "Arn": queue_arn})
    publish(aws, bus, CRITICAL)
    assert len(received(aws, queue_url)) == 1


def test_sqs_and_logs_targets_receive_their_input_path_and_transformer(aws: Clients, bus: str, unique: Callable[[str], str]) -> None:
    path_url, path_arn = new_queue(aws, unique("slim"))
    transformed_url, transformed_arn = new_queue(aws, unique("page"))
    transformer = {"InputPathsMap": {"sev": "$.detail.severity", "what": "$.detail.issue"},
                   "InputTemplate": '"<what> is <sev>"'}
    route(aws, bus, unique("critical"), {"Id": "slim", "Arn": path_arn, "InputPath": "$.detail"},
          {"Id": "page", "Arn": transformed_arn, "InputTransformer": transformer})
    publish(aws, bus, CRITICAL)
    assert [json.loads(body) for body in received(aws, path_url)] == [CRITICAL]
    assert received(aws, transformed_url) == ['"disk full is critical"']


def test_put_targets_refuses_an_input_aws_would_refuse(aws: Clients, bus: str, unique: Callable[[str], str]) -> None:
    from botocore.exceptions import ClientError

    _, queue_arn = new_queue(aws, unique("twice"))
    rule = unique("critical")
    aws.events.put_rule(Name=rule, EventBusName=bus, EventPattern=PATTERN)
    with pytest.raises(ClientError, match="ValidationException"):
        aws.events.put_targets(Rule=rule, EventBusName=bus, Targets=[
            {"Id": "twice", "Arn": queue_arn, "Input": "{}", "InputPath": "$.detail"}])
