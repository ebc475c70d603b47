"""``cabructl local serve`` as a user runs it, and how other commands find it."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Iterator

import boto3
import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from cabructl.local import LocalAws, running_endpoint
from cabructl.local.state import STATE_ENV

REPOSITORY = Path(__file__).resolve().parents[2]
CABRUCTL = [sys.executable, "-c", "from cabructl.cli import main; main()"]


@pytest.fixture
def state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private state file, so a user's own running endpoint is never touched."""
    path = tmp_path / "cabructl-local.json"
    monkeypatch.setenv(STATE_ENV, str(path))
    return path


@pytest.fixture
def serve(state_file: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [*CABRUCTL, "local", "serve", "--port", "0", "--region", "sa-east-1"],
        cwd=REPOSITORY,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def line_starting(stream: IO[str], prefix: str, timeout: float = 20.0) -> str:
    """The first output line with the prefix; fails rather than hangs if the server never says it.

    A reader thread, because select() on a buffered text pipe misses lines already buffered.
    """
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line.startswith(prefix):
            return line.strip()
    raise AssertionError(f"no line starting with {prefix!r} within {timeout}s")


def test_serve_prints_a_working_endpoint_and_stops_cleanly_on_sigterm(serve: subprocess.Popen[str], state_file: Path) -> None:
    assert serve.stdout is not None
    url = line_starting(serve.stdout, "export AWS_ENDPOINT_URL=").split("=", 1)[1]
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
    client = boto3.client("schemas", endpoint_url=url, region_name="sa-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    assert client.list_registries()["Registries"] == []
    assert json.loads(state_file.read_text())["pid"] == serve.pid
    assert running_endpoint() == url

    serve.send_signal(signal.SIGTERM)
    assert serve.wait(timeout=10) == 0
    assert not state_file.exists()
    assert running_endpoint() is None


def test_serve_refuses_a_second_endpoint_while_one_is_recorded(local_aws: LocalAws, state_file: Path) -> None:
    state_file.write_text(json.dumps({"endpoint_url": local_aws.endpoint_url, "pid": os.getpid()}))
    result = CliRunner().invoke(cli, ["local", "serve", "--port", "0"])
    assert result.exit_code == 1
    assert f"already running at {local_aws.endpoint_url}" in result.output


def test_serve_refuses_a_non_loopback_host(state_file: Path) -> None:
    result = CliRunner().invoke(cli, ["local", "serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 1
    assert "refusing to bind" in result.output
    assert not state_file.exists()


def test_running_endpoint_ignores_missing_garbled_and_stale_state(state_file: Path, local_aws: LocalAws) -> None:
    assert running_endpoint() is None
    state_file.write_text("{not json")
    assert running_endpoint() is None
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    state_file.write_text(json.dumps({"endpoint_url": local_aws.endpoint_url, "pid": int(finished.stdout)}))
    assert running_endpoint() is None, "the recorded process has exited"
    state_file.write_text(json.dumps({"endpoint_url": f"http://127.0.0.1:{closed_port()}", "pid": os.getpid()}))
    assert running_endpoint() is None, "nothing answers on the recorded port"
    state_file.write_text(json.dumps({"endpoint_url": local_aws.endpoint_url, "pid": os.getpid()}))
    assert running_endpoint() == local_aws.endpoint_url


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
