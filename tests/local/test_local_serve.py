"""``cabructl local serve`` as a user runs it, and how other commands find it."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
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


@contextlib.contextmanager
def serving(*args: str, cwd: Path = REPOSITORY) -> Iterator[subprocess.Popen[str]]:
    """``cabructl local serve --port 0 ARGS`` in ``cwd``, with no region or topology from the caller's environment."""
    env = {name: value for name, value in os.environ.items() if name not in ("AWS_REGION", "AWS_DEFAULT_REGION", "CABRUCTL_FILE")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [*CABRUCTL, "local", "serve", "--port", "0", *args],
        cwd=cwd,
        env=env,
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


@pytest.fixture
def serve(state_file: Path) -> Iterator[subprocess.Popen[str]]:
    with serving("--region", "sa-east-1") as process:
        yield process


def line_starting(stream: IO[str], prefix: str, timeout: float = 20.0) -> str:
    """The first output line with the prefix; fails rather than hangs if the server never says it."""
    return lines_until(stream, prefix, timeout)[-1]


def lines_until(stream: IO[str], prefix: str, timeout: float = 20.0) -> list[str]:
    """Output lines up to and including the first with the prefix; fails rather than hangs.

    A reader thread, because select() on a buffered text pipe misses lines already buffered.
    """
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        seen.append(line.strip())
        if line.startswith(prefix):
            return seen
    raise AssertionError(f"no line starting with {prefix!r} within {timeout}s; got {seen}")


def banner(*args: str, cwd: Path) -> list[str]:
    """The lines ``local serve`` prints before it waits for Ctrl-C."""
    with serving(*args, cwd=cwd) as process:
        assert process.stdout is not None
        return lines_until(process.stdout, "# other cabructl commands use it with --local")


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


def exported(lines: list[str]) -> dict[str, str]:
    return dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))


def test_serve_exports_the_region_of_the_topology_in_the_directory(state_file: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPOSITORY / "topology.yaml", project)
    shutil.copytree(REPOSITORY / "schemas", project / "schemas")
    variables = exported(banner(cwd=project))
    assert (variables["AWS_REGION"], variables["AWS_DEFAULT_REGION"]) == ("sa-east-1", "sa-east-1")


def test_serve_exports_the_region_of_the_named_topology_and_environment(state_file: Path, tmp_path: Path) -> None:
    variables = exported(banner("-f", str(REPOSITORY / "topology.yaml"), "--env", "dev", cwd=tmp_path))
    assert variables["AWS_REGION"] == "us-east-1"


@pytest.mark.parametrize("topology", [None, "version: [not a topology\n"], ids=["no topology", "invalid topology"])
def test_serve_exports_no_region_without_a_topology(state_file: Path, tmp_path: Path, topology: str | None) -> None:
    if topology is not None:
        (tmp_path / "topology.yaml").write_text(topology)
    lines = banner(cwd=tmp_path)
    assert "AWS_ENDPOINT_URL" in exported(lines)
    assert not {"AWS_REGION", "AWS_DEFAULT_REGION"} & set(exported(lines)), lines
    assert any(line.startswith("# no AWS_REGION") for line in lines)


def test_serve_refuses_a_named_topology_that_does_not_load(state_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["local", "serve", "--port", "0", "-f", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1
    assert "missing.yaml" in result.output
    assert not state_file.exists()


def test_serve_refuses_an_allowed_origin_that_is_not_one(state_file: Path) -> None:
    result = CliRunner().invoke(cli, ["local", "serve", "--port", "0", "--region", "sa-east-1", "--allow-origin", "*"])
    assert result.exit_code == 1
    assert "--allow-origin '*' is not an origin" in result.output


def origin_call(url: str, origin: str) -> tuple[int, str | None]:
    """Status and Access-Control-Allow-Origin of a POST from a browser page at ``origin``."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url + "/", data=b"Action=ListQueues", headers={"Origin": origin}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Access-Control-Allow-Origin")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Access-Control-Allow-Origin")


def test_serve_allow_origin_admits_exactly_that_origin(state_file: Path) -> None:
    with serving("--region", "sa-east-1", "--allow-origin", "http://localhost:3000") as process:
        assert process.stdout is not None
        lines = lines_until(process.stdout, "# other cabructl commands use it with --local")
        url = exported(lines)["AWS_ENDPOINT_URL"]
        assert "# browser pages allowed: http://localhost:3000" in lines
        assert origin_call(url, "http://localhost:3000") == (200, "http://localhost:3000")
        assert origin_call(url, "http://evil.example") == (403, None)


def test_serve_says_which_targets_it_fails_on_purpose(state_file: Path, tmp_path: Path) -> None:
    lines = banner("--region", "sa-east-1", "--fail", "critical-issues-sns=no_permissions", "--fail", "cicd-queue", cwd=tmp_path)
    assert "# deliveries to target critical-issues-sns fail with NO_PERMISSIONS (--fail)" in lines
    assert "# deliveries to target cicd-queue fail with INTERNAL_ERROR (--fail)" in lines


@pytest.mark.parametrize("value, message", [("cicd-queue=OOPS", 'unknown delivery error code "OOPS"'), ("=THROTTLING", "name a target id")])
def test_serve_refuses_a_failure_it_cannot_inject_as_a_usage_error(state_file: Path, value: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["local", "serve", "--port", "0", "--region", "sa-east-1", "--fail", value])
    assert result.exit_code == 64, result.output
    assert message in result.output and not state_file.exists()
