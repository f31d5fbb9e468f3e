"""A private temporary file beside the state file: what an atomic write renames into place, and
what proves at start that the folder can take one."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def temp_file_beside(path: Path) -> tuple[int, Path]:
    """A new file only this user can read, beside `path`, opened for writing (what
    tempfile.mkstemp does, without importing tempfile and what it brings: a CLI process starts
    faster). Raises OSError when the folder cannot take one."""
    for _ in range(8):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def probe_writable(path: Path) -> None:
    """Create and remove a temporary file beside `path`, as a write would; OSError when it cannot."""
    fd, tmp = temp_file_beside(path)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)
