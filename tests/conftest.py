"""Shared fixtures: the real topology, and copies of it that tests may change."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import settings

from cabructl.local.sqs_redrive_allow import install_redrive_allow_read_back
from cabructl.local.sqs_retention import install_direct_retention_check
from cabructl.local.tag_index import install_rule_tag_index

# CI runs the property tests on a fixed seed so a landing never depends on luck; on a
# developer's machine they stay random and keep looking for new counterexamples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# moto in-process answers the tagging API as the local endpoint does (rules included), so call
# counts do not depend on whether some earlier test started a local endpoint in this process.
install_rule_tag_index()
install_redrive_allow_read_back()  # moto stores a queue's RedriveAllowPolicy but never returns it; AWS does
install_direct_retention_check()  # moto's receive is quadratic in the queue's depth without it

ROOT = Path(__file__).resolve().parent.parent
TOPOLOGY = ROOT / "topology.yaml"


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real AWS account: fake credentials, no profile."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "sa-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def shared_local_aws() -> Iterator[Any]:
    """One embedded endpoint for the folders that deploy copies of the topology (each under a
    project of its own: the endpoint's state is process-global anyway)."""
    from cabructl.local import LocalAws

    with LocalAws(port=0, region="sa-east-1") as local:
        yield local


@pytest.fixture
def topology_copy(tmp_path: Path) -> Path:
    """A writable copy of topology.yaml with its schema files beside it."""
    shutil.copy(TOPOLOGY, tmp_path / "topology.yaml")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    return tmp_path / "topology.yaml"


os.environ.setdefault("NO_COLOR", "1")
