"""`cabructl tail` through the real process against the local endpoint over HTTP, on the real topology.

apply → a tail of failed-tests prints a FAILED test run within 2 s of its publishing → Ctrl-C
removes its queue and target → while a tail runs, plan leaves it alone and drift calls it
ephemeral (exit 0) → a tail killed with SIGKILL leaves both behind, and plan deletes them once
its lease has ended → a rule with 5 targets refuses a tail. The steps share one applied
topology, so they run in file order in one module.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any, Iterator

import boto3
import pytest

from cabructl.topology import load_topology
from e2e_driver import REGION, Cli

START_TIMEOUT = 60.0  # the tail's first plan, apply and read-back, on a busy machine
PRINT_LIMIT = 2.0  # seconds from publishing to the line on stdout: the promise of `tail`
FAILED_RUN = {
    "testRunId": "0b7c1a52-8a7e-4c1e-9a57-4f4a9b1e2d11", "timestamp": "2026-03-01T09:00:00Z", "agentId": "tester-001",
    "testType": "INTEGRATION", "status": "FAILED", "summary": {"total": 58, "passed": 55, "failed": 3, "skipped": 0, "duration": 311.0},
    "failedTests": [{"name": "test_tile_stitching", "error": "AssertionError"}],
}


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


class RunningTail:
    """A `cabructl tail` process whose stdout and stderr lines are read as they come."""

    def __init__(self, cli: Cli, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "cabructl.cli", "tail", *args], cwd=cli.folder,
                                        env={**cli.env, "PYTHONUNBUFFERED": "1", **(env or {})}, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.stdout: queue.Queue[tuple[float, str]] = queue.Queue()
        self.stderr: list[str] = []
        assert self.process.stdout is not None and self.process.stderr is not None
        threading.Thread(target=self._read, args=(self.process.stdout, self.stdout), daemon=True).start()
        self._errors: queue.Queue[tuple[float, str]] = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stderr, self._errors), daemon=True).start()

    @staticmethod
    def _read(stream: IO[str], lines: queue.Queue[tuple[float, str]]) -> None:
        for line in stream:
            lines.put((time.monotonic(), line.rstrip("\n")))

    def wait_listening(self) -> tuple[str, str]:
        """(queue name, target id) once the tail says it listens."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                _, line = self._errors.get(timeout=0.5)
            except queue.Empty:
                assert self.process.poll() is None, f"tail exited {self.process.returncode}: {self.errors()}"
                continue
            self.stderr.append(line)
            found = re.search(r"through queue (\S+) and target (\S+);", line)
            if found:
                return found.group(1), found.group(2)
        raise AssertionError(f"the tail never started listening: {self.errors()}")

    def next_line(self, timeout: float) -> tuple[float, str]:
        return self.stdout.get(timeout=timeout)

    def errors(self) -> str:
        while not self._errors.empty():
            self.stderr.append(self._errors.get()[1])
        return "\n".join(self.stderr)

    def stop(self, signum: int = signal.SIGINT, timeout: float = 60.0) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=timeout)


@pytest.fixture(scope="module")
def topology(workdir: Path) -> Any:
    return load_topology(str(workdir / "topology.yaml"))


def tail_queues(endpoint: str, topology: Any) -> list[str]:
    return client("sqs", endpoint).list_queues(QueueNamePrefix=f"{topology.prefix}tail-").get("QueueUrls", [])


def rule_targets(endpoint: str, topology: Any, rule: str = "failed-tests") -> list[dict[str, Any]]:
    return client("events", endpoint).list_targets_by_rule(Rule=topology.rules[rule].name, EventBusName=topology.bus.name)["Targets"]


@pytest.fixture()
def cleanup(cli: Cli) -> Iterator[list[RunningTail]]:
    """Every tail a test starts is stopped at the end, whatever the test's outcome."""
    started: list[RunningTail] = []
    yield started
    for tail in started:
        if tail.process.poll() is None:
            tail.process.kill()
            tail.process.wait()


def test_apply_the_real_topology(cli: Cli) -> None:
    assert "Apply complete" in cli.run("apply", "--auto-approve").stdout


def test_tail_prints_a_failed_test_run_within_two_seconds_and_removes_everything_on_ctrl_c(
        cli: Cli, endpoint: str, topology: Any, cleanup: list[RunningTail]) -> None:
    tail = RunningTail(cli, "failed-tests", "--json")
    cleanup.append(tail)
    queue_name, target_id = tail.wait_listening()
    rule = topology.rules["failed-tests"]
    sqs = client("sqs", endpoint)
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    tags = sqs.list_queue_tags(QueueUrl=url)["Tags"]
    assert tags["managed-by"] == "cabructl" and tags["cabructl:topology"] == topology.owner_tag
    assert tags["cabructl:ephemeral"] == "tail" and float(tags["cabructl:lease-until"]) > time.time()
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    sources = [statement["Condition"]["ArnEquals"]["aws:SourceArn"] for statement in policy["Statement"]]
    assert sources == [[f"arn:aws:events:{REGION}:123456789012:rule/{topology.bus.name}/{rule.name}"]]
    assert target_id in {target["Id"] for target in rule_targets(endpoint, topology)}

    started_at = time.monotonic()
    published = cli.run("publish", "--agent", "tester", "--detail", json.dumps(FAILED_RUN))
    published_at = time.monotonic()
    event_id = published.stdout.split()[0]
    printed_at, line = tail.next_line(timeout=10)
    event = json.loads(line)
    assert event["id"] == event_id and event["detail-type"] == "Test Results Event"
    assert event["detail"]["status"] == "FAILED" and event["source"] == "cabruca.agents.tester"
    print(f"tail printed the event {printed_at - published_at:.3f} s after `cabructl publish` returned "
          f"({printed_at - started_at:.3f} s after it started)")
    assert printed_at - published_at <= PRINT_LIMIT

    assert tail.stop(signal.SIGINT) == 0, tail.errors()
    assert "removed events.target.failed-tests/" in tail.errors()
    assert tail_queues(endpoint, topology) == []
    assert target_id not in {target["Id"] for target in rule_targets(endpoint, topology)}
    assert "No changes" in cli.run("plan", "--detailed-exitcode").stdout


def test_text_lines_show_time_type_source_id_and_detail_and_sigterm_cleans_up(
        cli: Cli, endpoint: str, topology: Any, cleanup: list[RunningTail]) -> None:
    tail = RunningTail(cli, "failed-tests")
    cleanup.append(tail)
    tail.wait_listening()
    event_id = cli.run("publish", "--agent", "tester", "--detail", json.dumps(FAILED_RUN)).stdout.split()[0]
    _, line = tail.next_line(timeout=10)
    assert "Test Results Event" in line and "cabruca.agents.tester" in line and event_id in line
    assert '{"agentId":"tester-001",' in line  # the detail, compact (shortened to one line)
    assert tail.stop(signal.SIGTERM) == 0, tail.errors()
    assert tail_queues(endpoint, topology) == []


def test_a_running_tail_is_no_change_for_plan_and_ephemeral_for_drift(
        cli: Cli, endpoint: str, topology: Any, cleanup: list[RunningTail]) -> None:
    tail = RunningTail(cli, "failed-tests")
    cleanup.append(tail)
    queue_name, target_id = tail.wait_listening()
    plan = cli.run("plan", "--detailed-exitcode", check=0)
    assert "No changes" in plan.stdout and "made by a running `cabructl tail`" in plan.stdout
    drift = cli.run("drift", "--format", "json", check=0)
    document = json.loads(drift.stdout[:drift.stdout.rindex("}") + 1])
    assert document["summary"] == {"changed": 0, "missing": 0, "unmanaged": 0}
    names = {item["name"] for item in document["ephemeral"]}
    assert names == {queue_name, target_id}
    assert {item["made_by"] for item in document["ephemeral"]} == {"cabructl tail"}
    text = cli.run("drift", check=0).stdout
    assert "Ephemeral" in text and queue_name in text and "OK no drift" in text
    assert tail.stop() == 0, tail.errors()
    assert tail_queues(endpoint, topology) == []


def test_a_tail_killed_with_sigkill_leaves_leftovers_that_plan_deletes_after_the_lease(
        cli: Cli, endpoint: str, topology: Any, cleanup: list[RunningTail]) -> None:
    lease = 2.0
    tail = RunningTail(cli, "failed-tests", env={"CABRUCTL_TAIL_LEASE_SECONDS": str(lease)})
    cleanup.append(tail)
    queue_name, target_id = tail.wait_listening()
    tail.process.kill()  # SIGKILL: no cleanup
    tail.process.wait()
    assert len(tail_queues(endpoint, topology)) == 1
    time.sleep(lease + 1)
    plan = json.loads(cli.run("plan", "--json", check=None).stdout)
    deletions = {change["before"]["tags"].get("cabructl:ephemeral") if change["kind"] == "sqs.queue" else change["address"]
                 for change in plan["changes"] if change["action"] == "delete"}
    assert deletions == {"tail", f"events.target.failed-tests/{target_id}"}
    text = cli.run("plan", "--detailed-exitcode", check=2).stdout
    assert "left over by a `cabructl tail` that did not clean up" in text and queue_name in text
    assert "destroys" not in text  # what a tail's queue holds is copies: no data-loss guard
    drift = cli.run("drift", check=2).stdout
    assert "2 unmanaged" in drift
    cli.run("apply", "--auto-approve")
    assert tail_queues(endpoint, topology) == []
    assert target_id not in {target["Id"] for target in rule_targets(endpoint, topology)}


def test_a_rule_with_five_targets_refuses_a_tail_and_creates_nothing(cli: Cli, endpoint: str, topology: Any) -> None:
    events = client("events", endpoint)
    rule = topology.rules["failed-tests"]
    queue_url = client("sqs", endpoint).get_queue_url(QueueName=topology.queues["test-investigation"].name)["QueueUrl"]
    queue_arn = client("sqs", endpoint).get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    extra = [{"Id": f"by-hand-{index}", "Arn": queue_arn} for index in range(1, 5)]
    events.put_targets(Rule=rule.name, EventBusName=topology.bus.name, Targets=extra)
    try:
        before = rule_targets(endpoint, topology)
        assert len(before) == 5
        refused = cli.run("tail", "failed-tests", "--duration", "1", check=1)
        assert "already has 5 targets" in refused.stderr and "nothing was created" in refused.stderr
        assert tail_queues(endpoint, topology) == []
        assert rule_targets(endpoint, topology) == before
    finally:
        events.remove_targets(Rule=rule.name, EventBusName=topology.bus.name, Ids=[item["Id"] for item in extra])


def test_nothing_of_the_tails_is_left(endpoint: str, topology: Any) -> None:
    assert tail_queues(endpoint, topology) == []
    assert [target["Id"] for target in rule_targets(endpoint, topology)] == ["failed-tests-queue"]
    assert os.environ.get("CABRUCTL_TAIL_LEASE_SECONDS") is None  # the short lease never leaks into other tests
