"""Fixtures for the resource-handler tests: moto in-process, the real topology, plan/apply helpers.

Each test gets a fresh moto (``mock_aws`` resets its state on exit), so tests may
create whatever names they like. The engine is the real one, restricted to the
kinds under test, so a test exercises exactly the path ``cabructl apply`` takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, Sequence

import pytest
from moto import mock_aws

from cabructl.aws import Aws, AwsSettings
from cabructl.engine import Engine, Plan
from cabructl.resources import Handler
from cabructl.topology import Topology, load_topology
from support import TOPOLOGY

REGION = "sa-east-1"

Converge = Callable[[Topology, Sequence[Handler]], Plan]
PlanFor = Callable[[Topology, Sequence[Handler]], Plan]


@pytest.fixture
def aws() -> Iterator[Aws]:
    """A cabructl AWS boundary over an in-process moto that forgets everything after the test."""
    with mock_aws():
        yield Aws(AwsSettings(region=REGION))


@pytest.fixture(scope="module")
def topology() -> Topology:
    """The real topology (prod environment), loaded once per module: tests derive
    variants with dataclasses.replace and never change it."""
    return load_topology(str(TOPOLOGY))


@pytest.fixture(scope="module")
def local_endpoint() -> Iterator[str]:
    """The local endpoint over real HTTP, for the kinds moto lacks (the Schemas API)."""
    from cabructl.local.server import LocalAws

    with LocalAws(port=0, region=REGION) as local:
        yield local.endpoint_url


@pytest.fixture
def local_aws(local_endpoint: str) -> Aws:
    """cabructl's boundary to the local endpoint; every test starts with no schema registries."""
    from cabructl.local.schemas import schema_stores

    schema_stores.reset()
    return Aws(AwsSettings(region=REGION, endpoint_url=local_endpoint))


@pytest.fixture
def load_copy(topology_copy: Path) -> Callable[..., Topology]:
    """Edit a copy of topology.yaml (``(old, new)`` pairs) and load it."""
    from support import edit_topology

    def load(*edits: tuple[str, str]) -> Topology:
        for old, new in edits:
            edit_topology(topology_copy, old, new)
        return load_topology(str(topology_copy))

    return load


@pytest.fixture
def plan_for(aws: Aws) -> PlanFor:
    """A fresh plan of ``topology`` for the given kinds (live state read anew)."""

    def plan(topology: Topology, kinds: Sequence[Handler]) -> Plan:
        return Engine(topology, aws, kinds=kinds).plan()

    return plan


@pytest.fixture
def converge(aws: Aws) -> Converge:
    """Plan and apply ``topology`` for the given kinds; returns the plan that was applied.

    Fails the test when the apply fails or when a second plan is not empty:
    every apply in these tests doubles as the "plan after apply is empty" check.
    """

    def run(topology: Topology, kinds: Sequence[Handler]) -> Plan:
        engine = Engine(topology, aws, kinds=kinds)
        plan = engine.plan()
        result = engine.apply(plan, allow_data_loss=True)
        assert result.ok, [outcome.error for outcome in result.failed]
        again = Engine(topology, aws, kinds=kinds).plan()
        assert again.empty, [change.to_json() for change in again.changes]
        return plan

    return run
