"""`cabructl import` writes topology.yaml as a person's editor would: through a symbolic link
(the link stays a link, its target gets the edit) and with the file's own line endings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cabructl.errors import TopologyError
from cabructl.topology import load_topology
from cabructl.topology.writer import KeyEdit, Style, TopologyEditor

RETENTION = KeyEdit(("queues", "cicd-changes", "retention"), 604_800, Style.DURATION)


def _linked(topology: Path) -> tuple[Path, Path]:
    """Move the topology into a folder of its own and link to it from where it was (as a
    repository that keeps its environments' files elsewhere would)."""
    target = topology.parent / "real" / "topology.yaml"
    target.parent.mkdir()
    topology.rename(target)
    (target.parent / "schemas").symlink_to(topology.parent / "schemas")
    topology.symlink_to(os.path.relpath(target, topology.parent))
    return topology, target


def test_save_writes_through_a_symbolic_link(topology_copy: Path) -> None:
    link, target = _linked(topology_copy)
    os.chmod(target, 0o640)
    before = os.readlink(link)
    editor = TopologyEditor(str(link))
    editor.apply(RETENTION)
    editor.save()
    assert link.is_symlink() and os.readlink(link) == before
    assert "    retention: 7d\n" in target.read_text(encoding="utf-8")
    assert os.stat(target).st_mode & 0o777 == 0o640
    assert load_topology(str(link)).queues["cicd-changes"].retention == 604_800
    leftovers = [path.name for folder in (link.parent, target.parent) for path in folder.iterdir() if path.name.startswith(".cabructl-import-")]
    assert leftovers == []


def test_restore_writes_through_a_symbolic_link_too(topology_copy: Path) -> None:
    link, target = _linked(topology_copy)
    original = target.read_bytes()
    editor = TopologyEditor(str(link))
    editor.apply(RETENTION)
    editor.save()
    editor.restore()
    assert link.is_symlink() and target.read_bytes() == original


def _crlf(topology: Path) -> bytes:
    raw = topology.read_bytes().replace(b"\n", b"\r\n")
    topology.write_bytes(raw)
    return raw


def test_a_crlf_file_keeps_its_line_endings(topology_copy: Path) -> None:
    original = _crlf(topology_copy)
    editor = TopologyEditor(str(topology_copy))
    assert editor.faithful and editor.newline == "\r\n"
    editor.apply(RETENTION)
    editor.save()
    written = topology_copy.read_bytes()
    assert written.count(b"\n") == written.count(b"\r\n") == original.count(b"\r\n")
    changed = [(old, new) for old, new in zip(original.split(b"\r\n"), written.split(b"\r\n")) if old != new]
    assert changed == [(b"    retention: 4d", b"    retention: 7d")]
    assert load_topology(str(topology_copy)).queues["cicd-changes"].retention == 604_800


def test_a_crlf_file_is_restored_byte_for_byte(topology_copy: Path) -> None:
    original = _crlf(topology_copy)
    editor = TopologyEditor(str(topology_copy))
    editor.apply(RETENTION)
    editor.save()
    editor.restore()
    assert topology_copy.read_bytes() == original


def test_an_lf_file_stays_lf(topology_copy: Path) -> None:
    editor = TopologyEditor(str(topology_copy))
    editor.apply(RETENTION)
    editor.save()
    assert b"\r" not in topology_copy.read_bytes()


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_the_editor_reads_only_regular_files() -> None:
    with pytest.raises(TopologyError, match="is not a regular file"):
        TopologyEditor("/dev/zero")
