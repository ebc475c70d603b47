"""The topology as it was at a git revision (a pull request's base), for offline comparisons.

``cabructl policy check --against REF`` compares each event schema with its version at
REF. The topology's folder at REF is extracted with ``git archive`` into a temporary
folder and loaded there as any topology is, so schema files, inline schemas and
environments resolve exactly as they did at that revision.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from cabructl.errors import CabructlError
from cabructl.topology.model import Topology

GIT_TIMEOUT_SECONDS = 60


class RevisionError(CabructlError):
    """The topology cannot be read at the revision asked for."""

    reference = "git-revision"


def load_topology_at(file: str, env: str | None, revision: str) -> Topology:
    """``file`` (and its folder) as committed at ``revision``, loaded."""
    from cabructl.topology import load_topology

    topology_file = Path(file).resolve()
    root = Path(_git(topology_file.parent, "rev-parse", "--show-toplevel").decode().strip())
    folder = topology_file.parent.relative_to(root)
    archive = _git(root, "archive", "--format=tar", revision, "--", str(folder) if str(folder) != "." else ".")
    with tempfile.TemporaryDirectory(prefix="cabructl-revision-") as scratch:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(scratch, filter="data")
        old_file = Path(scratch) / folder / topology_file.name
        if not old_file.is_file():
            raise RevisionError(f"{topology_file.name} does not exist at {revision}", hint="compare against a revision that has it")
        return load_topology(str(old_file), env)


def _git(folder: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, timeout=GIT_TIMEOUT_SECONDS, check=False)
    except FileNotFoundError:
        raise RevisionError("git is not installed", hint="--against needs git and a checkout") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise RevisionError(f"git {args[0]}: {message[-1] if message else 'failed'}",
                            hint="--against takes a revision of the repository holding the topology, e.g. origin/main or HEAD~1")
    return done.stdout
