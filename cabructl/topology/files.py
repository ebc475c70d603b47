"""Reading and writing the files a topology is made of, within bounds.

Reading: only regular files, at most ``MAX_INPUT_FILE_BYTES``. ``-f /dev/zero`` or a FIFO named
as a schema file would otherwise read (or block) forever; the file is opened without blocking and
checked with ``fstat`` on the open descriptor, so it cannot be swapped between check and read.

Writing (``cabructl import``): atomically, *through* a symbolic link to the file it points at (a
repository that links topology.yaml keeps its link), and with the file's own line endings.
"""

from __future__ import annotations

import os
import stat
import tempfile
from typing import BinaryIO

from cabructl.constants import MAX_INPUT_FILE_BYTES
from cabructl.diagnostics import Diagnostic
from cabructl.errors import TopologyError

# Diagnostic references of file-level failures: the file as a whole, so no line (0:0).
FILE_PROBLEMS = ("file-not-found", "not-a-file", "file-too-large", "file-unreadable")

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_CHUNK = 1024 * 1024


def read_input_bytes(file: str, shown: str) -> bytes:
    """The bytes of a regular file of at most MAX_INPUT_FILE_BYTES, or TopologyError at 0:0."""
    try:
        descriptor = os.open(file, _READ_FLAGS)
    except FileNotFoundError:
        raise _file_error(shown, "no such file", "file-not-found") from None
    except IsADirectoryError:
        raise _file_error(shown, "is a directory, not a file", "not-a-file") from None
    except OSError as error:
        raise _file_error(shown, f"cannot read: {error.strerror}", "file-unreadable") from None
    try:
        _refuse_unless_regular(os.fstat(descriptor), shown)
    except TopologyError:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, "rb") as handle:
        return _read_bounded(handle, shown)


def _refuse_unless_regular(status: os.stat_result, shown: str) -> None:
    """Directories, devices, FIFOs and sockets are refused before a byte is read."""
    if stat.S_ISDIR(status.st_mode):
        raise _file_error(shown, "is a directory, not a file", "not-a-file")
    if not stat.S_ISREG(status.st_mode):
        raise _file_error(shown, "is not a regular file (a device, pipe or socket); only files are read", "not-a-file")
    if status.st_size > MAX_INPUT_FILE_BYTES:
        raise _too_large(shown)


def _read_bounded(handle: BinaryIO, shown: str) -> bytes:
    """Read at most one byte past the limit: a file that grows while read is still refused."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = handle.read(min(_CHUNK, MAX_INPUT_FILE_BYTES + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_INPUT_FILE_BYTES:
            raise _too_large(shown)


def _too_large(shown: str) -> TopologyError:
    limit = MAX_INPUT_FILE_BYTES // (1024 * 1024)
    return _file_error(shown, f"is larger than {limit} MiB, the most cabructl reads (MAX_INPUT_FILE_BYTES)", "file-too-large")


def _file_error(shown: str, message: str, reference: str) -> TopologyError:
    return TopologyError([Diagnostic(shown, 0, 0, (), message, reference)])


def line_ending(text: str) -> str:
    """``\\r\\n`` when most lines of ``text`` end so, else ``\\n``: what an edit writes back."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


def write_through(file: str, data: bytes) -> None:
    """Replace the file's content atomically; a symbolic link stays a link to the new content.

    The temporary file is made beside the link's *target* (``os.replace`` cannot cross file
    systems) and keeps the target's permissions.
    """
    target = os.path.realpath(file)
    descriptor, temporary = tempfile.mkstemp(prefix=".cabructl-import-", suffix=".yaml", dir=os.path.dirname(target))
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
