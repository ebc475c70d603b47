"""Runs the real `cabructl` (and `aws`) processes for the end-to-end tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REGION = "sa-east-1"


class Cli:
    """Runs the real `cabructl` (and `aws`) processes in the work folder."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env

    def run(self, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "cabructl.cli", *args], cwd=self.folder, env=self.env,
                                capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if check is not None:
            assert result.returncode == check, f"cabructl {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        return result

    def aws(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = shutil.which("aws")
        assert command, "the AWS CLI (awscli, a test extra) is not installed"
        result = subprocess.run([command, *args, "--endpoint-url", self.env["AWS_ENDPOINT_URL"], "--region", REGION, "--output", "json"],
                                cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"aws {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result
