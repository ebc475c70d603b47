"""Publishing: the SDK's batched publish against a one-call-per-event client like the seed's, same run.

    python benchmarks/publish.py [--events 2000] [--latency 0.0] [--seed 7]

Both clients publish the same generated events (the topology's four schemas) to
the topology's bus on an in-process local endpoint (``LocalAws``). The seed's
client made one PutEvents call per event and validated nothing; the SDK
validates every event against its schema, then sends 10 per call. The bus has
no rules, so the endpoint does the same small work per event for both and the
figures measure the client and its round trips. ``--latency`` adds a fixed
delay to every call of both clients, to model the round trip to real AWS.

Prints PutEvents calls per event and events per second for each; the last line
is ``ratio: <sdk/seed>x`` (events per second).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"):
    os.environ.pop(_name, None)

DEFAULT_EVENTS = 2_000
DEFAULT_SEED = 7
REGION = "sa-east-1"


def generated_events(topology: Any, count: int, seed: int) -> list[Any]:
    """``count`` valid events spread over the topology's schemas, the same for both clients."""
    from cabructl.agents import GenericEvent
    from cabructl.agents.catalog import EventCatalog
    from cabructl.agents.generate import DetailGenerator

    rng = random.Random(seed)
    catalog = EventCatalog(topology)
    generators = {name: DetailGenerator(kind.validator.schema, rng) for name, kind in catalog.kinds.items()}
    names = sorted(generators)
    return [GenericEvent(names[n % len(names)], generators[names[n % len(names)]].detail()) for n in range(count)]


class SeedStyleClient:
    """What the seed's ``EventBridgeAgent._publish_event`` did: one PutEvents call per event, no validation."""

    def __init__(self, endpoint_url: str, bus: str, latency: float) -> None:
        import boto3

        self.client = boto3.client("events", region_name=REGION, endpoint_url=endpoint_url)
        self.bus = bus
        self.calls = 0
        self.client.meta.events.register("before-call.events.PutEvents", self._count(latency))

    def _count(self, latency: float) -> Callable[..., None]:
        def before_call(**_: Any) -> None:
            self.calls += 1
            if latency:
                time.sleep(latency)

        return before_call

    def publish(self, source: str, detail_type: str, detail: dict[str, Any]) -> bool:
        entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": self.bus}
        response = self.client.put_events(Entries=[entry])
        return response["FailedEntryCount"] == 0


def run_seed_style(client: SeedStyleClient, topology: Any, events: list[Any]) -> tuple[int, float]:
    schemas = topology.schemas
    started = time.perf_counter()
    published = sum(client.publish(schemas[e.schema].source, schemas[e.schema].detail_type, e.detail) for e in events)
    return published, time.perf_counter() - started


def run_sdk(agent: Any, events: list[Any]) -> tuple[int, float]:
    started = time.perf_counter()
    result = agent.publish_many(events)
    return result.published, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="events per client (bounded: 1–20,000)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every PutEvents call of both clients")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    count = max(1, min(args.events, 20_000))

    from cabructl.agents import EventBridgeAgent
    from cabructl.aws import Aws, AwsSettings
    from cabructl.local import LocalAws
    from cabructl.topology import load_topology

    topology = load_topology(str(ROOT / "topology.yaml"))
    events = generated_events(topology, count, args.seed)
    with LocalAws(port=0, region=REGION) as local:
        aws = Aws(AwsSettings(region=REGION, endpoint_url=local.endpoint_url, latency=args.latency))
        aws.client("events").create_event_bus(Name=topology.bus.name)
        # Guards off: the hourly budget would (rightly) refuse this burst; this measures transport.
        agent = EventBridgeAgent("benchmark", topology=topology, aws=aws, guards=False, any_agent=True)  # every agent's events
        seed_client = SeedStyleClient(local.endpoint_url, topology.bus.name, args.latency)
        agent.publish_many(events[:1])  # warm both clients (sessions, connections) outside the timing
        run_seed_style(seed_client, topology, events[:1])
        seed_client.calls, calls_before = 0, agent.metrics.put_events_calls

        seed_published, seed_seconds = run_seed_style(seed_client, topology, events)
        sdk_published, sdk_seconds = run_sdk(agent, events)
        sdk_calls = agent.metrics.put_events_calls - calls_before

    seed_rate, sdk_rate = seed_published / seed_seconds, sdk_published / sdk_seconds
    print(f"publish benchmark: {count:,} events of {len(topology.schemas)} schemas, local endpoint, "
          f"+{args.latency * 1000:.0f} ms per call")
    print(f"seed-style client  {seed_published:>6,} published  {seed_client.calls:>6,} PutEvents calls  "
          f"{seed_client.calls / count:.2f} calls/event  {seed_rate:>8,.0f} events/s  (no validation)")
    print(f"cabructl SDK       {sdk_published:>6,} published  {sdk_calls:>6,} PutEvents calls  "
          f"{sdk_calls / count:.2f} calls/event  {sdk_rate:>8,.0f} events/s  (every event validated)")
    print(f"ratio: {sdk_rate / seed_rate:.1f}x")


if __name__ == "__main__":
    main()
