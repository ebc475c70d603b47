"""Fixtures for drift and import: the real topology applied to the embedded local endpoint.

Every deployment is a copy of topology.yaml (with schemas/) in tmp_path under a
project name of its own, because the endpoint's state is process-global: tests
never see each other's resources. Helpers live in ``drift_support``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from cabructl.local import LocalAws
from deployment import deployments
from drift_support import Deploy, Deployment


@pytest.fixture
def deploy(tmp_path: Path, shared_local_aws: LocalAws) -> Iterator[Deploy]:
    """Copy the topology under a fresh project name, apply it (unless ``applied=False``),
    and hand back the deployment."""
    with deployments(lambda: tmp_path, shared_local_aws, Deployment) as make:
        yield make


@pytest.fixture(scope="module")
def module_deploy(tmp_path_factory: pytest.TempPathFactory, shared_local_aws: LocalAws) -> Iterator[Deploy]:
    """As ``deploy``, for read-only tests that share one deployment. Module fixtures run
    before the per-test fake credentials, so they set their own for the module's life."""
    with pytest.MonkeyPatch.context() as patch, deployments(lambda: tmp_path_factory.mktemp("drift"), shared_local_aws, Deployment) as make:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.delenv("AWS_PROFILE", raising=False)
        yield make
