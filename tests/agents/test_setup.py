"""Where an agent's configuration comes from: topology.yaml, found as the CLI finds it; and a light CLI import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cabructl.agents import EventBridgeAgent, UnknownEventError
from cabructl.aws import Aws, AwsSettings

from support import ROOT, edit_topology


AWS = Aws(AwsSettings(region="sa-east-1"))


def test_the_topology_is_found_in_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CABRUCTL_FILE", raising=False)
    monkeypatch.chdir(ROOT)
    agent = EventBridgeAgent(agent_id="monitor-001", aws=AWS)
    assert agent.event_bus_name == "cabruca-agents-bus" and agent.topology.region == "sa-east-1"


def test_cabructl_file_names_another_topology(monkeypatch: pytest.MonkeyPatch, topology_copy: Path) -> None:
    edit_topology(topology_copy, "name: cabruca-agents-bus", "name: staging-agents-bus")
    monkeypatch.setenv("CABRUCTL_FILE", str(topology_copy))
    assert EventBridgeAgent("monitor-001", aws=AWS).event_bus_name == "staging-agents-bus"


def test_an_environment_of_the_topology_can_be_chosen(topology_copy: Path) -> None:
    agent = EventBridgeAgent("monitor-001", topology_file=str(topology_copy), env="dev")
    assert (agent.event_bus_name, agent.aws.region) == ("cabruca-agents-bus-dev", "us-east-1")


def test_the_seeds_positional_bus_and_region_still_override(topology_copy: Path) -> None:
    agent = EventBridgeAgent("monitor-001", "other-bus", "eu-west-1", topology_file=str(topology_copy))
    assert (agent.event_bus_name, agent.aws.region) == ("other-bus", "eu-west-1")


def test_an_unknown_agent_is_refused_at_once(topology_copy: Path) -> None:
    with pytest.raises(UnknownEventError, match='no agent "auditor" .agents: developer, monitor, product, tester.'):
        EventBridgeAgent("audit-001", agent="auditor", topology_file=str(topology_copy))


def test_the_cli_module_imports_only_click() -> None:
    """`cabructl --help` must stay fast: the SDK, boto3 and jsonschema load inside the commands."""
    code = ("import sys, cabructl.cli.agent_cmds; "
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'jsonschema', 'moto', 'ruamel')]; "
            "print(heavy); sys.exit(bool(heavy))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr
