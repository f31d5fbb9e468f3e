"""The state file's lock: an exclusive `flock` on a sidecar file, waited for at most LOCK_WAIT_S.

A writer holds the lock for milliseconds, so a lock held longer belongs to a stuck process (or a
network file system whose locks never answer); a command or a key press waiting on it forever
would look like a hang. flock has no timeout of its own, so a busy lock is tried again every
LOCK_POLL_S until the wait is over.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_WAIT_S = 5.0
LOCK_POLL_S = 0.02


class LockHeld(TimeoutError):
    """Another process held the lock for the whole wait."""


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold the lock on `lock_path` (created if missing). Raises LockHeld after LOCK_WAIT_S, or the
    OSError that kept the lock file from opening or locking."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockHeld(f"{lock_path} held for over {LOCK_WAIT_S:g}s") from None
                time.sleep(LOCK_POLL_S)
    except BaseException:
        os.close(fd)
        raise
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
