"""No import runs up the layers (DESIGN.md): import-linter's layers contract in setup.cfg, lazy imports included."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT


def test_the_layers_contract_is_kept() -> None:
    beside = Path(sys.executable).parent / "lint-imports"  # the environment running the tests
    command = str(beside) if beside.exists() else shutil.which("lint-imports")
    if command is None:
        pytest.fail("lint-imports is not installed: it is a test extra (pip install -e '.[test]')")
    result = subprocess.run([command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout
