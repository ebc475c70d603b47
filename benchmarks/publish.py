"""Publishing: the SDK's batched, concurrent publish against a one-call-per-event client like the seed's, same run.

    python benchmarks/publish.py [--events 2000] [--latency 0,0.02] [--in-flight 8] [--seed 7]

Both clients publish the same generated events (the topology's four schemas) to
the topology's bus on an in-process local endpoint (``LocalAws``, loopback only).
The seed's client made one PutEvents call per event, one after another, and
validated nothing; the SDK validates every event against its schema, sends 10 per
call and keeps ``--in-flight`` calls outstanding. The bus has no rules, so the
endpoint does the same small work per event for both and the figures measure the
clients and their round trips.

Each ``--latency`` value (seconds) is one run: a botocore ``before-call`` hook sleeps
that long in every PutEvents call of every client, to model the round trip to real AWS
(20 ms is a typical in-region figure). With added latency the seed-style client
publishes at most ``--baseline-events`` of the events (its rate is one round trip per
event whatever the count), so a run stays short.

Per run: PutEvents calls per event and events per second for the seed-style client,
the SDK one call at a time (``max_in_flight=1``) and the SDK concurrent; the run's
last line is ``ratio: <sdk/seed>x`` (events per second).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

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
        from cabructl.aws import Aws, AwsSettings

        self.aws = Aws(AwsSettings(region=REGION, endpoint_url=endpoint_url, latency=latency))  # its call log counts
        self.client = self.aws.client("events")
        self.bus = bus

    @property
    def calls(self) -> int:
        return self.aws.calls.total

    def publish(self, source: str, detail_type: str, detail: dict[str, Any]) -> bool:
        entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": self.bus}
        response = self.client.put_events(Entries=[entry])
        return response["FailedEntryCount"] == 0


def run_seed_style(client: SeedStyleClient, topology: Any, events: list[Any]) -> tuple[int, float]:
    schemas = topology.schemas
    started = time.perf_counter()
    published = sum(client.publish(schemas[e.schema].source, schemas[e.schema].detail_type, e.detail) for e in events)
    return published, time.perf_counter() - started


def run_sdk(agent: Any, events: list[Any]) -> tuple[int, float, int]:
    calls_before = agent.metrics.put_events_calls
    started = time.perf_counter()
    result = agent.publish_many(events)
    return result.published, time.perf_counter() - started, agent.metrics.put_events_calls - calls_before


def line(name: str, published: int, calls: int, seconds: float, note: str) -> str:
    return (f"{name:<26}{published:>6,} published  {calls:>6,} PutEvents calls  {calls / max(published, 1):.2f} calls/event  "
            f"{published / seconds:>8,.0f} events/s  ({note})")


def one_run(endpoint_url: str, topology: Any, events: list[Any], latency: float, in_flight: int, baseline_events: int) -> None:
    """Seed-style, SDK sequential and SDK concurrent against the endpoint, at ``latency`` seconds per call."""
    from cabructl.agents import EventBridgeAgent
    from cabructl.aws import Aws, AwsSettings

    baseline = events if not latency else events[:baseline_events]
    aws = Aws(AwsSettings(region=REGION, endpoint_url=endpoint_url, latency=latency))
    # Guards off: the hourly budget would (rightly) refuse this burst; this measures transport.
    agents = {n: EventBridgeAgent("benchmark", topology=topology, aws=aws, guards=False, any_agent=True, max_in_flight=n)
              for n in (1, in_flight)}
    seed_client = SeedStyleClient(endpoint_url, topology.bus.name, latency)
    for agent in agents.values():  # warm every client (sessions, connections, threads) outside the timing
        agent.publish_many(events[:10 * in_flight])
    run_seed_style(seed_client, topology, events[:1])
    seed_client.aws.calls.reset()
    seed_published, seed_seconds = run_seed_style(seed_client, topology, baseline)
    sequential = run_sdk(agents[1], events)
    concurrent = run_sdk(agents[in_flight], events)
    print(f"publish benchmark: {len(events):,} events of {len(topology.schemas)} schemas, local endpoint, "
          f"+{latency * 1000:.0f} ms per call")
    print(line("seed-style client", seed_published, seed_client.calls, seed_seconds, "one call per event, no validation"))
    print(line("cabructl SDK, 1 in flight", sequential[0], sequential[2], sequential[1], "every event validated"))
    print(line(f"cabructl SDK, {in_flight} in flight", concurrent[0], concurrent[2], concurrent[1], "every event validated"))
    print(f"ratio: {(concurrent[0] / concurrent[1]) / (seed_published / seed_seconds):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="events per client (bounded: 1–20,000)")
    parser.add_argument("--latency", default="0,0.02", help="comma-separated seconds added to every PutEvents call; one run each")
    parser.add_argument("--in-flight", type=int, default=8, help="max_in_flight of the concurrent SDK client")
    parser.add_argument("--baseline-events", type=int, default=500, help="events the seed-style client sends when latency is added")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    count = max(1, min(args.events, 20_000))

    from cabructl.aws import Aws, AwsSettings
    from cabructl.local import LocalAws
    from cabructl.topology import load_topology

    topology = load_topology(str(ROOT / "topology.yaml"))
    events = generated_events(topology, count, args.seed)
    with LocalAws(port=0, region=REGION) as local:
        Aws(AwsSettings(region=REGION, endpoint_url=local.endpoint_url)).client("events").create_event_bus(Name=topology.bus.name)
        for index, latency in enumerate(float(value) for value in args.latency.split(",") if value.strip()):
            if index:
                print()
            one_run(local.endpoint_url, topology, events, latency, max(1, args.in_flight),
                    max(1, args.baseline_events))


if __name__ == "__main__":
    main()
