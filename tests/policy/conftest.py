"""Fixtures for policy tests: evaluate a topology (a real one or an edited copy) and pick findings."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest

from cabructl.policy import PolicyReport, evaluate_policy
from cabructl.policy.data import BUILTIN_FOLDER
from cabructl.policy.report import Finding
from cabructl.topology import load_topology

Evaluate = Callable[..., PolicyReport]
Pick = Callable[[PolicyReport, str], list[Finding]]


@pytest.fixture
def evaluate() -> Evaluate:
    """``evaluate(path, pricing=None, env=None)`` → the PolicyReport of that file."""

    def run(path: Path, pricing: str | None = None, env: str | None = None) -> PolicyReport:
        return evaluate_policy(load_topology(str(path), env), pricing)

    return run


@pytest.fixture
def pick() -> Pick:
    """``pick(report, "COST001")`` → that check's findings."""

    def run(report: PolicyReport, check_id: str) -> list[Finding]:
        return [finding for finding in report.findings if finding.id == check_id]

    return run


@pytest.fixture
def policies_copy(topology_copy: Path) -> Path:
    """A ``policies/`` folder beside the topology copy, holding the built-in data to edit."""
    folder = topology_copy.parent / "policies"
    folder.mkdir()
    for name in ("pricing.yaml", "policy.yaml"):
        shutil.copy(Path(BUILTIN_FOLDER) / name, folder / name)
    return folder
