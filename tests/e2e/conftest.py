"""End-to-end fixtures: one `cabructl local serve` process per session, the real CLI over HTTP.

The endpoint runs in its own process (as a user would run it), so moto state in
this test process (unit tests use moto in-process) can never interfere.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from e2e_driver import REGION, Cli, serve
from support import ROOT


@pytest.fixture(scope="session")
def local_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where `local serve` records itself, so `--local` finds it."""
    return tmp_path_factory.mktemp("local") / "state.json"


@pytest.fixture(scope="session")
def endpoint(local_state: Path) -> Iterator[str]:
    """Start `cabructl local serve --port 0` and yield the URL it prints."""
    with serve({**os.environ, "CABRUCTL_LOCAL_STATE": str(local_state), "PYTHONUNBUFFERED": "1"}) as url:
        yield url


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the real topology that the module's tests change step by step."""
    folder = tmp_path_factory.mktemp("e2e")
    shutil.copy(ROOT / "topology.yaml", folder / "topology.yaml")
    shutil.copytree(ROOT / "schemas", folder / "schemas")
    return folder


@pytest.fixture(scope="session")
def aws_env(endpoint: str) -> dict[str, str]:
    """The environment of every subprocess: the endpoint and fake credentials, nothing else of AWS."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION, NO_COLOR="1")
    return env


@pytest.fixture(scope="module")
def cli(workdir: Path, aws_env: dict[str, str]) -> Cli:
    return Cli(workdir, aws_env)
