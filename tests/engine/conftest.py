"""Fixtures for the engine's promises on the embedded endpoint: copies of the real topology,
each under a project of its own (the endpoint's state is process-global)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from cabructl.local import LocalAws
from deployment import deployments


@pytest.fixture
def deploy(tmp_path: Path, shared_local_aws: LocalAws) -> Iterator[Any]:
    """``deploy(*edits, applied=True)``: a fresh copy of the topology, applied unless told not to."""
    folders = iter(tmp_path / f"d{index}" for index in range(100))

    def folder() -> Path:
        path = next(folders)
        path.mkdir()
        return path

    with deployments(folder, shared_local_aws, project_prefix="trust") as make:
        yield make
