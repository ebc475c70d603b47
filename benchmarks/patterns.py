"""Event-pattern matching: cabructl's indexed rule set against moto's matcher.

    python benchmarks/patterns.py [--events N] [--seed S]

Both matchers see the same deterministic agent events in the same run, so the
ratio does not depend on the machine. Prints events/second for each, the number
of events on which they disagree, the documented edge cases where moto is wrong
(shown, and kept out of the event stream), then the throughput of a 300-rule bus.
The last line is ``ratio: <ours/moto>x``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from pathlib import Path
from typing import Callable, Iterable

from cabructl.patterns import compile_rules
from cabructl.topology import load_topology

TOPOLOGY_FILE = Path(__file__).resolve().parent.parent / "topology.yaml"

DEFAULT_EVENTS = 100_000
DEFAULT_SEED = 20250301
TARGET_RATIO = 20.0
WIDE_BUS_RULES = 300
WILDCARD_RULES = 30  # the per-bus quota; the generated bus uses all of it
MOTO_SAMPLE_ON_WIDE_BUS = 1_000  # moto takes minutes on 300 rules × 100,000 events
RACE_SLICE = 1_000

Matcher = Callable[[dict], list[str]]

# The six routing rules of the real topology, as the product runs them.
CABRUCA_RULES = {name: rule.pattern for name, rule in load_topology(str(TOPOLOGY_FILE)).rules.items()}

AGENT_TYPES = {
    "cabruca.agents.monitor": "Issue Detection Event",
    "cabruca.agents.product": "Feature Request Event",
    "cabruca.agents.developer": "Code Change Event",
    "cabruca.agents.tester": "Test Results Event",
}
SEVERITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
CHANGE_STATUSES = ["OPEN", "APPROVED", "MERGED", "REJECTED"]
TEST_STATUSES = ["PASSED", "FAILED", "ERROR", "SKIPPED"]
COMPONENTS = ["api", "billing", "auth", "search", "ingest", "web"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "sa-east-1"]

# Documented semantics moto 5.2.1 gets wrong; shown with moto's live answer and
# kept out of the benchmark stream, which only carries realistic agent events.
MOTO_DEFECTS = [
    ("number 1 is not true (JSON true is a literal)", {"n": [1]}, {"n": True}, False),
    ("false is not 0", {"n": [False]}, {"n": 0}, False),
    ("numeric only matches JSON numbers, not true", {"n": [{"numeric": [">", 0]}]}, {"n": True}, False),
    ("arrays of objects are searched element-wise", {"d": {"a": ["1"]}}, {"d": [{"a": "0"}, {"a": "1"}]}, True),
    ("nested arrays in the event are flattened", {"v": ["x"]}, {"v": [["a"], ["x"]]}, True),
    ("exists: true needs a leaf value, [] is none", {"c": [{"exists": True}]}, {"c": []}, False),
    ("exists: false matches [] (no leaf value)", {"c": [{"exists": False}]}, {"c": []}, True),
    ("cidr matches address strings, not numbers", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": 167772161}, False),
    ("wildcard * spans any characters, newline too", {"f": [{"wildcard": "a*b"}]}, {"f": "a\nb"}, True),
    ("an event is a JSON object; a list matches nothing", {"s": [{"exists": False}]}, [{"s": "x"}], False),
    ("a path given twice keeps the values written last", {"a.b": ["1"], "a": {"b": ["2"]}}, {"a": {"b": "2"}}, True),
]

# Patterns EventBridge refuses at PutRule and moto 5.2.1 accepts (shown the same way).
MOTO_ACCEPTS_REFUSED = [
    ("anything-but prefix list holding a number", {"s": [{"anything-but": {"prefix": ["a", 1]}}]}),
    ("wildcard complexity 11 ('*a*a*a*a*a*')", {"f": [{"wildcard": "*a*a*a*a*a*"}]}),
    ("four '*:stack/NAME/*' wildcards in one field (complexity 12)",
     {"f": [{"wildcard": f"*:stack/{name}/*"} for name in ("App", "Data", "Net", "Mon")]}),
    ("$or forking into 1,100 sub-rules",
     {key: {"$or": [{"n": [i]} for i in range(count)]} for key, count in (("a", 11), ("b", 10), ("c", 10))}),
]


def agent_event(rng: random.Random) -> dict:
    """One event as the Cabruca agents publish it; 5% cross source and detail-type."""
    source = rng.choice(list(AGENT_TYPES))
    detail_type = AGENT_TYPES[source] if rng.random() > 0.05 else rng.choice(list(AGENT_TYPES.values()))
    return {
        "version": "0",
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": f"2025-03-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
        "region": rng.choice(REGIONS),
        "resources": [f"arn:aws:ecs:us-east-1:123456789012:task/{rng.getrandbits(32):08x}"],
        "detail": DETAIL_MAKERS[detail_type](rng),
    }


def issue_detail(rng: random.Random) -> dict:
    detail = {
        "component": rng.choice(COMPONENTS),
        "message": f"{rng.choice(['latency', 'error rate', 'saturation'])} above threshold",
        "metrics": {"cpu": round(rng.uniform(0, 100), 2), "latency_ms": rng.randint(1, 5000)},
        "tags": rng.sample(["prod", "canary", "eu", "us", "customer-facing"], 2),
    }
    if rng.random() > 0.1:  # some monitors report without a severity
        detail["severity"] = rng.choice(SEVERITIES)
    return detail


def feature_detail(rng: random.Random) -> dict:
    return {
        "title": f"Feature {rng.randint(1, 999)}",
        "priority": rng.choice(["P0", "P1", "P2", "P3"]),
        "requested_by": rng.choice(["sales", "support", "ceo", "customer"]),
        "labels": rng.sample(["ux", "api", "mobile", "billing"], rng.randint(0, 3)),
    }


def change_detail(rng: random.Random) -> dict:
    return {
        "status": rng.choice(CHANGE_STATUSES),
        "repository": rng.choice(["cabruca-core", "cabruca-web", "cabruca-agents"]),
        "commit": f"{rng.getrandbits(160):040x}",
        "files_changed": rng.randint(1, 60),
        "author": rng.choice(["developer-agent-1", "developer-agent-2", "alice"]),
    }


def test_detail(rng: random.Random) -> dict:
    failed = rng.randint(0, 5)
    return {
        "status": rng.choice(TEST_STATUSES),
        "suite": rng.choice(["unit", "integration", "e2e"]),
        "passed": rng.randint(50, 500),
        "failed": failed,
        "duration_s": round(rng.uniform(1, 900), 3),
        "failures": [{"test": f"test_{rng.randint(1, 300)}", "status": "FAILED"} for _ in range(failed)],
    }


DETAIL_MAKERS: dict[str, Callable[[random.Random], dict]] = {
    "Issue Detection Event": issue_detail,
    "Feature Request Event": feature_detail,
    "Code Change Event": change_detail,
    "Test Results Event": test_detail,
}


def agent_events(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [agent_event(rng) for _ in range(count)]


def generated_rules(count: int, seed: int) -> dict[str, dict]:
    """A full bus: most rules pinned to source and detail-type, with every operator in use."""
    rng = random.Random(seed)
    makers = [exact_detail_rule, numeric_rule, prefix_rule, anything_but_rule, or_rule, free_rule]
    rules = {f"wildcard-{index}": wildcard_rule(rng) for index in range(WILDCARD_RULES)}
    while len(rules) < count:
        maker = rng.choice(makers)
        rules[f"{maker.__name__.replace('_', '-')}-{len(rules)}"] = maker(rng)
    return rules


def anchored(rng: random.Random) -> dict:
    source = rng.choice(list(AGENT_TYPES) + ["cabruca.agents.reviewer", "cabruca.agents.planner"])
    return {"source": [source], "detail-type": [AGENT_TYPES.get(source, "Plan Event")]}


def exact_detail_rule(rng: random.Random) -> dict:
    return {**anchored(rng), "detail": {"status": rng.sample(CHANGE_STATUSES + TEST_STATUSES, 2)}}


def numeric_rule(rng: random.Random) -> dict:
    low = rng.randint(0, 400)
    return {**anchored(rng), "detail": {"passed": [{"numeric": [">=", low, "<", low + 100]}]}}


def prefix_rule(rng: random.Random) -> dict:
    return {**anchored(rng), "region": [{"prefix": rng.choice(["us-", "eu-", "sa-"])}]}


def anything_but_rule(rng: random.Random) -> dict:
    return {**anchored(rng), "detail": {"severity": [{"anything-but": rng.sample(SEVERITIES, 2)}]}}


def or_rule(rng: random.Random) -> dict:
    return {**anchored(rng), "$or": [{"detail": {"component": [rng.choice(COMPONENTS)]}},
                                      {"detail": {"metrics": {"latency_ms": [{"numeric": [">", 4000]}]}}}]}


def free_rule(rng: random.Random) -> dict:
    """No exact source: the index cannot file it, every event tries it."""
    return {"source": [{"prefix": "cabruca.agents."}], "detail": {"author": [rng.choice(["alice", "developer-agent-2"])]}}


def wildcard_rule(rng: random.Random) -> dict:
    return {**anchored(rng), "resources": [{"wildcard": f"arn:aws:ecs:*:task/{rng.choice('0123456789abcdef')}*"}]}


def moto_matcher(rules: dict[str, dict]) -> Matcher:
    from moto.events.models import EventPattern

    loaded = [(name, EventPattern.load(json.dumps(pattern))) for name, pattern in rules.items()]
    return lambda event: [name for name, pattern in loaded if pattern.matches_event(event)]


def timed(matcher: Callable[[dict], list[str]], events: Iterable[dict]) -> tuple[float, list[list[str]]]:
    start = time.perf_counter()
    results = [matcher(event) for event in events]
    return time.perf_counter() - start, results


def race(matchers: dict[str, Matcher], events: list[dict]) -> dict[str, tuple[float, list[list[str]]]]:
    """Time the matchers on alternating slices of the stream.

    Alternating keeps the ratio honest on a shared machine: a burst of load from
    another process slows both contenders instead of whichever ran at the time.
    """
    seconds = dict.fromkeys(matchers, 0.0)
    results: dict[str, list[list[str]]] = {name: [] for name in matchers}
    for start in range(0, len(events), RACE_SLICE):
        part = events[start : start + RACE_SLICE]
        for name, matcher in matchers.items():
            elapsed, found = timed(matcher, part)
            seconds[name] += elapsed
            results[name].extend(found)
    return {name: (seconds[name], results[name]) for name in matchers}


def disagreements(ours: list[list[str]], theirs: list[list[str]]) -> list[int]:
    return [index for index, (a, b) in enumerate(zip(ours, theirs)) if a != b]


def report_moto_defects() -> None:
    from moto.events.models import EventPattern

    from cabructl.patterns import compile_pattern, validate_pattern

    print("documented cases where moto 5.2.1 is wrong (kept out of the event stream; moto's live answer):")
    for explanation, pattern, event, documented in MOTO_DEFECTS:
        moto_says = EventPattern.load(json.dumps(pattern)).matches_event(event)
        ours = compile_pattern(pattern).matches(event)
        verdict = "moto wrong" if moto_says != documented else "moto now right"
        print(f"  - {explanation}: documented {documented}, ours {ours}, moto {moto_says} [{verdict}]")
    for explanation, pattern in MOTO_ACCEPTS_REFUSED:
        ours = "refused" if validate_pattern(pattern) else "accepted"
        try:
            EventPattern.load(json.dumps(pattern))
            moto_says = "accepted"
        except Exception:  # noqa: BLE001 - moto's exception types vary by version
            moto_says = "refused"
        verdict = "moto wrong" if moto_says == "accepted" else "moto now right"
        print(f"  - {explanation}: documented refused, ours {ours}, moto {moto_says} [{verdict}]")


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()

    events = agent_events(args.events, args.seed)
    print(f"{len(events):,} agent events, seed {args.seed}")

    raced = race({"ours": compile_rules(CABRUCA_RULES).matching, "moto": moto_matcher(CABRUCA_RULES)}, events)
    (ours_seconds, ours), (moto_seconds, theirs) = raced["ours"], raced["moto"]
    ours_rate, moto_rate = rate(len(events), ours_seconds), rate(len(events), moto_seconds)
    differing = disagreements(ours, theirs)
    fired = sum(map(len, ours))
    print(f"six Cabruca rules: {fired:,} rule matches")
    print(f"  cabructl compile_rules: {ours_rate:12,.0f} events/s")
    print(f"  moto EventPattern:      {moto_rate:12,.0f} events/s")
    print(f"  events where results disagree: {len(differing)}")
    for index in differing[:5]:
        print(f"    {json.dumps(events[index])[:200]} ours={ours[index]} moto={theirs[index]}")
    report_moto_defects()

    wide_rules = generated_rules(WIDE_BUS_RULES, args.seed)
    wide_seconds, wide = timed(compile_rules(wide_rules).matching, events)
    sample = events[:MOTO_SAMPLE_ON_WIDE_BUS]
    _, wide_moto = timed(moto_matcher(wide_rules), sample)
    print(f"{len(wide_rules)} generated rules ({WILDCARD_RULES} with wildcards): "
          f"{rate(len(events), wide_seconds):,.0f} events/s, {sum(map(len, wide)):,} rule matches; "
          f"disagreements with moto on the first {len(sample):,} events: {len(disagreements(wide, wide_moto))}")

    ratio = ours_rate / moto_rate
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"target {TARGET_RATIO:.0f}x: {verdict}")
    print(f"ratio: {ratio:.1f}x")


if __name__ == "__main__":
    main()
