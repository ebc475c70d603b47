"""Deletes walk the dependency graph reversed: nothing is deleted before what depends on it.

The expectations are stated by meaning (a target before its rule and its destination, a
schema before its registry, the archive before the bus, a delivery policy before the log
group it grants), not by the engine's own derivation, and checked on a real destroy of the
topology recorded call by call, and on a generated topology of 300 rules.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

from cabructl.engine import Action, Change
from cabructl.engine.graph import delete_batches, live_dependencies
from cabructl.engine.plan import Reason
from cabructl.engine.state import desired_state
from cabructl.resources import Resource, handlers
from cabructl.resources.base import offline_context
from cabructl.topology import load_topology
from support import ROOT, TOPOLOGY


def must_go_first(live: Mapping[str, Resource]) -> Iterator[tuple[str, str]]:
    """(earlier, later) pairs a destroy must respect, by what the resources are."""
    arns = {str(resource.identity.get("arn", "")).removesuffix(":*"): address for address, resource in live.items()}
    for address, resource in live.items():
        if resource.kind == "events.target":
            yield address, str(resource.parent)
            for key in ("arn", "dead_letter_arn", "role_arn"):  # its destination, dead letters, the role it delivers through
                if resource.attributes.get(key) in arns:
                    yield address, arns[resource.attributes[key]]
        if resource.kind in ("schemas.schema", "events.rule", "events.bus_policy"):  # the bus policy's statements before the bus
            yield address, str(resource.parent)
        if resource.kind == "events.archive":
            yield address, arns[resource.attributes["event_source_arn"]]
        if resource.kind == "logs.resource_policy":
            yield from ((address, group) for group, found in live.items() if found.kind == "logs.group")
        if resource.kind == "events.target" and ":function:" in str(resource.attributes.get("arn")):
            # a function target before the statement it is granted by (no ARN links the two)
            function = str(resource.attributes["arn"]).rsplit(":", 1)[-1]
            yield address, f"lambda.permission.{str(resource.parent).removeprefix('events.rule.')}/{function}"
        if resource.kind == "lambda.permission":  # a permission before the rule it lets invoke
            yield address, arns[resource.attributes["statement"]["Statement"][0]["Condition"]["ArnLike"]["AWS:SourceArn"][0]]
        if resource.kind == "events.api_destination":
            yield address, arns[resource.identity["connection_arn"]]
        if resource.kind == "sqs.queue" and resource.attributes.get("redrive"):
            yield address, arns[resource.attributes["redrive"]["dead_letter_arn"]]
        if resource.attributes.get("kms_key") in arns:  # what a key encrypts before the key (named by its alias ARN)
            yield address, arns[resource.attributes["kms_key"]]


def check_order(order: list[str], live: Mapping[str, Resource]) -> None:
    position = {address: index for index, address in enumerate(order)}
    pairs = [(first, later) for first, later in must_go_first(live) if first in position and later in position]
    assert pairs, "the topology has dependencies to check"
    assert [(first, later) for first, later in pairs if position[first] > position[later]] == []


# The real topology declares no connection: this edit adds one, an API destination and a target delivering to it.
HOOKS = ("        dead_letter: eventbridge-dlq\n\nqueues:\n",
         "        dead_letter: eventbridge-dlq\n      - id: to-ci\n        api_destination: ci-webhook\n\n"
         "connections:\n  ci:\n    authorization: api_key\n    api_key: {name: X-Api-Key, value_from_env: CABRUCTL_TEST_CI_KEY}\n"
         "api_destinations:\n  ci-webhook: {connection: ci, url: \"https://ci.example.com/hooks\", method: POST}\n\nqueues:\n")


# Nor an agent in another account: this edit gives the monitor agent one, so the bus policy holds a statement.
FOREIGN_AGENT = ("  monitor:\n    source: cabruca.agents.monitor\n", '  monitor:\n    source: cabruca.agents.monitor\n    account: "111122223333"\n')


# The real topology declares no key: these edits declare one and encrypt the dead-letter queue with it.
KEYED = ("\n\nqueues:\n", "\n\nkeys:\n  dead-letters: {description: failed deliveries}\n\nqueues:\n")
DLQ_UNDER_KEY = ("    encryption: sqs\n  critical-events-dlq:\n", "    encryption: dead-letters\n  critical-events-dlq:\n")


@pytest.mark.parametrize("edits", [pytest.param((), id="real"), pytest.param((HOOKS,), id="with-an-api-destination"),
                                   pytest.param((FOREIGN_AGENT,), id="with-a-foreign-agent"),
                                   pytest.param((KEYED, DLQ_UNDER_KEY), id="with-a-key")])
def test_a_destroy_of_the_real_topology_deletes_nothing_before_its_dependents(deploy: Any, edits: tuple[tuple[str, str], ...],
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABRUCTL_TEST_CI_KEY", "a-key")
    deployment = deploy(*edits)
    engine = deployment.engine()
    plan = engine.plan(destroy=True)
    live = engine.live()
    started: list[str] = []
    # a key always holds data in effect (what it encrypted); the queue it encrypts is empty
    result = engine.apply(plan, allow_data_loss=KEYED in edits,
                          progress=lambda event, change, _: started.append(change.address) if event == "start" else None)
    assert result.ok, [outcome.error for outcome in result.failed]
    assert sorted(started) == sorted(live)
    assert edits != (HOOKS,) or {"events.connection.ci", "events.api_destination.ci-webhook"} <= set(live)
    assert edits != (FOREIGN_AGENT,) or "events.bus_policy.bus_policy" in live
    assert KEYED not in edits or "kms.key.dead-letters" in live
    check_order(started, live)


def as_live(desired: Mapping[str, Resource]) -> dict[str, Resource]:
    """The desired state as discovery would find it once applied (children name their parents; a
    target the statement it is granted by, as the target handler's discovery says)."""
    live = {address: replace(resource, depends_on=tuple(d for d in resource.depends_on if d.startswith("lambda.permission.")))
            for address, resource in desired.items()}
    dependencies = live_dependencies(live)
    return {address: replace(resource, depends_on=dependencies[address]) for address, resource in live.items()}


def generated_topology(folder: Path, rules: int) -> Path:
    """The real topology plus ``rules`` rules of five queue targets each (as benchmarks/plan.py makes it)."""
    import shutil

    shutil.copytree(ROOT / "schemas", folder / "schemas")
    text = TOPOLOGY.read_text(encoding="utf-8")
    extra = []
    for number in range(rules):
        targets = "".join(f"      - {{id: t{t}, queue: product-requests, dead_letter: eventbridge-dlq}}\n" for t in range(5))
        extra.append(f"  gen-{number:03d}:\n    pattern:\n      source: [cabruca.agents.product]\n"
                     f"      detail:\n        agentId: [P{number}]\n    targets:\n{targets}")
    path = folder / "topology.yaml"
    path.write_text(text.replace("\nqueues:\n", "\n" + "".join(extra) + "\nqueues:\n", 1), encoding="utf-8")
    return path


def test_delete_batches_take_targets_before_the_role_and_permissions_before_their_rule() -> None:
    topology = load_topology(str(ROOT / "tests" / "fixtures" / "grants" / "topology.yaml"))
    live = as_live(desired_state(topology, offline_context(topology), handlers()))
    changes = [Change(address, resource.kind, Action.DELETE, resource, None, (), Reason.NOT_DECLARED)
               for address, resource in live.items()]

    check_order([change.address for batch in delete_batches(changes) for change in batch], live)
    assert {("events.target.r/s", "iam.role.eventbridge-targets"), ("lambda.permission.r/handler", "events.rule.r"),
            ("events.target.r/t", "lambda.permission.r/handler")} <= set(must_go_first(live))


@pytest.mark.parametrize("rules", [0, 294])
def test_delete_batches_respect_the_graph(tmp_path: Path, rules: int) -> None:
    topology = load_topology(str(generated_topology(tmp_path, rules)))
    live = as_live(desired_state(topology, offline_context(topology), handlers()))  # no AWS: desired stands for live
    changes = [Change(address, resource.kind, Action.DELETE, resource, None, (), Reason.NOT_DECLARED)
               for address, resource in live.items()]
    batches = delete_batches(changes)
    check_order([change.address for batch in batches for change in batch], live)
    # 30, each of the 4 agents' own publisher policy, the idempotency table and the 2 consuming agents' consumer policies
    assert len(live) == 37 + rules * 6
    assert len(batches) <= 6, "independent deletes share a batch (they run in parallel)"
