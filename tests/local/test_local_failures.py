"""The local endpoint fails deliveries as AWS does: permissions, missing targets, retries, dead letters, metrics."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any, Callable

import pytest

from tests.local.test_local_delivery import CRITICAL, PATTERN, SOURCE, Clients, events_may, new_queue, publish, received

DLQ_ATTRIBUTES = ("RULE_ARN", "TARGET_ARN", "ERROR_CODE", "ERROR_MESSAGE")


@pytest.fixture
def aws(aws_client: Callable[[str], Any]) -> Clients:
    return Clients(*(aws_client(service) for service in ("events", "sns", "sqs", "logs")))


@pytest.fixture
def cloudwatch(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("cloudwatch")


@pytest.fixture
def bus(aws: Clients, unique: Callable[[str], str]) -> str:
    name = unique("bus")
    aws.events.create_event_bus(Name=name)
    return name


def rule_to(aws: Clients, bus: str, name: str, target: dict[str, Any]) -> str:
    arn = aws.events.put_rule(Name=name, EventBusName=bus, EventPattern=PATTERN)["RuleArn"]
    aws.events.put_targets(Rule=name, EventBusName=bus, Targets=[target])
    return str(arn)


def dead_letters(aws: Clients, url: str, expected: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
    """Wait for ``expected`` messages in a DLQ (retries run on the endpoint's own thread)."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(found) < expected and time.monotonic() < deadline:
        found += aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         MessageAttributeNames=["All"]).get("Messages", [])
    return found


def reasons(message: dict[str, Any]) -> dict[str, str]:
    return {name: value["StringValue"] for name, value in message.get("MessageAttributes", {}).items()}


def test_a_queue_whose_policy_does_not_allow_eventbridge_sends_the_event_to_the_dlq(aws: Clients, bus: str, unique: Callable[[str], str]) -> None:
    dlq_url, dlq_arn = new_queue(aws, unique("dlq"))
    target_url, target_arn = new_queue(aws, unique("closed"), open_to_events=False)
    rule_arn = rule_to(aws, bus, unique("critical"), {"Id": "closed", "Arn": target_arn, "DeadLetterConfig": {"Arn": dlq_arn}})
    event_id = publish(aws, bus, CRITICAL)
    assert received(aws, target_url) == []
    [letter] = dead_letters(aws, dlq_url)
    attributes = reasons(letter)
    assert (attributes["ERROR_CODE"], attributes["RULE_ARN"], attributes["TARGET_ARN"]) == ("NO_PERMISSIONS", rule_arn, target_arn)
    assert "sqs:SendMessage" in attributes["ERROR_MESSAGE"] and attributes["RETRY_ATTEMPTS"] == "0"
    assert json.loads(letter["Body"])["id"] == event_id  # the event itself, not the rendered input


def test_a_statement_for_another_rule_does_not_let_this_rule_deliver(aws: Clients, bus: str, unique: Callable[[str], str]) -> None:
    dlq_url, dlq_arn = new_queue(aws, unique("dlq"))
    target_url, target_arn = new_queue(aws, unique("scoped"), open_to_events=False)
    other_rule = f"arn:aws:events:sa-east-1:123456789012:rule/{bus}/some-other-rule"
    policy = json.loads(events_may("sqs:SendMessage", target_arn))
    policy["Statement"][0]["Condition"] = {"ArnEquals": {"aws:SourceArn": other_rule}}
    aws.sqs.set_queue_attributes(QueueUrl=target_url, Attributes={"Policy": json.dumps(policy)})
    rule_to(aws, bus, unique("critical"), {"Id": "scoped", "Arn": target_arn, "DeadLetterConfig": {"Arn": dlq_arn}})
    publish(aws, bus, CRITICAL)
    assert reasons(dead_letters(aws, dlq_url)[0])["ERROR_CODE"] == "NO_PERMISSIONS"


def test_a_missing_target_goes_to_the_dlq_at_once_with_no_resource(aws: Clients, bus: str, unique: Callable[[str], str]) -> None:
    dlq_url, dlq_arn = new_queue(aws, unique("dlq"))
    missing = f"arn:aws:sqs:sa-east-1:123456789012:{unique('gone')}"
    rule_to(aws, bus, unique("critical"), {"Id": "gone", "Arn": missing, "DeadLetterConfig": {"Arn": dlq_arn},
                                          "RetryPolicy": {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600}})
    publish(aws, bus, CRITICAL)
    attributes = reasons(dead_letters(aws, dlq_url)[0])
    assert (attributes["ERROR_CODE"], attributes["RETRY_ATTEMPTS"]) == ("NO_RESOURCE", "0")


def test_an_injected_retried_failure_is_retried_per_the_policy_then_dead_lettered(
        aws: Clients, bus: str, unique: Callable[[str], str], local_aws: Any) -> None:
    dlq_url, dlq_arn = new_queue(aws, unique("dlq"))
    target_url, target_arn = new_queue(aws, unique("flaky"))
    target_id = unique("flaky")
    local_aws.failures.set(target_id, "THROTTLING")
    try:
        rule_to(aws, bus, unique("critical"), {"Id": target_id, "Arn": target_arn, "DeadLetterConfig": {"Arn": dlq_arn},
                                              "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}})
        publish(aws, bus, CRITICAL)
        attributes = reasons(dead_letters(aws, dlq_url)[0])
    finally:
        local_aws.failures.clear(target_id)
    assert (attributes["ERROR_CODE"], attributes["RETRY_ATTEMPTS"]) == ("THROTTLING", "3")
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert received(aws, target_url) == []


def test_a_failure_that_clears_before_retries_end_is_delivered(aws: Clients, bus: str, unique: Callable[[str], str], local_aws: Any) -> None:
    target_url, target_arn = new_queue(aws, unique("recovers"))
    target_id = unique("recovers")
    local_aws.failures.set(target_id, "INTERNAL_ERROR")
    rule_to(aws, bus, unique("critical"), {"Id": target_id, "Arn": target_arn,
                                          "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}})
    publish(aws, bus, CRITICAL)
    assert received(aws, target_url) == []
    local_aws.failures.clear(target_id)
    bodies: list[str] = []
    deadline = time.monotonic() + 10
    while not bodies and time.monotonic() < deadline:
        bodies = [m["Body"] for m in aws.sqs.receive_message(QueueUrl=target_url, WaitTimeSeconds=1).get("Messages", [])]
    assert json.loads(bodies[0])["detail"] == CRITICAL


def test_a_dlq_that_does_not_allow_eventbridge_drops_the_event_and_counts_it(
        aws: Clients, bus: str, unique: Callable[[str], str], local_aws: Any) -> None:
    dlq_url, dlq_arn = new_queue(aws, unique("closed-dlq"), open_to_events=False)
    _, target_arn = new_queue(aws, unique("closed"), open_to_events=False)
    dropped = local_aws.delivery.dropped
    rule_to(aws, bus, unique("critical"), {"Id": "closed", "Arn": target_arn, "DeadLetterConfig": {"Arn": dlq_arn}})
    publish(aws, bus, CRITICAL)
    assert received(aws, dlq_url) == []
    assert local_aws.delivery.dropped == dropped + 1


def test_metrics_count_matches_invocations_and_dead_letters_per_rule(
        aws: Clients, bus: str, unique: Callable[[str], str], cloudwatch: Any) -> None:
    _, good_arn = new_queue(aws, unique("open"))
    _, dlq_arn = new_queue(aws, unique("dlq"))
    _, closed_arn = new_queue(aws, unique("closed"), open_to_events=False)
    good, bad = unique("good"), unique("bad")
    rule_to(aws, bus, good, {"Id": "open", "Arn": good_arn})
    rule_to(aws, bus, bad, {"Id": "closed", "Arn": closed_arn, "DeadLetterConfig": {"Arn": dlq_arn}})
    publish(aws, bus, CRITICAL)
    publish(aws, bus, CRITICAL)
    publish(aws, bus, {"severity": "low"})

    def total(metric: str, rule: str | None = None) -> float:
        dimensions = [{"Name": "EventBusName", "Value": bus}] + ([{"Name": "RuleName", "Value": rule}] if rule else [])
        points = cloudwatch.get_metric_statistics(Namespace="AWS/Events", MetricName=metric, Dimensions=dimensions,
                                                  StartTime=time.time() - 600, EndTime=time.time() + 60, Period=60,
                                                  Statistics=["Sum"])["Datapoints"]
        return sum(point["Sum"] for point in points)

    assert (total("MatchedEvents", good), total("TriggeredRules", good), total("Invocations", good)) == (2, 2, 2)
    assert total("MatchedEvents") == 4  # per bus: both rules' matches
    assert (total("FailedInvocations", bad), total("InvocationsSentToDlq", bad), total("FailedInvocations", good)) == (2, 2, 0)
    assert total("InvocationAttempts", bad) == 2


def test_test_event_pattern_answers_with_cabructls_matcher(aws: Clients) -> None:
    event = {"id": "1", "account": "123456789012", "source": SOURCE, "time": "2026-01-01T00:00:00Z", "region": "sa-east-1",
             "detail-type": "x", "resources": [], "detail": {"items": [{"state": "ok"}, {"state": "failed"}], "flag": True}}
    ask = lambda pattern: aws.events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"]  # noqa: E731
    assert ask({"detail": {"items": {"state": ["failed"]}}}) is True  # arrays of objects, element-wise (moto: no)
    assert ask({"detail": {"flag": [1]}}) is False  # true is not 1 (moto: yes)
    assert ask({"source": [{"prefix": "cabruca."}]}) is True


def test_an_invalid_pattern_is_refused_by_put_rule_and_test_event_pattern(aws: Clients, bus: str, unique: Callable[[str], str]) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="InvalidEventPatternException"):
        aws.events.put_rule(Name=unique("bad"), EventBusName=bus, EventPattern=json.dumps({"source": "not-a-list"}))
    with pytest.raises(ClientError, match="InvalidEventPatternException"):
        aws.events.test_event_pattern(EventPattern='{"source": []}', Event=json.dumps({"id": "1"}))


def test_replay_sends_only_the_window_and_only_to_the_filtered_rules(aws: Clients, bus: str, unique: Callable[[str], str]) -> None:
    bus_arn = aws.events.describe_event_bus(Name=bus)["Arn"]
    archive_arn = aws.events.create_archive(ArchiveName=unique("archive")[:48], EventSourceArn=bus_arn)["ArchiveArn"]
    kept_url, kept_arn = new_queue(aws, unique("kept"))
    skipped_url, skipped_arn = new_queue(aws, unique("skipped"))
    kept_rule = rule_to(aws, bus, unique("kept"), {"Id": "kept", "Arn": kept_arn})
    rule_to(aws, bus, unique("skipped"), {"Id": "skipped", "Arn": skipped_arn})
    for when, issue in ((1_700_000_000, "old"), (1_800_000_000, "in window")):
        aws.events.put_events(Entries=[{"EventBusName": bus, "Source": SOURCE, "DetailType": "IssueDetected", "Time": when,
                                        "Detail": json.dumps({**CRITICAL, "issue": issue})}])
    received(aws, kept_url), received(aws, skipped_url)  # the live deliveries
    aws.events.start_replay(ReplayName=unique("replay"), EventSourceArn=archive_arn, EventStartTime=1_799_000_000,
                            EventEndTime=1_801_000_000, Destination={"Arn": bus_arn, "FilterArns": [kept_rule]})
    replayed = [json.loads(body) for body in received(aws, kept_url)]
    assert [event["detail"]["issue"] for event in replayed] == ["in window"]
    assert replayed[0]["replay-name"].startswith("replay")
    assert received(aws, skipped_url) == []


def test_failures_can_be_set_and_cleared_with_the_control_call(local_aws: Any, unique: Callable[[str], str]) -> None:
    target_id = unique("target")
    url = f"{local_aws.endpoint_url}/_cabructl/failures/{target_id}"
    put = urllib.request.Request(url, data=json.dumps({"error_code": "NO_PERMISSIONS"}).encode(), method="PUT")
    with urllib.request.urlopen(put) as response:
        assert {"target_id": target_id, "error_code": "NO_PERMISSIONS"} in json.load(response)["failures"]
    assert local_aws.failures.code_for(target_id) == "NO_PERMISSIONS"
    with urllib.request.urlopen(urllib.request.Request(url, method="DELETE")) as response:
        assert all(entry["target_id"] != target_id for entry in json.load(response)["failures"])
    bad = urllib.request.Request(url, data=b'{"error_code": "OOPS"}', method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bad)
    assert refused.value.code == 400 and "NO_PERMISSIONS" in json.load(refused.value)["hint"]


def _role(iam: Any, name: str, *, trusted: bool, allowed: str | None) -> str:
    principal = "events.amazonaws.com" if trusted else "lambda.amazonaws.com"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole",
                                                     "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if allowed:
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": allowed}]}
        iam.put_role_policy(RoleName=name, PolicyName="deliver", PolicyDocument=json.dumps(policy))
    return str(arn)


@pytest.mark.parametrize("trusted, allowed, outcome", [
    (True, "target", "delivered"),
    (False, "target", "FAILED_TO_ASSUME_ROLE"),
    (True, "arn:aws:sqs:*:*:some-other-queue", "NO_PERMISSIONS"),
], ids=["role allows it", "role not trusted by EventBridge", "role lacks the queue"])
def test_a_target_role_can_grant_what_the_queue_policy_does_not(aws: Clients, aws_client: Callable[[str], Any], bus: str,
                                                                unique: Callable[[str], str], trusted: bool, allowed: str,
                                                                outcome: str) -> None:
    dlq_url, dlq_arn = new_queue(aws, unique("dlq"))
    target_url, target_arn = new_queue(aws, unique("by-role"), open_to_events=False)
    role_arn = _role(aws_client("iam"), unique("events-role"), trusted=trusted, allowed=target_arn if allowed == "target" else allowed)
    rule_to(aws, bus, unique("critical"), {"Id": "by-role", "Arn": target_arn, "RoleArn": role_arn, "DeadLetterConfig": {"Arn": dlq_arn}})
    publish(aws, bus, CRITICAL)
    if outcome == "delivered":
        assert len(received(aws, target_url)) == 1 and received(aws, dlq_url) == []
    else:
        assert reasons(dead_letters(aws, dlq_url)[0])["ERROR_CODE"] == outcome
