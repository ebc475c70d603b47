"""How a running ``cabructl local serve`` is found by other commands (``--local``).

``serve`` writes a small JSON state file (endpoint URL and pid) and removes it on
exit. A crash can leave it behind, so readers trust it only while that process is
alive and its port answers, and only if it names a loopback endpoint. The file
sits in a per-user place, so another user's endpoint is never picked up:
``$XDG_RUNTIME_DIR``, else a private (0700) directory in the temp dir;
``CABRUCTL_LOCAL_STATE`` overrides the whole path.

The temp dir is shared, so whoever creates ``cabructl-<uid>`` there first owns
it: another user could make it before us, or leave it world-writable, and then
choose which endpoint our ``--local`` commands send credentials-free requests
to. The directory is used only if it is ours and no one else can write to it.

This module imports nothing heavy: every command with ``--local`` uses it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import tempfile
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

from cabructl.hosts import is_loopback
from cabructl.local.server import LocalEndpointError

STATE_ENV = "CABRUCTL_LOCAL_STATE"
STATE_NAME = "cabructl-local.json"
_PROBE_TIMEOUT_SECONDS = 0.5


def state_path() -> Path:
    """Where the state file is, whether or not it exists."""
    override = os.environ.get(STATE_ENV)
    if override:
        return Path(override)
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if runtime_dir and os.path.isdir(runtime_dir) and _privacy_problem(Path(runtime_dir)) is None:
        return Path(runtime_dir) / STATE_NAME
    return _private_temp_dir() / STATE_NAME


def _private_temp_dir() -> Path:
    """The temp dir is shared between users on POSIX, so keep our file in a directory only we can use."""
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    directory = Path(tempfile.gettempdir()) / f"cabructl-{user}"
    with contextlib.suppress(FileExistsError):  # whatever is there (even a dangling symlink) is checked below
        directory.mkdir(mode=0o700)
    problem = _privacy_problem(directory)
    if problem is not None:
        reason, fix = problem
        raise LocalEndpointError(f"refusing to use {directory} for the local endpoint's state: {reason}", hint=fix)
    return directory


def _privacy_problem(directory: Path) -> tuple[str, str] | None:
    """Why the directory is not ours alone, and the fix; None if it is.

    A symlink is not followed: the link itself is what another user would plant.
    """
    if not hasattr(os, "getuid"):
        return None  # Windows: the temp dir is already per user
    info = os.lstat(directory)
    replace = (f"remove it (its owner or root can: `rm -r {directory}`), "
               f"or set {STATE_ENV} to a file in a directory of your own")
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a directory (a symbolic link, or a file)", replace
    if info.st_uid != os.getuid():
        return f"it is owned by uid {info.st_uid}, not by you (uid {os.getuid()})", replace
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return (f"other users can write to it (mode {stat.filemode(info.st_mode)})",
                f"make it private with `chmod 700 {directory}`, or remove it so cabructl recreates it")
    return None


def read_state(path: Path | None = None) -> dict[str, Any] | None:
    """The recorded endpoint, or None if there is none or it is unreadable."""
    path = path or state_path()
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not isinstance(state.get("endpoint_url"), str) or not isinstance(state.get("pid"), int):
        return None
    if not is_loopback_endpoint(state["endpoint_url"]):
        return None  # serve records only loopback URLs; anything else was not written by it
    return state


def is_loopback_endpoint(endpoint_url: str) -> bool:
    """``http(s)://<loopback>:<port>``: the only endpoint ``--local`` may be sent to, or probed at."""
    try:
        address = urlsplit(endpoint_url)
        port = address.port
    except ValueError:
        return False
    return address.scheme in ("http", "https") and port is not None and is_loopback(address.hostname or "")


def running_endpoint() -> str | None:
    """The URL of the live local endpoint, or None: the process must be alive and the port must answer."""
    state = read_state()
    if state is None or not _process_alive(state["pid"]) or not _port_answers(state["endpoint_url"]):
        return None
    return state["endpoint_url"]


@contextlib.contextmanager
def published(endpoint_url: str, region: str | None) -> Iterator[Path]:
    """Record this process's endpoint for the duration of the block, then remove the record."""
    path = state_path()
    _write_atomically(path, {"endpoint_url": endpoint_url, "pid": os.getpid(), "region": region})
    try:
        yield path
    finally:
        _remove_if_ours(path)


def _write_atomically(path: Path, state: dict[str, Any]) -> None:
    """Readers never see a half-written file: write beside it, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()  # left by a crashed process with our pid; O_EXCL below must not trip on it
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(state))
    os.replace(partial, path)


def _remove_if_ours(path: Path) -> None:
    """Leave the file alone if another process has since recorded itself there."""
    state = read_state(path)
    if state is not None and state["pid"] == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _process_alive(pid: int) -> bool:
    """Signal 0 probes without touching the process; a PermissionError means another user's process."""
    if os.name == "nt":
        return True  # os.kill would terminate it on Windows; the port probe alone decides there
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _port_answers(endpoint_url: str) -> bool:
    address = urlsplit(endpoint_url)
    if not address.hostname or not address.port:
        return False
    try:
        with socket.create_connection((address.hostname, address.port), timeout=_PROBE_TIMEOUT_SECONDS):
            return True
    except OSError:
        return False
