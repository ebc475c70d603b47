"""Fixtures for drift and import: the real topology applied to the embedded local endpoint.

Every deployment is a copy of topology.yaml (with schemas/) in tmp_path under a
project name of its own, because the endpoint's state is process-global: tests
never see each other's resources. Helpers live in ``drift_support``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator

import pytest

from cabructl.local import LocalAws
from drift_support import REGION, Deploy, Deployment, copy_topology
from support import edit_topology


@pytest.fixture(scope="session")
def local_endpoint() -> Iterator[LocalAws]:
    with LocalAws(port=0, region=REGION) as local:
        yield local


@pytest.fixture
def deploy(tmp_path: Path, local_endpoint: LocalAws) -> Iterator[Deploy]:
    """Copy the topology under a fresh project name, apply it (unless ``applied=False``),
    and hand back the deployment."""
    with deployments(lambda: tmp_path, local_endpoint) as make:
        yield make


@pytest.fixture(scope="module")
def module_deploy(tmp_path_factory: pytest.TempPathFactory, local_endpoint: LocalAws) -> Iterator[Deploy]:
    """As ``deploy``, for read-only tests that share one deployment. Module fixtures run
    before the per-test fake credentials, so they set their own for the module's life."""
    with pytest.MonkeyPatch.context() as patch, deployments(lambda: tmp_path_factory.mktemp("drift"), local_endpoint) as make:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.delenv("AWS_PROFILE", raising=False)
        yield make


@contextlib.contextmanager
def deployments(folder: Callable[[], Path], local: LocalAws) -> Iterator[Deploy]:
    made: list[Deployment] = []

    def make(*edits: tuple[str, str], env: str | None = None, applied: bool = True) -> Deployment:
        file = copy_topology(folder())
        for old, new in edits:
            edit_topology(file, old, new)
        deployment = Deployment(file, local.endpoint_url, env)
        made.append(deployment)
        if applied:
            deployment.apply()
        return deployment

    try:
        yield make
    finally:
        for deployment in made:
            deployment.release()
