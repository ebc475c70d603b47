"""`cabructl demo -f` a topology that cannot carry the demo's events is refused before anything
starts or is applied (before: applied, then ``KeyError: 'monitor'``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from cabructl.local import demo
from cabructl.topology import load_topology
from support import TOPOLOGY, edit_topology


@pytest.fixture
def no_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting the local endpoint would be a failure of these tests: the refusal comes first."""
    import cabructl.local.server as server

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("the demo started an endpoint for a topology it cannot run")

    monkeypatch.setattr(server, "LocalAws", refuse)


def _without_agents(topology: Path) -> None:
    text = topology.read_text(encoding="utf-8")
    text = text[: text.index("agents:\n  monitor:")] + text[text.index("budget:\n"):]
    topology.write_text(text[: text.index("    agents:\n      monitor: {volume")], encoding="utf-8")


def test_a_topology_without_the_agents_is_refused_before_applying(topology_copy: Path, no_endpoint: None) -> None:
    _without_agents(topology_copy)
    result = CliRunner().invoke(cli, ["demo", "-f", str(topology_copy)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "KeyError" not in result.output
    assert "error[demo-not-ready]" in result.output and "(nothing was applied)" in result.output
    for agent in ("monitor", "product", "developer", "tester"):
        assert f'the topology has no agent "{agent}"' in result.output
    assert "this topology's agents: none" in result.output


def test_one_missing_agent_is_named(topology_copy: Path, no_endpoint: None) -> None:
    edit_topology(topology_copy, "  tester:\n    source: cabruca.agents.tester", "  qa:\n    source: cabruca.agents.tester")
    edit_topology(topology_copy, "      tester: {volume:", "      qa: {volume:")
    result = CliRunner().invoke(cli, ["demo", "-f", str(topology_copy)])
    assert result.exit_code == 1, result.output
    assert 'the topology has no agent "tester"' in result.output and '"monitor"' not in result.output.split("hint:")[0]


def test_an_agent_whose_schema_does_not_fit_the_demo_event_is_refused(topology_copy: Path, no_endpoint: None) -> None:
    schema = topology_copy.parent / "schemas" / "FeatureRequestEvent.yaml"
    text = schema.read_text(encoding="utf-8")
    edit_topology(schema, "      required: [", "      required: [customerTier, ")
    edit_topology(schema, "      properties:\n", "      properties:\n        customerTier: {type: string}\n", count=1)
    assert schema.read_text(encoding="utf-8") != text
    result = CliRunner().invoke(cli, ["demo", "-f", str(topology_copy)])
    assert result.exit_code == 1, result.output
    assert '"product / feature request" does not fit schema FeatureRequestEvent: detail.customerTier: is required' in result.output


def test_the_real_topology_carries_every_demo_event() -> None:
    assert demo.demo_problems(load_topology(str(TOPOLOGY)), demo.load_demo_events()) == []
