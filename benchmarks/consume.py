"""Consuming: the SDK's consumer against a naive one (one message per receive, one delete each), same run.

    python benchmarks/consume.py [--messages 2000] [--backlog N] [--workers 4] [--latency 0.0] [--seed 7]

Both drain the same queue (the topology's cicd-changes, on an in-process local endpoint,
``LocalAws``) of the same events, written as EventBridge writes them into a queue
target: the queue is filled with all of them (not timed), then drained (timed);
``--backlog`` fills and drains it in rounds of that many instead. moto's SQS still
looks at every queued message once per receive (the endpoint's fix made it linear, not
quadratic), which costs the naive consumer, with ten times the receives, more. The naive consumer receives one message per call, parses it and deletes it
with its own call, validating nothing; the SDK validates every event against its
schema, dedupes by event id (in-process store: this measures SQS, not DynamoDB),
receives ten a call and deletes in batches of ten. ``--latency`` adds a fixed delay to
every call of both, to model the round trip to real AWS.

Prints SQS calls per message and messages per second for each; the last line is
``ratio: <sdk/naive>x`` (messages per second).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"):
    os.environ.pop(_name, None)

DEFAULT_MESSAGES = 2_000
DEFAULT_SEED = 7
REGION = "sa-east-1"
QUEUE = "cicd-changes"


def event_bodies(topology: Any, count: int, seed: int) -> list[str]:
    """``count`` valid Code Change Events, each in the envelope EventBridge writes to a queue."""
    from cabructl.agents.catalog import EventCatalog
    from cabructl.agents.generate import DetailGenerator

    kind = EventCatalog(topology).kind("CodeChangeEvent")
    generator = DetailGenerator(kind.validator.schema, random.Random(seed))
    return [json.dumps({"version": "0", "id": str(uuid.UUID(int=random.Random(seed + n).getrandbits(128))),
                        "detail-type": kind.detail_type, "source": kind.source, "account": "123456789012",
                        "time": "2026-12-01T12:00:00Z", "region": REGION, "resources": [], "detail": generator.detail()})
            for n in range(count)]


def fill(sqs: Any, url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies[start:start + 10])]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


class NaiveConsumer:
    """What a hand-written loop often is: receive one, handle it, delete it, repeat."""

    def __init__(self, endpoint_url: str, url: str, latency: float) -> None:
        from cabructl.aws import Aws, AwsSettings

        self.aws = Aws(AwsSettings(region=REGION, endpoint_url=endpoint_url, latency=latency))  # its call log counts
        self.sqs = self.aws.client("sqs")
        self.url = url

    @property
    def calls(self) -> int:
        return self.aws.calls.total

    def drain(self, count: int, handle: Callable[[dict[str, Any]], None]) -> int:
        handled = 0
        while handled < count:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=1, WaitTimeSeconds=1).get("Messages", [])
            for message in messages:
                handle(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
                handled += 1
        return handled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES, help="messages per consumer (bounded: 1–20,000)")
    parser.add_argument("--backlog", type=int, default=None, help="messages in the queue at the start of each round (default: all)")
    parser.add_argument("--workers", type=int, default=4, help="the SDK consumer's handler threads")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every SQS call of both consumers")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    count = max(1, min(args.messages, 20_000))
    backlog = max(1, args.backlog or count)

    from cabructl.agents import EventBridgeAgent, MemoryStore
    from cabructl.aws import Aws, AwsSettings
    from cabructl.local import LocalAws
    from cabructl.topology import load_topology

    topology = load_topology(str(ROOT / "topology.yaml"))
    bodies = event_bodies(topology, count, args.seed)
    with LocalAws(port=0, region=REGION) as local:
        setup = Aws(AwsSettings(region=REGION, endpoint_url=local.endpoint_url))
        url = setup.client("sqs").create_queue(QueueName=topology.queues[QUEUE].name)["QueueUrl"]
        setup.client("sqs").create_queue(QueueName=topology.queues["eventbridge-dlq"].name)

        naive = NaiveConsumer(local.endpoint_url, url, args.latency)
        aws = Aws(AwsSettings(region=REGION, endpoint_url=local.endpoint_url, latency=args.latency))
        agent = EventBridgeAgent("developer-benchmark", topology=topology, aws=aws)
        store = MemoryStore()
        naive_handled, naive_seconds, sdk_handled, sdk_calls, sdk_seconds = 0, 0.0, 0, 0, 0.0
        for start in range(0, count, backlog):
            round_bodies = bodies[start:start + backlog]
            fill(setup.client("sqs"), url, round_bodies)
            started = time.perf_counter()
            naive_handled += naive.drain(len(round_bodies), lambda event: None)
            naive_seconds += time.perf_counter() - started

            fill(setup.client("sqs"), url, round_bodies)
            started = time.perf_counter()
            stats = agent.run(QUEUE, args.workers, handler=lambda event, context: None, max_messages=len(round_bodies),
                              wait_seconds=1, store=store, install_signals=False)
            sdk_seconds += time.perf_counter() - started
            sdk_handled, sdk_calls = sdk_handled + stats.handled, sdk_calls + stats.sqs_calls

    naive_rate, sdk_rate = naive_handled / naive_seconds, sdk_handled / sdk_seconds
    print(f"consume benchmark: {count:,} Code Change Events in rounds of {backlog:,}, local endpoint, "
          f"+{args.latency * 1000:.0f} ms per call")
    print(f"naive consumer  {naive_handled:>6,} handled  {naive.calls:>6,} SQS calls  "
          f"{naive.calls / count:.2f} calls/message  {naive_rate:>8,.0f} messages/s  (no validation, no dedupe)")
    print(f"cabructl SDK    {sdk_handled:>6,} handled  {sdk_calls:>6,} SQS calls  "
          f"{sdk_calls / count:.2f} calls/message  {sdk_rate:>8,.0f} messages/s  "
          f"({args.workers} workers, every event validated and deduped)")
    print(f"ratio: {sdk_rate / naive_rate:.1f}x")


if __name__ == "__main__":
    main()
