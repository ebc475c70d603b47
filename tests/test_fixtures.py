"""Small topologies with their expected outputs (cfn-lint's snapshot templates): behaviour pinned, not text edits.

``tests/fixtures/topologies/good/*`` must validate and plan, against an empty account,
exactly as their ``validate.txt`` and ``plan.json`` say; ``bad/*`` must be refused as
their ``validate.txt`` says, with exit code 1. Regenerate every snapshot after a
deliberate change, then read the diff:

    CABRUCTL_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_fixtures.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from support import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "topologies"
UPDATE = bool(os.environ.get("CABRUCTL_UPDATE_SNAPSHOTS"))
GOOD = sorted(path.name for path in (FIXTURES / "good").iterdir() if path.is_dir())
BAD = sorted(path.name for path in (FIXTURES / "bad").iterdir() if path.is_dir())


def run(folder: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """``cabructl ARGS -f topology.yaml`` from inside the fixture's folder, so paths print relative."""
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(cli, [*args, "-f", "topology.yaml"])
    return result.exit_code, result.output


def matches_snapshot(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.relative_to(ROOT)}: regenerate with CABRUCTL_UPDATE_SNAPSHOTS=1"
    assert actual == path.read_text(encoding="utf-8"), f"{path.relative_to(ROOT)} differs (see the module docstring)"


@pytest.mark.parametrize("name", GOOD)
def test_a_good_topology_validates_as_its_snapshot_says(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = FIXTURES / "good" / name
    code, output = run(folder, "validate", monkeypatch=monkeypatch)
    assert code == 0, output
    matches_snapshot(folder / "validate.txt", output)


@pytest.mark.parametrize("name", BAD)
def test_a_bad_topology_is_refused_as_its_snapshot_says(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = FIXTURES / "bad" / name
    code, output = run(folder, "validate", monkeypatch=monkeypatch)
    assert code == 1, output
    assert "Traceback" not in output
    matches_snapshot(folder / "validate.txt", output)


@pytest.mark.parametrize("name", GOOD)
def test_a_good_topology_plans_against_an_empty_account_as_its_snapshot_says(name: str, shared_local_aws: Any,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    folder = FIXTURES / "good" / name
    code, output = run(folder, "plan", "--json", "--endpoint-url", shared_local_aws.endpoint_url, monkeypatch=monkeypatch)
    assert code == 0, output
    document = json.loads(output)
    assert document["summary"]["create"] == len(document["changes"]) > 0  # an empty account: everything is created
    matches_snapshot(folder / "plan.json", json.dumps(document, indent=2, sort_keys=True) + "\n")
