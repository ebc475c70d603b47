"""Writing exports so that a failure never leaves half of one behind.

A file is written beside its destination and renamed over it; a site is built in a folder
beside its destination and swapped in whole. A folder is only ever replaced when an earlier
``cabructl docs`` made it (it holds :data:`MARKER`): pointing ``-o`` at a folder of one's own
must not delete it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Mapping

from cabructl.errors import CabructlError

MARKER = ".cabructl-catalogue"


def write_file_atomically(path: str, text: str) -> None:
    """``text`` at ``path``, all or nothing (a reader never sees a partial file)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        _remove(temporary)
        raise


def publish_directory(files: Mapping[str, bytes | str], destination: str) -> None:
    """The folder ``destination`` holding exactly ``files`` (relative name → content), swapped in at once."""
    destination = os.path.abspath(destination)
    _refuse_foreign(destination)
    parent = os.path.dirname(destination)
    os.makedirs(parent, exist_ok=True)
    build = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(destination)}.build-")
    try:
        for name, content in {**files, MARKER: "made by cabructl docs; the folder is replaced on each run\n"}.items():
            target = os.path.join(build, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as stream:
                stream.write(content.encode("utf-8") if isinstance(content, str) else content)
        _swap(build, destination)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise


def _refuse_foreign(destination: str) -> None:
    if os.path.isfile(destination):
        raise CabructlError(f"{destination} is a file, not a folder", hint="give -o a folder for the catalogue")
    if os.path.isdir(destination) and os.listdir(destination) and not os.path.exists(os.path.join(destination, MARKER)):
        raise CabructlError(f"{destination} exists and was not written by cabructl docs; not replacing it",
                            hint="choose an empty or new folder with -o")


def _swap(build: str, destination: str) -> None:
    """Move the built folder into place; the previous catalogue is removed only once the new one is there."""
    if not os.path.exists(destination):
        os.replace(build, destination)
        return
    old = f"{build}-previous"
    os.replace(destination, old)
    try:
        os.replace(build, destination)
    except BaseException:
        os.replace(old, destination)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
