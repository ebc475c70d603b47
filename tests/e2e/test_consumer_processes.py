"""`cabructl consume` end to end: the real process against `local serve`, exactly once per event id.

The small topology in ``consumer/`` feeds one queue (visibility 2 s, redrive to ``work-dlq``
after 5 receives, 2 s long polls) and declares the shared DynamoDB idempotency table, so every consumer
process here shares one store, as a fleet on many machines would. Handlers in
``consumer/recorder.py`` append a line per finished event to a file the test reads.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from cabructl.constants import CONSUMER_REASON_ATTRIBUTE
from cabructl.topology import Topology, load_topology
from e2e_driver import REGION, Cli

FIXTURE = Path(__file__).parent / "consumer"
WAIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, aws_env: dict[str, str]) -> Iterator[tuple[Cli, Topology]]:
    folder = tmp_path_factory.mktemp("consume")
    for name in ("topology.yaml", "recorder.py"):
        shutil.copy(FIXTURE / name, folder / name)
    cli = Cli(folder, aws_env)
    cli.run("apply", "--auto-approve")
    yield cli, load_topology(str(folder / "topology.yaml"))
    cli.run("destroy", "--auto-approve", "--allow-data-loss")


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def queue_url(endpoint: str, topology: Topology, logical: str) -> str:
    return str(client("sqs", endpoint).get_queue_url(QueueName=topology.queues[logical].name)["QueueUrl"])


def envelope(topology: Topology, n: int, event_id: str | None = None, detail: dict[str, Any] | None = None) -> str:
    """An event as EventBridge delivers it to a queue: what a duplicate delivery repeats verbatim."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({
        "version": "0", "id": event_id or str(uuid.uuid4()), "detail-type": "Job Event", "source": "e2e.producer",
        "account": "123456789012", "time": now, "region": REGION, "resources": [],
        "detail": detail if detail is not None else {"jobId": f"job-{n}", "n": n, "timestamp": now},
    })


def send_all(endpoint: str, url: str, bodies: list[str]) -> None:
    sqs = client("sqs", endpoint)
    for start in range(0, len(bodies), 10):
        chunk = bodies[start:start + 10]
        result = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)])
        assert not result.get("Failed"), result


def drain(endpoint: str, url: str) -> list[dict[str, Any]]:
    """Every message of a queue (deleted as read), with its attributes."""
    sqs, found = client("sqs", endpoint), []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"],
                                       MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return found
        found += messages
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])


def consumer(cli: Cli, record: Path, *options: str, **env: str) -> subprocess.Popen[str]:
    """A `cabructl consume work` process with the recorder handler (JSON lines on stdout)."""
    return subprocess.Popen([sys.executable, "-m", "cabructl.cli", "consume", "work", *options, "--json"],
                            cwd=cli.folder, env={**cli.env, "RECORD_FILE": str(record), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, f"consume exited {process.returncode}:\n{stdout}\n{stderr}"
    return stdout, stderr


def recorded(record: Path, kind: str = "done") -> Counter[str]:
    if not record.exists():
        return Counter()
    return Counter(line.split()[1] for line in record.read_text(encoding="utf-8").splitlines() if line.startswith(kind + " "))


def summary(stdout: str) -> dict[str, Any]:
    """The last JSON line: the summary `consume --json` prints at exit."""
    lines = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return lines[-1]


def test_consume_handles_25_published_events_once_and_dead_letters_an_invalid_one(
        deployed: tuple[Cli, Topology], endpoint: str, tmp_path: Path) -> None:
    cli, topology = deployed
    entries = [{"Source": "e2e.producer", "DetailType": "Job Event", "EventBusName": topology.bus.name,
                "Detail": json.dumps({"jobId": f"job-{n}", "n": n})} for n in range(25)]
    (cli.folder / "jobs.json").write_text(json.dumps(entries), encoding="utf-8")
    published = json.loads(cli.run("publish", "--entries", "jobs.json", "--json").stdout)
    event_ids = {result["event_id"] for result in published["results"]}
    assert len(event_ids) == 25
    work = queue_url(endpoint, topology, "work")
    send_all(endpoint, work, [envelope(topology, 0, detail={"jobId": "no-n"}), "this is not JSON"])
    record = tmp_path / "record.txt"
    stdout, _ = finish(consumer(cli, record, "--handler", "recorder:record", "--idle-exit", "3"))
    assert recorded(record) == Counter({event_id: 1 for event_id in event_ids})
    totals = summary(stdout)
    assert (totals["handled"], totals["dead_lettered"], totals["failed"]) == (25, 2, 0), totals
    letters = drain(endpoint, queue_url(endpoint, topology, "work-dlq"))
    reasons = sorted(m["MessageAttributes"][CONSUMER_REASON_ATTRIBUTE]["StringValue"] for m in letters)
    assert len(reasons) == 2 and any("n" in reason for reason in reasons), reasons
    assert drain(endpoint, work) == []


def test_two_consumers_on_one_queue_handle_each_of_1000_twice_delivered_events_once(
        deployed: tuple[Cli, Topology], endpoint: str, tmp_path: Path) -> None:
    cli, topology = deployed
    work = queue_url(endpoint, topology, "work")
    bodies = [envelope(topology, n) for n in range(1000)]
    send_all(endpoint, work, bodies + bodies)  # at-least-once: every event arrives twice
    record = tmp_path / "record.txt"
    processes = [consumer(cli, record, "--handler", "recorder:record", "--workers", "4", "--idle-exit", "4") for _ in range(2)]
    outputs = [finish(process)[0] for process in processes]
    counts = recorded(record)
    assert len(counts) == 1000 and set(counts.values()) == {1}, Counter(counts.values())
    totals = [summary(stdout) for stdout in outputs]
    assert sum(t["handled"] for t in totals) == 1000
    # Every second copy is a skipped duplicate; a copy whose delete came after its visibility ran out
    # (2 s here, on a loaded machine) is seen once more, and skipped once more: never handled again.
    assert sum(t["duplicates"] for t in totals) >= 1000
    assert all(t["handled"] > 0 for t in totals), "both consumers took part"
    assert drain(endpoint, work) == []


def test_a_consumer_killed_mid_batch_loses_nothing_and_repeats_nothing(
        deployed: tuple[Cli, Topology], endpoint: str, tmp_path: Path) -> None:
    cli, topology = deployed
    work = queue_url(endpoint, topology, "work")
    bodies = [envelope(topology, n) for n in range(40)]
    ids = {json.loads(body)["id"] for body in bodies}
    send_all(endpoint, work, bodies)
    record = tmp_path / "record.txt"
    first = consumer(cli, record, "--handler", "recorder:record", "--workers", "4", SLOW_EVENTS="7,23", PYTHONUNBUFFERED="1")
    deadline = time.monotonic() + WAIT_SECONDS
    while sum(recorded(record).values()) < 38 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sum(recorded(record).values()) == 38, "the fast events were handled before the kill"
    time.sleep(0.3)
    # Two handlers are mid-run and acknowledgements may be pending. The server still holds the killed
    # process's last long poll, which may take messages nobody will handle: each such receive costs
    # one of max_receives, as does the second consumer finding an event still claimed.
    first.send_signal(signal.SIGKILL)
    killed, _ = first.communicate(timeout=10)
    second = consumer(cli, record, "--handler", "recorder:record", "--idle-exit", "6")
    after, _ = finish(second)
    assert recorded(record) == Counter({event_id: 1 for event_id in ids}), f"killed:\n{killed}\nthen:\n{after}"
    assert drain(endpoint, work) == []
    assert drain(endpoint, queue_url(endpoint, topology, "work-dlq")) == [], "no handled event was dead-lettered"


def test_a_handler_that_always_fails_sends_its_message_to_the_dlq_after_max_receives(
        deployed: tuple[Cli, Topology], endpoint: str, tmp_path: Path) -> None:
    cli, topology = deployed
    work, dlq = queue_url(endpoint, topology, "work"), queue_url(endpoint, topology, "work-dlq")
    drain(endpoint, dlq)  # what an earlier test left there is not this test's letter
    body = envelope(topology, 1)
    send_all(endpoint, work, [body])
    record = tmp_path / "record.txt"
    stdout, _ = finish(consumer(cli, record, "--handler", "recorder:fail", "--idle-exit", "10"))
    assert recorded(record, "attempt") == Counter({json.loads(body)["id"]: topology.queues["work"].redrive_max_receives})
    assert summary(stdout)["failed"] == topology.queues["work"].redrive_max_receives
    letters = drain(endpoint, dlq)
    assert [json.loads(m["Body"])["id"] for m in letters] == [json.loads(body)["id"]]


def test_a_bad_handler_is_a_usage_error(deployed: tuple[Cli, Topology]) -> None:
    cli, _ = deployed
    result = cli.run("consume", "work", "--handler", "no-colon-here", check=64)
    assert "module:callable" in result.stderr
