"""Delivery failures rehearsed end to end: the real `cabructl` process and `local serve` over HTTP.

A queue policy broken out of band sends the next event to the rule's DLQ with
NO_PERMISSIONS, and `apply` mends it; a target failed on purpose through the
endpoint's control call sends its event to the DLQ after its retries, `dlq show`
tells why, and `dlq redrive` delivers it to that target only.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from cabructl.topology import Topology, load_topology
from deployment import copy_topology
from e2e_driver import REGION, Cli

WAIT_SECONDS = 10.0


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, aws_env: dict[str, str]) -> Iterator[tuple[Cli, Topology]]:
    folder = tmp_path_factory.mktemp("failures")
    file = copy_topology(folder, "e2e-failures")
    cli = Cli(folder, aws_env)
    cli.run("apply", "--auto-approve")
    yield cli, load_topology(str(file))
    cli.run("destroy", "--auto-approve", "--allow-data-loss")


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def publish(endpoint: str, topology: Topology, source: str, detail_type: str, detail: dict[str, Any]) -> str:
    entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": topology.bus.name}
    result = client("events", endpoint).put_events(Entries=[entry])
    assert result["FailedEntryCount"] == 0
    return str(result["Entries"][0]["EventId"])


def queue_url(endpoint: str, topology: Topology, logical: str) -> str:
    return str(client("sqs", endpoint).get_queue_url(QueueName=topology.queues[logical].name)["QueueUrl"])


def take(endpoint: str, url: str, until: int = 1) -> list[dict[str, Any]]:
    """Messages of a queue (deleted as read), waiting for ``until`` of them at most WAIT_SECONDS (one look for 0)."""
    sqs, found = client("sqs", endpoint), []
    deadline = time.monotonic() + WAIT_SECONDS
    looked = False
    while (len(found) < until or not looked) and time.monotonic() < deadline:
        looked = True
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                           MessageAttributeNames=["All"]).get("Messages", []):
            found.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def error_code(message: dict[str, Any]) -> str:
    return str(message["MessageAttributes"]["ERROR_CODE"]["StringValue"])


def test_a_queue_policy_broken_out_of_band_dead_letters_until_apply_mends_it(deployed: tuple[Cli, Topology], endpoint: str) -> None:
    cli, topology = deployed
    sqs, target = client("sqs", endpoint), queue_url(endpoint, topology, "product-requests")
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["Policy"])["Attributes"]["Policy"])
    policy["Statement"] = [s for s in policy["Statement"] if "events.amazonaws.com" not in json.dumps(s.get("Principal"))]
    sqs.set_queue_attributes(QueueUrl=target, Attributes={"Policy": json.dumps(policy)})

    lost = publish(endpoint, topology, "cabruca.agents.product", "Feature Request Event", {"description": "lost"})
    [letter] = take(endpoint, queue_url(endpoint, topology, "eventbridge-dlq"))
    assert error_code(letter) == "NO_PERMISSIONS" and json.loads(letter["Body"])["id"] == lost
    assert take(endpoint, target, until=0) == []

    assert "Apply complete" in cli.run("apply", "--auto-approve").stdout
    kept = publish(endpoint, topology, "cabruca.agents.product", "Feature Request Event", {"description": "kept"})
    assert [json.loads(m["Body"])["id"] for m in take(endpoint, target)] == [kept]


def test_a_failed_target_is_shown_then_redriven_to_that_target_only(deployed: tuple[Cli, Topology], endpoint: str) -> None:
    cli, topology = deployed
    control = f"{endpoint}/_cabructl/failures/failed-tests-queue"
    urllib.request.urlopen(urllib.request.Request(control, data=b'{"error_code": "INTERNAL_ERROR"}', method="PUT")).close()
    try:
        marker = f"redrive-{time.time_ns()}"
        event_id = publish(endpoint, topology, "cabruca.agents.tester", "Test Results Event", {"status": "ERROR", "marker": marker})
        deadline = time.monotonic() + WAIT_SECONDS
        shown: list[dict[str, Any]] = []
        while not shown and time.monotonic() < deadline:  # after its retries, on the endpoint's own thread
            letters = json.loads(cli.run("dlq", "show", "eventbridge-dlq", "--wait", "1", "--json").stdout)
            shown = [letter for letter in next(iter(letters.values())) if (letter["event"] or {}).get("id") == event_id]
    finally:
        urllib.request.urlopen(urllib.request.Request(control, method="DELETE")).close()
    [letter] = shown
    assert letter["attributes"]["ERROR_CODE"] == "INTERNAL_ERROR"
    assert letter["attributes"]["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts" and letter["attributes"]["RETRY_ATTEMPTS"] == "3"
    assert "error   INTERNAL_ERROR" in cli.run("dlq", "show", "eventbridge-dlq", "--wait", "0").stdout

    redriven = json.loads(cli.run("dlq", "redrive", "eventbridge-dlq", "--wait", "0", "--yes", "--json").stdout)
    assert [item["target_arn"].rsplit(":", 1)[-1] for item in redriven[0]["redriven"]] == [topology.queues["test-investigation"].name]
    [delivered] = take(endpoint, queue_url(endpoint, topology, "test-investigation"))
    assert json.loads(delivered["Body"])["detail"]["marker"] == marker
    logged = client("logs", endpoint).filter_log_events(logGroupName=topology.log_groups["agents"].name)["events"]
    assert sum(marker in event["message"] for event in logged) == 1  # the other target received it once, not twice


def test_demo_on_a_running_endpoint_then_cost_reports_what_it_published(tmp_path: Path, aws_env: dict[str, str],
                                                                        local_state: Path) -> None:
    """`local serve`, `demo --local`, `cost --local`: the costs of a rehearsal come from real metrics."""
    file = copy_topology(tmp_path, "e2e-demo")
    cli = Cli(tmp_path, {**{k: v for k, v in aws_env.items() if k != "AWS_ENDPOINT_URL"}, "CABRUCTL_LOCAL_STATE": str(local_state)})
    output = cli.run("demo", "--local", "--json").stdout
    demo = json.loads(output[output.rindex("\n{\n"):output.rindex("\n}\n") + 2])
    try:
        assert demo["ok"] and demo["metrics"]["failed-tests"]["MatchedEvents"] == 1
        usage = json.loads(cli.run("cost", "--local", "--format", "json").stdout)
        topology = load_topology(str(file))
        assert usage["rule_matches_by_rule"] == {rule: counts["MatchedEvents"] for rule, counts in demo["metrics"].items()}
        assert usage["published_events"] >= len({row["event"] for row in demo["deliveries"]})
        assert usage["bus"] == topology.bus.name
        # Per service, the local endpoint's own AWS/Logs, AWS/SQS and AWS/SNS counters beside the model.
        matched = {rule: counts["MatchedEvents"] for rule, counts in demo["metrics"].items()}
        services = usage["services"]

        def measured(service: str, metric: str, resource: str) -> float | None:
            [reading] = [r for r in services[service] if (r["metric"], r["resource"]) == (metric, resource)]
            assert reading["model"] > 0 and reading["ratio"] == (None if reading["measured"] is None
                                                                 else pytest.approx(reading["measured"] / reading["model"]))
            return reading["measured"]

        assert measured("logs", "IncomingLogEvents", "log group agents") == matched["issue-detection-routing"] + matched["test-results-routing"]
        assert measured("logs", "IncomingBytes", "log group agents") > 0
        assert measured("sqs", "NumberOfMessagesSent", "queue product-requests") == matched["feature-request-routing"]
        assert measured("sqs", "NumberOfMessagesSent", "queue test-investigation") == matched["failed-tests"]
        assert measured("sns", "NumberOfMessagesPublished", "topic critical-alerts") == matched["critical-issues"]
        text = cli.run("cost", "--local").stdout
        assert "per service: CloudWatch's sums" in text and "IncomingBytes" in text and "NumberOfMessagesPublished" in text
    finally:
        cli.run("destroy", "--local", "--auto-approve", "--allow-data-loss")


def test_a_replay_to_one_rule_delivers_the_window_again_to_that_rule_only(deployed: tuple[Cli, Topology], endpoint: str) -> None:
    cli, topology = deployed
    product, investigation = queue_url(endpoint, topology, "product-requests"), queue_url(endpoint, topology, "test-investigation")
    markers = [f"replayed-{time.time_ns()}-{n}" for n in range(2)]
    for marker in markers:
        publish(endpoint, topology, "cabruca.agents.product", "Feature Request Event", {"description": marker})
    publish(endpoint, topology, "cabruca.agents.tester", "Test Results Event", {"status": "ERROR", "marker": markers[0]})
    take(endpoint, product, until=2), take(endpoint, investigation, until=1)  # the first deliveries
    time.sleep(1.1)  # the window ends before now, and event times are whole seconds
    result = json.loads(cli.run("replay", "start", "--rule", "feature-request-routing", "--from", "-10m", "--to", "now",
                                "--yes", "--wait", "--json", "--poll-seconds", "0.2").stdout)
    assert result
    again = [json.loads(m["Body"]) for m in take(endpoint, product, until=2)]
    assert {event["detail"]["description"] for event in again} >= set(markers)
    assert all(event.get("replay-name") for event in again)
    assert take(endpoint, investigation, until=0) == []  # another rule's target receives nothing twice
