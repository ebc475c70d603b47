"""During a migration window the SDK validates against a named older version of a schema, and says which."""

from __future__ import annotations

from typing import Any

import pytest

from cabructl.agents import EventBridgeAgent, FeatureRequestEvent
from cabructl.agents.errors import EventValidationError, UnknownEventError
from cabructl.engine import Engine
from cabructl.topology import load_topology
from support import edit_topology


def test_an_event_valid_only_under_the_old_version_publishes_against_it(deploy: Any) -> None:
    deployment = deploy()
    schema = deployment.file.parent / "schemas" / "FeatureRequestEvent.yaml"
    edit_topology(schema, "        description: {type: string}\n", "        description: {type: string}\n        owner: {type: string}\n")
    edit_topology(schema, "required: [", "required: [owner, ")
    topology = load_topology(str(deployment.file))
    engine = Engine(topology, deployment.aws())
    assert engine.apply(engine.plan()).ok  # version 2 in the registry, with `owner` required
    agent = EventBridgeAgent("product-001", topology=topology, aws=deployment.aws(), guards=False)
    event = FeatureRequestEvent.create("product-001", "API", "LOW", "old shape")

    with pytest.raises(EventValidationError, match="owner"):
        agent.publish(event)
    result = agent.publish(event, schema_version="1")
    assert result.success and result.schema_version == "1"
    assert agent.publish_many([event], schema_version="1").results[0].schema_version == "1"
    with pytest.raises(UnknownEventError, match='no version "9"'):
        agent.publish(event, schema_version="9")
