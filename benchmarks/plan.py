"""Plan speed: parallel discovery against the same code with one worker, in the same run.

A fixed latency is added to every API call (botocore before-call hook) so that the
figure reflects round trips, as against real AWS, not moto's in-process speed.
Prints the ratio, API calls per resource (of topology.yaml and of examples/all-targets.yaml,
every target kind), the write calls of a no-op apply, and the plan time and call count of a
generated topology with 300 rules × 5 targets.

    python benchmarks/plan.py [--latency 0.04] [--rules 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="sa-east-1")
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


def engine_for(topology_file: str, latency: float, workers: int):  # type: ignore[no-untyped-def]
    from cabructl.aws import Aws, AwsSettings
    from cabructl.engine import Engine
    from cabructl.topology import load_topology

    aws = Aws(AwsSettings(region="sa-east-1", latency=latency, max_workers=workers))
    return Engine(load_topology(topology_file), aws, workers=workers)


def timed_plan(topology_file: str, latency: float, workers: int) -> tuple[float, int, int]:
    """(seconds, API calls, resources) of one plan with a fresh engine."""
    engine = engine_for(topology_file, latency, workers)
    _ = engine.context  # the one STS call is not discovery
    engine.aws.calls.reset()
    started = time.perf_counter()
    engine.plan()
    seconds = time.perf_counter() - started
    return seconds, engine.aws.calls.total, len(engine.desired())


def apply_topology(topology_file: str) -> None:
    engine = engine_for(topology_file, 0.0, 8)
    result = engine.apply(engine.plan())
    if not result.ok:
        raise SystemExit(f"apply failed: {[o.error for o in result.failed]}")


def noop_apply_writes(topology_file: str) -> int:
    engine = engine_for(topology_file, 0.0, 8)
    plan = engine.plan()
    engine.aws.calls.reset()
    engine.apply(plan)
    return engine.aws.calls.writes


def generated_topology(folder: Path, rules: int) -> Path:
    """The Cabruca topology with ``rules`` extra rules of 5 queue targets each."""
    shutil.copytree(ROOT / "schemas", folder / "schemas")
    text = (ROOT / "topology.yaml").read_text(encoding="utf-8")
    extra = []
    for number in range(rules - 6):
        targets = "".join(f"      - {{id: t{t}, queue: product-requests, retry: {{attempts: 3, max_age: 1h}}, dead_letter: eventbridge-dlq}}\n" for t in range(5))
        extra.append(f"  gen-{number:03d}:\n    pattern:\n      source: [cabruca.agents.product]\n"
                     f"      detail:\n        agentId: [P{number}]\n    targets:\n{targets}")
    text = text.replace("\nqueues:\n", "\n" + "".join(extra) + "\nqueues:\n", 1)
    path = folder / "topology.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def referenced_resources() -> None:
    """What examples/all-targets.yaml references and never creates, made as their owners would."""
    import io
    import json
    import zipfile

    import boto3

    def client(service: str, **extra: str):  # type: ignore[no-untyped-def]
        return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"], **extra)

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return event\n")
    role = client("iam").create_role(RoleName="triage-execution", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    client("lambda").create_function(FunctionName="triage-agent", Runtime="python3.12", Role=role, Handler="handler.handle",
                                     Code={"ZipFile": code.getvalue()})
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    client("stepfunctions").create_state_machine(name="incident", definition=definition, roleArn=role)
    client("kinesis").create_stream(StreamName="agent-telemetry", ShardCount=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.04, help="seconds added to every API call")
    parser.add_argument("--rules", type=int, default=300, help="rules in the generated topology")
    args = parser.parse_args()

    from cabructl.local.server import LocalAws

    # The local endpoint, not moto in-process: the topology needs the Schemas API moto lacks.
    topology_file = str(ROOT / "topology.yaml")
    with LocalAws(port=0, region="sa-east-1") as local, tempfile.TemporaryDirectory() as folder:
        os.environ["AWS_ENDPOINT_URL"] = local.endpoint_url
        apply_topology(topology_file)
        parallel, calls, resources = timed_plan(topology_file, args.latency, 8)
        serial, _, _ = timed_plan(topology_file, args.latency, 1)
        print(f"topology.yaml: {resources} resources, {calls} API calls per plan ({calls / resources:.2f} per resource)")
        print(f"plan with {args.latency * 1000:.0f} ms per call: parallel {parallel:.2f}s, serial {serial:.2f}s")
        print(f"no-op apply write calls: {noop_apply_writes(topology_file)}")
        every_kind = str(ROOT / "examples" / "all-targets.yaml")
        os.environ.setdefault("CI_WEBHOOK_KEY", "benchmark")
        referenced_resources()
        apply_topology(every_kind)
        _, kinds_calls, kinds_resources = timed_plan(every_kind, args.latency, 8)
        print(f"examples/all-targets.yaml: {kinds_resources} resources, {kinds_calls} API calls per plan "
              f"({kinds_calls / kinds_resources:.2f} per resource)")
        big = str(generated_topology(Path(folder), args.rules))
        apply_topology(big)
        big_seconds, big_calls, big_resources = timed_plan(big, args.latency, 8)
        print(f"{args.rules} rules x 5 targets: {big_resources} resources, plan {big_seconds:.2f}s, {big_calls} API calls")
        print(f"ratio: {serial / parallel:.1f}x (serial / parallel plan time, topology.yaml)")


if __name__ == "__main__":
    main()
