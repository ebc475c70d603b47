"""Runs the real `cabructl` (and `aws`) processes for the end-to-end tests."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

REGION = "sa-east-1"
START_TIMEOUT = 30.0


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


@contextlib.contextmanager
def serve(env: dict[str, str], *options: str, cwd: Path | None = None) -> Iterator[str]:
    """A `cabructl local serve --port 0` process (with ``options``), yielding the URL it prints; stopped after."""
    process = subprocess.Popen([sys.executable, "-m", "cabructl.cli", "local", "serve", "--port", "0", "--region", REGION, *options],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd)
    url = wait_for_url(process)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for_url(process: subprocess.Popen[str]) -> str:
    """The endpoint URL `local serve` prints, within START_TIMEOUT (its output so far, if it never does)."""
    deadline = time.monotonic() + START_TIMEOUT
    seen = []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        match = re.search(r"AWS_ENDPOINT_URL=(\S+)", line)
        if match:
            return match.group(1).strip("'\"")
    process.kill()
    raise AssertionError("local endpoint did not start:\n" + "".join(seen))
