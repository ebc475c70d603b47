"""Fixtures for the agent SDK: the real topology, moto in-process, and a queue that sees every event.

moto's in-process mock resets its backends when it starts, so every resource a
test needs is created inside that test's own ``mock_aws`` context.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from moto import mock_aws

from cabructl.agents import EventBridgeAgent
from cabructl.aws import Aws, AwsSettings
from cabructl.topology import Topology, load_topology

from agent_backbone import REGION, Backbone, catch_all
from support import TOPOLOGY


@pytest.fixture(autouse=True)
def _moto_parses_jsonpath_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto re-parses eight JSONPath expressions for every event it delivers to a target (~40 ms
    each, jsonpath_ng rebuilds its parser tables); the parsed paths are immutable, so cache them.
    Without this, a test publishing 30 events spends ~10 s inside moto."""
    import functools

    import jsonpath_ng.ext

    monkeypatch.setattr(jsonpath_ng.ext, "parse", functools.lru_cache(maxsize=None)(jsonpath_ng.ext.parse))


@pytest.fixture(scope="session")
def topology() -> Topology:
    return load_topology(str(TOPOLOGY))


@pytest.fixture
def backbone(topology: Topology) -> Iterator[Backbone]:
    with mock_aws():
        aws = Aws(AwsSettings(region=REGION))
        aws.client("events").create_event_bus(Name=topology.bus.name)
        yield Backbone(aws, topology.bus.name, catch_all(aws, topology.bus.name))


@pytest.fixture
def make_agent(topology: Topology, backbone: Backbone) -> Callable[..., EventBridgeAgent]:
    """Agents on the moto backbone that never really sleep (waits are recorded instead)."""

    def make(agent_id: str = "test-001", **kwargs: Any) -> EventBridgeAgent:
        kwargs.setdefault("sleep", lambda seconds: None)
        return EventBridgeAgent(agent_id, topology=topology, aws=backbone.aws, **kwargs)

    return make

