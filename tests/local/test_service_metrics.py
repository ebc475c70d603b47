"""The local endpoint records the SQS, Logs, SNS and DynamoDB metrics AWS emits, as a client reads them back."""

from __future__ import annotations

import datetime as _dt
import json
import logging
from typing import Any, Callable

import pytest

from cabructl.local.service_metrics import install_service_metrics
from tests.local.test_local_delivery import CRITICAL, Clients, events_may, new_queue, publish, route

ACCOUNT = "123456789012"


@pytest.fixture
def cloudwatch(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("cloudwatch")


def total(cloudwatch: Any, namespace: str, metric: str, dimension: str, value: str) -> float:
    """The Sum a dashboard would show for the last few minutes."""
    now = _dt.datetime.now(_dt.timezone.utc)
    points = cloudwatch.get_metric_statistics(
        Namespace=namespace, MetricName=metric, Dimensions=[{"Name": dimension, "Value": value}],
        StartTime=now - _dt.timedelta(minutes=10), EndTime=now + _dt.timedelta(minutes=1), Period=3600,
        Statistics=["Sum"])["Datapoints"]
    return sum(point["Sum"] for point in points)


def queue_totals(cloudwatch: Any, queue: str) -> dict[str, float]:
    """The four SQS counters of one queue, read with GetMetricData (what `cabructl cost` reads)."""
    now = _dt.datetime.now(_dt.timezone.utc)
    metrics = ("NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted", "NumberOfEmptyReceives")
    queries = [{"Id": f"m{n}", "ReturnData": True, "MetricStat": {"Stat": "Sum", "Period": 3600, "Metric": {
        "Namespace": "AWS/SQS", "MetricName": metric, "Dimensions": [{"Name": "QueueName", "Value": queue}]}}}
        for n, metric in enumerate(metrics)]
    results = cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=now - _dt.timedelta(minutes=10),
                                         EndTime=now + _dt.timedelta(minutes=1))["MetricDataResults"]
    by_id = {result["Id"]: sum(result["Values"]) for result in results}
    return {metric: by_id[f"m{n}"] for n, metric in enumerate(metrics)}


def log_group_policy(aws: Clients) -> None:
    """The Logs resource policy test_local_delivery also puts (same name: putting it again changes nothing)."""
    aws.logs.put_resource_policy(policyName="events-to-test-groups", policyDocument=events_may(
        "logs:*", f"arn:aws:logs:*:{ACCOUNT}:log-group:/aws/events/*"))


def test_sqs_counts_messages_sent_received_deleted_and_empty_receives(aws: Clients, cloudwatch: Any,
                                                                       unique: Callable[[str], str]) -> None:
    name = unique("metered")
    url = aws.sqs.create_queue(QueueName=name)["QueueUrl"]
    aws.sqs.send_message(QueueUrl=url, MessageBody="one")
    aws.sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "2", "MessageBody": "two"}, {"Id": "3", "MessageBody": "three"}])
    messages = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]
    assert len(messages) == 3
    assert "Messages" not in aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    aws.sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for n, m in enumerate(messages[1:])])
    totals = queue_totals(cloudwatch, name)
    assert (totals["NumberOfMessagesSent"], totals["NumberOfMessagesReceived"], totals["NumberOfMessagesDeleted"]) == (3, 3, 3)
    assert totals["NumberOfEmptyReceives"] >= 1
    assert total(cloudwatch, "AWS/SQS", "NumberOfMessagesSent", "QueueName", name) == 3  # GetMetricStatistics agrees


def test_put_log_events_counts_events_and_their_utf8_bytes(aws: Clients, cloudwatch: Any, unique: Callable[[str], str]) -> None:
    group = f"/cabructl/test/{unique('metered')}"
    aws.logs.create_log_group(logGroupName=group)
    aws.logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(_dt.datetime.now(_dt.timezone.utc).timestamp() * 1000)
    messages = ["plain ascii", "café com açúcar", "\N{ELECTRIC LIGHT BULB} idea"]
    aws.logs.put_log_events(logGroupName=group, logStreamName="s",
                            logEvents=[{"timestamp": now + n, "message": text} for n, text in enumerate(messages)])
    assert total(cloudwatch, "AWS/Logs", "IncomingLogEvents", "LogGroupName", group) == 3
    assert total(cloudwatch, "AWS/Logs", "IncomingBytes", "LogGroupName", group) == sum(len(m.encode()) for m in messages)


def test_sns_counts_published_messages_and_each_subscriptions_outcome(aws: Clients, cloudwatch: Any,
                                                                     unique: Callable[[str], str]) -> None:
    topic = unique("metered")
    topic_arn = aws.sns.create_topic(Name=topic)["TopicArn"]
    subscriber, subscriber_arn = new_queue(aws, unique("subscriber"))
    picky_url, picky_arn = new_queue(aws, unique("picky"))
    aws.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=subscriber_arn)
    aws.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=picky_arn,
                      Attributes={"FilterPolicy": json.dumps({"kind": ["never-sent"]})})
    aws.sns.publish(TopicArn=topic_arn, Message="one")
    aws.sns.publish_batch(TopicArn=topic_arn, PublishBatchRequestEntries=[{"Id": "2", "Message": "two"},
                                                                          {"Id": "3", "Message": "three"}])
    assert total(cloudwatch, "AWS/SNS", "NumberOfMessagesPublished", "TopicName", topic) == 3
    assert total(cloudwatch, "AWS/SNS", "NumberOfNotificationsDelivered", "TopicName", topic) == 3
    assert total(cloudwatch, "AWS/SNS", "NumberOfNotificationsFilteredOut", "TopicName", topic) == 3
    assert total(cloudwatch, "AWS/SNS", "NumberOfNotificationsFailed", "TopicName", topic) == 0
    # SNS's fan-out into the queue is a message sent to it, as AWS counts it.
    assert total(cloudwatch, "AWS/SQS", "NumberOfMessagesSent", "QueueName", subscriber.rsplit("/", 1)[1]) == 3
    assert total(cloudwatch, "AWS/SQS", "NumberOfMessagesSent", "QueueName", picky_url.rsplit("/", 1)[1]) == 0


def test_eventbridge_deliveries_count_in_their_targets_metrics(aws: Clients, bus: str, cloudwatch: Any,
                                                              unique: Callable[[str], str]) -> None:
    queue = unique("target")
    _, queue_arn = new_queue(aws, queue)
    dead_letters = unique("dlq")
    _, dlq_arn = new_queue(aws, dead_letters)
    _, closed_arn = new_queue(aws, unique("closed"), open_to_events=False)  # refuses EventBridge: straight to the DLQ
    topic = unique("target")
    topic_arn = aws.sns.create_topic(Name=topic)["TopicArn"]
    aws.sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=events_may("sns:Publish", topic_arn))
    group = f"/aws/events/{unique('metered')}"
    aws.logs.create_log_group(logGroupName=group)
    log_group_policy(aws)
    group_arn = aws.logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"].removesuffix(":*")
    route(aws, bus, unique("critical"), {"Id": "sqs", "Arn": queue_arn}, {"Id": "logs", "Arn": group_arn},
          {"Id": "sns", "Arn": topic_arn}, {"Id": "closed", "Arn": closed_arn, "DeadLetterConfig": {"Arn": dlq_arn}})
    publish(aws, bus, CRITICAL)
    publish(aws, bus, CRITICAL)
    assert total(cloudwatch, "AWS/SQS", "NumberOfMessagesSent", "QueueName", queue) == 2
    assert total(cloudwatch, "AWS/SQS", "NumberOfMessagesSent", "QueueName", dead_letters) == 2
    assert total(cloudwatch, "AWS/SNS", "NumberOfMessagesPublished", "TopicName", topic) == 2
    logged = [event["message"] for event in aws.logs.filter_log_events(logGroupName=group)["events"]]
    assert len(logged) == 2
    assert total(cloudwatch, "AWS/Logs", "IncomingLogEvents", "LogGroupName", group) == 2
    assert total(cloudwatch, "AWS/Logs", "IncomingBytes", "LogGroupName", group) == sum(len(m.encode()) for m in logged)


def test_dynamodb_writes_consume_a_unit_per_started_kb_and_failed_conditions_one(
        aws_client: Callable[[str], Any], cloudwatch: Any, unique: Callable[[str], str]) -> None:
    dynamodb, table = aws_client("dynamodb"), unique("metered")
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    dynamodb.put_item(TableName=table, Item={"id": {"S": "a"}}, ConditionExpression="attribute_not_exists(id)")  # 1
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):  # 1, as on AWS
        dynamodb.put_item(TableName=table, Item={"id": {"S": "a"}}, ConditionExpression="attribute_not_exists(id)")
    dynamodb.update_item(TableName=table, Key={"id": {"S": "a"}}, UpdateExpression="SET n = :n",
                         ExpressionAttributeValues={":n": {"N": "1"}})  # 1
    dynamodb.delete_item(TableName=table, Key={"id": {"S": "a"}})  # 1
    dynamodb.put_item(TableName=table, Item={"id": {"S": "big"}, "body": {"S": "x" * 2500}})  # 2.5 KB: 3
    assert total(cloudwatch, "AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", table) == 7
    assert total(cloudwatch, "AWS/DynamoDB", "ConditionalCheckFailedRequests", "TableName", table) == 1


def test_calls_the_endpoint_does_not_serve_are_not_counted(aws: Clients, cloudwatch: Any, unique: Callable[[str], str],
                                                          local_aws: Any) -> None:
    """moto used in-process (``mock_aws``, a backend called directly) keeps its CloudWatch as it was."""
    from moto.sqs.models import SQSBackend, sqs_backends

    name = unique("direct")
    aws.sqs.create_queue(QueueName=name)
    before = SQSBackend.send_message
    install_service_metrics(lambda: True)  # again: nothing is wrapped twice
    assert SQSBackend.send_message is before
    sqs_backends[ACCOUNT][local_aws.region].send_message(name, "not through the endpoint")
    assert total(cloudwatch, "AWS/SQS", "NumberOfMessagesSent", "QueueName", name) == 0


def test_a_cloudwatch_failure_never_fails_the_call(aws: Clients, cloudwatch: Any, unique: Callable[[str], str],
                                                   monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("CloudWatch is down")

    name = unique("unrecorded")
    url = aws.sqs.create_queue(QueueName=name)["QueueUrl"]
    monkeypatch.setattr(CloudWatchBackend, "put_metric_data", broken)
    with caplog.at_level(logging.WARNING, logger="cabructl.local.service_metrics"):
        aws.sqs.send_message(QueueUrl=url, MessageBody="still sent")
    monkeypatch.undo()
    assert [m["Body"] for m in aws.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)["Messages"]] == ["still sent"]
    assert any("CloudWatch is down" in record.getMessage() for record in caplog.records)


def test_sns_counts_http_deliveries_and_a_delivery_that_raised_as_failed(aws: Clients, cloudwatch: Any, hook: Any,
                                                                       unique: Callable[[str], str]) -> None:
    from botocore.exceptions import ClientError

    topic = unique("metered")
    topic_arn = aws.sns.create_topic(Name=topic)["TopicArn"]
    aws.sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=f"{hook.url}/hook")
    aws.sns.publish(TopicArn=topic_arn, Message="to the webhook")
    assert any(json.loads(seen["body"]).get("Message") == "to the webhook" for seen in hook.seen)
    assert total(cloudwatch, "AWS/SNS", "NumberOfNotificationsDelivered", "TopicName", topic) == 1
    gone_url, gone_arn = new_queue(aws, unique("gone"))
    aws.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=gone_arn)
    aws.sqs.delete_queue(QueueUrl=gone_url)
    try:  # moto fails the whole Publish when one delivery raises (AWS would not): either way it is counted
        aws.sns.publish(TopicArn=topic_arn, Message="to a deleted queue")
    except ClientError:
        pass
    assert total(cloudwatch, "AWS/SNS", "NumberOfNotificationsFailed", "TopicName", topic) == 1
