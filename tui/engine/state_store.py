"""The shared availability state: a small versioned JSON file.

Several processes (a running TUI, `modelfallback disable` in another terminal, scripts) share it:
- every read-modify-write happens under an exclusive `flock` on a sidecar lock file, so
  concurrent updates are never lost;
- writes are atomic (temp file in the same folder, fsync, `os.replace`), so a crash mid-write
  leaves the previous or the next version, never a torn file;
- readers notice another process's write by the file's (mtime_ns, size, inode) signature and reload;
- a corrupt or unknown-version file is moved aside with a warning instead of crashing or being
  silently overwritten;
- a path that cannot hold the file (a directory, below a regular file, unreadable or unwritable) is
  a setup problem, raised as `StateFileError` with one clear message; it is never moved aside.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import logging
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

log = logging.getLogger("modelfallback.state")

VERSION = 1


class StateFileError(OSError):
    """The state file's path cannot be used: a directory, or a place that cannot be read or written.

    An OSError, so callers that already handle a failed write (the TUI's disable / enable) keep working.
    """


def empty_state() -> dict:
    return {"version": VERSION, "models": {}, "providers": {}, "health": {}}


class StateStore:
    """A JSON document shared through a file, or kept in memory when `path` is None."""

    def __init__(self, path: Path | str | None) -> None:
        self.path = Path(path) if path is not None else None
        self.warnings: list[str] = []
        self._data = empty_state()
        self._signature: tuple | None = None
        if self.path is not None:
            self._reload_if_changed(force=True)

    # -- reading -------------------------------------------------------------------------------
    @property
    def data(self) -> dict:
        """The current document (reloaded first if another process changed the file)."""
        self._reload_if_changed()
        return self._data

    def changed_on_disk(self) -> bool:
        """True when the file differs from what this process last read or wrote."""
        return self.path is not None and self._file_signature() != self._signature

    def refresh(self) -> bool:
        """Reload if another process wrote; returns True when something was reloaded."""
        return self._reload_if_changed()

    # -- writing -------------------------------------------------------------------------------
    def update(self, mutate: Callable[[dict], object], *, durable: bool = True) -> object:
        """Apply `mutate` to the latest document and persist it, atomically, under the lock.

        `durable=False` skips the fsync. The write is still atomic (temp file, then rename), so a
        crash of any process leaves the old or the new document; only an OS crash or power cut
        can lose the change. For automatic cooldowns and health rows, which are transient, that
        saves a disk flush (0.3-2 ms here) on every failover; manual changes stay durable.
        """
        if self.path is None:
            return mutate(self._data)
        with self._locked():
            self._reload_if_changed(force=True)
            data = copy.deepcopy(self._data)
            result = mutate(data)
            if data != self._data:
                self._write(data, durable)
                self._data = data
            return result

    # -- internals -----------------------------------------------------------------------------
    def _file_signature(self) -> tuple | None:
        assert self.path is not None
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unusable("cannot be read", exc) from None
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise StateFileError(f"state file {self.path} is {kind}; expected a JSON file "
                                 "(choose another with --state or $MODELFALLBACK_STATE)")
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _unusable(self, what: str, exc: OSError) -> StateFileError:
        return StateFileError(f"state file {self.path} {what}: {exc.strerror or exc} "
                              "(choose another with --state or $MODELFALLBACK_STATE)")

    def _reload_if_changed(self, force: bool = False) -> bool:
        if self.path is None:
            return False
        signature = self._file_signature()
        if not force and signature == self._signature:
            return False
        self._signature = signature
        if signature is None:
            self._data = empty_state()
            return True
        try:
            text = self.path.read_text(encoding="utf-8")
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("version") != VERSION:
                raise ValueError(f"unsupported state version {data.get('version') if isinstance(data, dict) else '?'}")
            for key in ("models", "providers", "health"):
                if not isinstance(data.setdefault(key, {}), dict):
                    raise ValueError(f"'{key}' is not an object")
        except FileNotFoundError:  # removed between the stat and the read
            self._data, self._signature = empty_state(), None
            return True
        except OSError as exc:  # unreadable, not corrupt: never moved aside
            raise self._unusable("cannot be read", exc) from None
        except (UnicodeDecodeError, ValueError) as exc:
            self._move_aside(exc)
            self._data = empty_state()
            self._signature = self._file_signature()
            return True
        self._data = data
        return True

    def _move_aside(self, exc: Exception) -> None:
        assert self.path is not None
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        try:
            os.replace(self.path, aside)
        except OSError:
            return
        message = f"state file {self.path} was unreadable ({exc}); moved it to {aside.name} and started fresh"
        log.warning(message)
        self.warnings.append(message)

    def _write(self, data: dict, durable: bool = True) -> None:
        assert self.path is not None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        except OSError as exc:
            raise self._unusable("cannot be written", exc) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
                fh.flush()
                if durable:
                    os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise self._unusable("cannot be written", exc) from None
            raise
        self._signature = self._file_signature()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        assert self.path is not None
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self._unusable("cannot be written", exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
