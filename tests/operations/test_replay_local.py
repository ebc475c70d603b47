"""``cabructl replay`` against the embedded endpoint: only the chosen rules receive the window again.

A copy of the topology is applied under a project of its own; feature requests
and an ERROR test run are published (archived by the topology's archive), the
queues drained, and the feature-request rule alone replayed through the CLI.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from click.testing import CliRunner, Result

from cabructl.cli import cli
from cabructl.local import LocalAws
from deployment import Deployment, deployments

FEATURE = {"Source": "cabruca.agents.product", "DetailType": "Feature Request Event",
           "Detail": json.dumps({"requestId": "0d3f3c1e-1111-4f5e-9a55-0c1f0b6f3a10", "timestamp": "2026-03-01T12:00:00Z",
                                 "agentId": "product-001", "featureType": "NEW_FEATURE", "priority": "HIGH",
                                 "description": "export routes as SVG"})}
TEST_ERROR = {"Source": "cabruca.agents.tester", "DetailType": "Test Results Event",
              "Detail": json.dumps({"testRunId": "3c0b5d7e-2222-4a1b-8c3d-5e6f7a8b9c0d", "timestamp": "2026-03-01T12:00:00Z",
                                    "agentId": "tester-001", "testType": "UNIT", "status": "ERROR",
                                    "summary": {"total": 1, "passed": 0, "failed": 1, "skipped": 0, "duration": 1.5}})}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, shared_local_aws: LocalAws) -> Iterator[Deployment]:
    """One applied copy with events in its archive; module-scoped, so it sets its own fake credentials."""
    with pytest.MonkeyPatch.context() as patch, \
            deployments(lambda: tmp_path_factory.mktemp("replay"), shared_local_aws, project_prefix="replay") as make:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.delenv("AWS_PROFILE", raising=False)
        deployment = make()
        answer = deployment.client("events").put_events(
            Entries=[{**FEATURE, "EventBusName": deployment.bus}, {**FEATURE, "EventBusName": deployment.bus},
                     {**TEST_ERROR, "EventBusName": deployment.bus}])
        assert answer["FailedEntryCount"] == 0, answer
        assert len(drain(deployment, "product-requests")) == 2
        assert len(drain(deployment, "test-investigation")) == 1
        yield deployment


def drain(deployment: Deployment, logical: str) -> list[dict[str, Any]]:
    """Every event waiting in the queue, deleted as it is read."""
    sqs = deployment.client("sqs")
    url = sqs.get_queue_url(QueueName=deployment.topology.queues[logical].name)["QueueUrl"]
    events: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return events
        for message in messages:
            events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_replaying_one_rule_delivers_its_events_again_and_nothing_else(deployed: Deployment) -> None:
    result = cabructl(deployed, "replay", "start", "--rule", "feature-request-routing", "--from", "-1h", "--to", "now",
                          "--yes", "--wait", "--poll-seconds", "0", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    name = document["replay"]["name"]
    assert name.startswith(deployed.prefix + "replay-")
    assert document["replay"]["state"] == "COMPLETED"
    assert document["rules"] == ["feature-request-routing"]
    assert document["estimate"]["events"] == 2  # what CloudWatch counted for the rule in the window
    again = drain(deployed, "product-requests")
    assert len(again) == 2
    assert {event.get("replay-name") for event in again} == {name}
    assert drain(deployed, "test-investigation") == []

    listed = json.loads(cabructl(deployed, "replay", "list", "--json").stdout)
    assert name in [item["name"] for item in listed]
    status = cabructl(deployed, "replay", "status", name)
    assert status.exit_code == 0 and "COMPLETED" in status.stdout


def test_a_window_ending_in_the_future_starts_nothing(deployed: Deployment) -> None:
    result = cabructl(deployed, "replay", "start", "--from", "-1h", "--to", _iso(dt.timedelta(hours=1)), "--yes")
    assert result.exit_code == 1
    assert "in the future" in result.stderr
    assert drain(deployed, "product-requests") == []


def test_a_window_before_the_archives_retention_is_refused(deployed: Deployment) -> None:
    result = cabructl(deployed, "replay", "start", "--from", "-8d", "--to", "-7d", "--yes")
    assert result.exit_code == 1
    assert "retention of 7 day(s)" in result.stderr


def test_without_a_terminal_and_without_yes_nothing_starts(deployed: Deployment) -> None:
    result = cabructl(deployed, "replay", "start", "--from", "-1h", "--to", "now", input="y\n")
    assert result.exit_code == 1
    assert "needs confirmation" in result.stderr
    assert "estimate:" in result.stderr  # the price is shown before consent is asked
    assert drain(deployed, "product-requests") == []


def test_an_unknown_rule_or_replay_is_a_clear_error(deployed: Deployment) -> None:
    typo = cabructl(deployed, "replay", "start", "--rule", "failed-test", "--from", "-1h", "--to", "now", "--yes")
    assert typo.exit_code == 1 and 'did you mean "failed-tests"?' in typo.stderr
    missing = cabructl(deployed, "replay", "status", "no-such-replay")
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_a_replay_over_the_budget_needs_allow_over_budget(deployed: Deployment, tmp_path: Path) -> None:
    file = Path(deployed.file)
    text = file.read_text(encoding="utf-8")
    tiny = tmp_path / "topology.yaml"
    tiny.write_text(text.replace("monthly_usd: 10\n", "monthly_usd: 0.0001\n", 1), encoding="utf-8")
    (tmp_path / "schemas").symlink_to(file.parent / "schemas")
    over = Deployment(tiny, deployed.endpoint_url)
    refused = cabructl(over, "replay", "start", "--from", "-1h", "--to", "now", "--yes")
    assert refused.exit_code == 1, refused.output
    assert "exceeds the budget" in refused.stderr and "--allow-over-budget" in refused.stderr
    assert drain(deployed, "product-requests") == []
    allowed = cabructl(over, "replay", "start", "--rule", "failed-tests", "--from", "-1h", "--to", "now", "--yes",
                       "--allow-over-budget", "--wait", "--poll-seconds", "0")
    assert allowed.exit_code == 0, allowed.output
    assert len(drain(deployed, "test-investigation")) == 1


def cabructl(deployment: Deployment, *args: str, input: str | None = None) -> Result:
    """``cabructl <group> <command> ARGS -f FILE --endpoint-url URL`` (Deployment.cli takes one-word commands)."""
    options = ["-f", str(deployment.file), "--endpoint-url", deployment.endpoint_url]
    return CliRunner().invoke(cli, [*args, *options], input=input, catch_exceptions=False)


def _iso(offset: dt.timedelta) -> str:
    return (dt.datetime.now(dt.timezone.utc) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")
