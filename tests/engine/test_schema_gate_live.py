"""plan and apply compare each changed schema with the registry's latest version: a breaking change is refused."""

from __future__ import annotations

from typing import Any

from cabructl.engine import Engine
from cabructl.topology import load_topology
from support import edit_topology

SCHEMA_FILE = "schemas/FeatureRequestEvent.yaml"


def add_field(deployment: Any, *, required: bool) -> None:
    schema = deployment.file.parent / SCHEMA_FILE
    edit_topology(schema, "        description: {type: string}\n", "        description: {type: string}\n        owner: {type: string}\n")
    if required:
        edit_topology(schema, "required: [", "required: [owner, ")


def fresh_plan(deployment: Any) -> Any:
    """A plan of the files as they are now (Deployment caches the topology by topology.yaml's text only)."""
    return Engine(load_topology(str(deployment.file)), deployment.aws()).plan()


def test_a_breaking_schema_change_fails_plan_and_apply_until_allowed(deploy: Any) -> None:
    deployment = deploy()
    add_field(deployment, required=True)
    planned = deployment.cli("plan")
    assert planned.exit_code == 1 and "SCHEMA001" in planned.output and "required field owner added breaks backward" in planned.output
    assert "schema FeatureRequestEvent: new version breaks backward compatibility" in planned.output
    refused = deployment.cli("apply", "--auto-approve")
    assert refused.exit_code == 1 and "a schema change breaks its consumers; nothing was changed" in refused.output
    assert not fresh_plan(deployment).empty  # nothing was written
    allowed = deployment.cli("apply", "--auto-approve", "--allow-breaking-schema", "FeatureRequestEvent")
    assert allowed.exit_code == 0, allowed.output
    assert fresh_plan(deployment).empty


def test_a_compatible_schema_change_plans_and_applies(deploy: Any) -> None:
    deployment = deploy()
    add_field(deployment, required=False)
    planned = deployment.cli("plan")
    assert planned.exit_code == 0 and "SCHEMA001" not in planned.output
    assert "schema FeatureRequestEvent: new version is backward compatible with the registry's latest" in planned.output
    assert deployment.cli("apply", "--auto-approve").exit_code == 0
