"""The state file is trusted only from a directory of our own, and only to name a loopback endpoint."""

from __future__ import annotations

import json
import os
import socket
import tempfile
from pathlib import Path

import pytest

from cabructl.local import LocalAws, LocalEndpointError, running_endpoint
from cabructl.local.state import STATE_ENV, STATE_NAME, is_loopback_endpoint, read_state, state_path

pytestmark = pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership and modes")


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temp dir state.py uses, here a test's own; no override and no runtime dir."""
    monkeypatch.delenv(STATE_ENV, raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def private_dir(temp_dir: Path) -> Path:
    return temp_dir / f"cabructl-{os.getuid()}"


def test_the_private_directory_is_created_0700(temp_dir: Path) -> None:
    assert state_path() == private_dir(temp_dir) / STATE_NAME
    assert private_dir(temp_dir).stat().st_mode & 0o777 == 0o700


def test_a_world_writable_directory_is_refused_with_a_fix(temp_dir: Path) -> None:
    private_dir(temp_dir).mkdir()
    private_dir(temp_dir).chmod(0o777)
    with pytest.raises(LocalEndpointError, match="other users can write to it") as refused:
        state_path()
    assert refused.value.hint is not None and f"chmod 700 {private_dir(temp_dir)}" in refused.value.hint
    with pytest.raises(LocalEndpointError):
        running_endpoint()  # --local refuses too, rather than trusting what is in there


def test_a_group_writable_directory_is_refused(temp_dir: Path) -> None:
    private_dir(temp_dir).mkdir()
    private_dir(temp_dir).chmod(0o770)
    with pytest.raises(LocalEndpointError, match="other users can write"):
        state_path()


def test_a_readable_but_not_writable_directory_is_accepted(temp_dir: Path) -> None:
    private_dir(temp_dir).mkdir()
    private_dir(temp_dir).chmod(0o755)
    assert state_path() == private_dir(temp_dir) / STATE_NAME


def test_a_directory_owned_by_someone_else_is_refused(temp_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = os.getuid()
    private_dir(temp_dir).mkdir(mode=0o700)
    real_lstat = os.lstat

    def lstat_as_another_user(path: os.PathLike[str] | str, *args: object, **kwargs: object) -> os.stat_result:
        info = real_lstat(path)
        fields = list(info)
        fields[4] = mine + 1  # st_uid
        return os.stat_result(fields)

    monkeypatch.setattr(os, "lstat", lstat_as_another_user)
    with pytest.raises(LocalEndpointError, match=f"owned by uid {mine + 1}, not by you") as refused:
        state_path()
    assert refused.value.hint is not None and "remove it" in refused.value.hint and STATE_ENV in refused.value.hint


def test_a_symlink_in_place_of_the_directory_is_refused(temp_dir: Path) -> None:
    elsewhere = temp_dir / "planted"
    elsewhere.mkdir(mode=0o700)
    private_dir(temp_dir).symlink_to(elsewhere)
    with pytest.raises(LocalEndpointError, match="not a directory"):
        state_path()


def test_a_shared_runtime_dir_is_passed_over_for_the_private_one(temp_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = temp_dir / "runtime"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    assert state_path() == private_dir(temp_dir) / STATE_NAME
    shared.chmod(0o700)
    assert state_path() == shared / STATE_NAME


def test_the_state_file_is_written_readable_by_us_only(temp_dir: Path) -> None:
    from cabructl.local.state import published

    with published("http://127.0.0.1:4590", None) as path:
        assert path.stat().st_mode & 0o777 == 0o600
        assert read_state(path) == {"endpoint_url": "http://127.0.0.1:4590", "pid": os.getpid(), "region": None}
    assert not path.exists()


@pytest.mark.parametrize("endpoint", ["http://192.0.2.1:4590", "http://example.com:4590", "http://127.0.0.1", "ftp://127.0.0.1:21",
                                      "http://127.0.0.1\\@192.0.2.1:4590", "http://localhost@192.0.2.1:4590"])
def test_a_recorded_non_loopback_endpoint_is_refused_and_never_probed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, endpoint: str
) -> None:
    path = tmp_path / STATE_NAME
    monkeypatch.setenv(STATE_ENV, str(path))
    path.write_text(json.dumps({"endpoint_url": endpoint, "pid": os.getpid()}))

    def no_connection(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"probed {args}")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    assert read_state(path) is None
    assert running_endpoint() is None


def test_a_recorded_loopback_endpoint_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_aws: LocalAws) -> None:
    path = tmp_path / STATE_NAME
    monkeypatch.setenv(STATE_ENV, str(path))
    path.write_text(json.dumps({"endpoint_url": local_aws.endpoint_url, "pid": os.getpid()}))
    assert running_endpoint() == local_aws.endpoint_url


@pytest.mark.parametrize("endpoint, expected", [
    ("http://127.0.0.1:4590", True), ("http://[::1]:4590", True), ("http://localhost:1", True),
    ("http://127.0.0.1:99999", False), ("http://192.0.2.1:4590", False), ("127.0.0.1:4590", False),
])
def test_is_loopback_endpoint(endpoint: str, expected: bool) -> None:
    assert is_loopback_endpoint(endpoint) is expected


def test_a_dangling_symlink_in_place_of_the_directory_is_refused(temp_dir: Path) -> None:
    private_dir(temp_dir).symlink_to(temp_dir / "nowhere")
    with pytest.raises(LocalEndpointError, match="not a directory"):
        state_path()
