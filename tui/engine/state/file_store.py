"""The shared availability state: a small versioned JSON file.

Several processes (a running TUI, `modelfallback disable` in another terminal, scripts) share it:
- every read-modify-write happens under an exclusive `flock` on a sidecar lock file, so
  concurrent updates are never lost;
- writes are atomic (temp file in the same folder, fsync, `os.replace`), so a crash mid-write
  leaves the previous or the next version, never a torn file;
- readers notice another process's write by the file's (mtime_ns, size, inode) signature and reload;
- a corrupt file (not JSON, nested too deeply, not a state document) is moved aside with a warning
  instead of crashing or being silently overwritten; an entry that does not fit is dropped with one
  warning naming it (`document`), and the rest is used;
- a file written by a newer version is never moved aside nor overwritten: this process works on
  an in-memory document, says so once, and refuses manual changes (they could not be kept);
- a path that cannot hold the file (a directory, below a regular file, unreadable or unwritable) is
  a setup problem, raised as `StateFileError` with one clear message when the store opens (so
  every command finds it before doing anything); it is never moved aside;
- automatic changes (cooldowns from failures, their clearing, health rows) may be written behind:
  this process sees them at once, a writer thread persists them a moment later, so a failover
  never waits for the disk. Manual changes are written before `update` returns, after any
  pending automatic ones, and `flush()` (called by `ModelFallback.aclose`) writes what is pending.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from collections.abc import Callable, Iterator

from tui.engine.state import document, file_lock
from tui.engine.state.temp_file import probe_writable, temp_file_beside

log = logging.getLogger("modelfallback.state")

VERSION = 1
# How long automatic changes wait to be written, so that a burst of them costs one write. Other
# processes see them this much later; this process sees them at once.
WRITE_BEHIND_DELAY_S = 0.05


class StateFileError(OSError):
    """The state file's path cannot be used: a directory, or a place that cannot be read or written.

    An OSError, so callers that already handle a failed write (the TUI's disable / enable) keep working.
    """


_WRITER: ThreadPoolExecutor | None = None
_WRITER_LOCK = threading.Lock()


def _writer() -> ThreadPoolExecutor:
    """One writer thread per process for every store's write-behind; the interpreter joins it at
    exit, so pending writes are finished before the process ends normally."""
    global _WRITER
    with _WRITER_LOCK:
        if _WRITER is None:
            _WRITER = ThreadPoolExecutor(1, thread_name_prefix="modelfallback-state")
        return _WRITER


def empty_state() -> dict:
    return {"version": VERSION, "models": {}, "providers": {}, "health": {}, "leases": {}}


class FileStore:
    """A JSON document shared through a file, or kept in memory when `path` is None.

    One implementation of the `StateStore` interface (`tui.engine.state.store`)."""

    def __init__(self, path: Path | str | None, *, check_writable: bool = True) -> None:
        self.path = Path(path) if path is not None else None
        self.warnings: list[str] = []
        self._warned: set[str] = set()
        self._data = empty_state()
        self._signature: tuple | None = None
        # Write-behind. `_pending`: mutations applied in memory and not yet on disk, in order.
        # `_mutex` (held briefly, never across file I/O) guards `_pending`, `_data`, `_signature`
        # and `_flushing`; `_io` lets one thread of this process at a time read-modify-write the file.
        self._pending: list[Callable[[dict], object]] = []
        self._flushing = False  # the writer is writing `_pending[:n]`: the file may already hold them
        self._flushes = 0  # finished write-behind flushes: a read that raced one is discarded
        self._mutex = threading.Lock()
        self._io = threading.Lock()
        self.newer_file: str | None = None  # why the file is read-only: written by a newer version
        if self.path is not None:
            self._reload_if_changed(force=True)
            if check_writable and self.newer_file is None:
                self._check_writable()

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
    @property
    def location(self) -> str:
        """Where the state lives, for messages."""
        return "memory" if self.path is None else str(self.path)

    @property
    def offline(self) -> str | None:
        """A file store is never offline (a path that cannot be used raises StateFileError)."""
        return None

    def take_lease(self, name: str, owner: str, ttl_s: float, now: float) -> bool:
        """Hold `name` for `ttl_s` seconds unless another owner holds it; True when taken.

        Written at once (under the file lock, without an fsync: a lease is transient), so a
        process that reads the file after this returns sees it. Expired leases are dropped here.
        """
        def mutate(data: dict) -> bool:
            leases = data.setdefault("leases", {})
            for key in [k for k, v in leases.items() if not isinstance(v, dict) or v.get("until", 0) <= now]:
                del leases[key]
            held = leases.get(name)
            if held is not None and held.get("owner") != owner:
                return False
            leases[name] = {"owner": owner, "until": now + ttl_s}
            return True

        return bool(self.update(mutate, fsync=False))

    def update(self, mutate: Callable[[dict], object], *, durable: bool = True,
               fsync: bool | None = None) -> object:
        """Apply `mutate` to the latest document and persist it, atomically, under the lock.

        `durable=False` is for automatic, transient changes (cooldowns, health rows): the change
        is visible in this process at once and written behind by a writer thread, without an
        fsync, so a failover never waits for the disk. The write is still atomic (temp file, then
        rename); a process killed in that moment loses only a transient cooldown. `mutate` must
        depend only on the document and what it captured: it runs again on the file's latest
        document when written. `fsync=False` writes before returning but skips the fsync (a lease:
        other processes must see it now, a crash may lose it).
        """
        if self.path is None:
            return mutate(self._data)
        lasting = durable and fsync is not False  # a change the user expects to outlive this process
        if self.newer_file is not None:
            return self._update_in_memory(mutate, lasting)
        if not durable:
            return self._update_behind(mutate)
        with self._io, self._locked():
            self._flush_pending()  # earlier automatic changes reach the file first
            signature = self._file_signature()
            data = self._read(signature)  # the file's document: never this process's pending changes,
            if self.newer_file is not None:  # which another thread may add meanwhile (they stay pending)
                return self._update_in_memory(mutate, lasting)
            before = copy.deepcopy(data)
            result = mutate(data)
            if data != before:
                signature = self._write(data, durable if fsync is None else fsync)
            with self._mutex:
                self._signature = signature
                self._data = self._with_pending(data)
            return result

    def close(self) -> None:
        """Write what is pending; a file holds nothing else open."""
        self.flush()

    def flush(self) -> None:
        """Write the changes still pending from write-behind updates (no-op when there are none)."""
        if self.path is None or not self._pending:
            return
        with self._io, self._locked():
            self._flush_pending()

    def _update_in_memory(self, mutate: Callable[[dict], object], durable: bool) -> object:
        """The file belongs to a newer version: automatic changes stay in this process, manual ones
        (which the user expects to last) are refused with the reason."""
        if durable:
            raise StateFileError(self.newer_file or "state file is read-only")
        with self._mutex:
            return mutate(self._data)

    def _update_behind(self, mutate: Callable[[dict], object]) -> object:
        """The change is applied to this process's document in place (no copy of the whole document
        on the request path: a failover records a cooldown this way) and queued for the writer."""
        self._reload_if_changed()
        with self._mutex:
            result = mutate(self._data)
            self._pending.append(mutate)
            first = len(self._pending) == 1
        if first:  # nothing was waiting: schedule a write (a later one writes everything pending)
            _writer().submit(self._write_behind)
        return result

    def _write_behind(self) -> None:
        time.sleep(WRITE_BEHIND_DELAY_S)  # gather a burst of changes (a failover storm) into one write
        try:
            while self._pending:  # changes made while a write was landing were not scheduled apart
                self.flush()
        except Exception as exc:  # noqa: BLE001 - a thread has nobody to raise to: keep it visible
            message = f"could not write state file {self.path}: {exc}"
            log.warning(message)
            self.warnings.append(message)

    def _flush_pending(self) -> None:
        """Lay the pending mutations over the file's latest document and write it (`_io` and the
        file lock held). Meanwhile this thread's readers keep the in-memory document, which
        already has them; a failed write keeps them pending."""
        with self._mutex:
            batch = list(self._pending)
            if not batch:
                return
            self._flushing = True
        written = False
        try:
            signature = self._file_signature()
            data = self._read(signature)
            if self.newer_file is not None:  # never write over a newer version's file
                with self._mutex:
                    del self._pending[:len(batch)]
                return
            for mutate in batch:
                mutate(data)
            signature = self._write(data, False)
            written = True
        finally:
            with self._mutex:
                self._flushing = False
                if written:
                    self._flushes += 1
                    del self._pending[:len(batch)]
                    self._signature = signature
                    self._data = self._with_pending(data)

    # -- internals -----------------------------------------------------------------------------
    def _file_signature(self) -> tuple | None:
        assert self.path is not None
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unusable("cannot be read", exc) from None
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise StateFileError(f"state file {self.path} is {kind}; expected a JSON file "
                                 "(choose another with --state or $MODELFALLBACK_STATE)")
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _check_writable(self) -> None:
        """A state that cannot be written is a setup problem, found at start for every command (not
        on the first disable, nor after an answer was printed): the folder is made, the lock file
        opened and a temporary file created and removed beside the state file, as a write would."""
        assert self.path is not None
        with self._locked():
            try:
                probe_writable(self.path)
            except OSError as exc:
                raise self._unusable("cannot be written", exc) from None

    def _unusable(self, what: str, exc: OSError) -> StateFileError:
        return StateFileError(f"state file {self.path} {what}: {exc.strerror or exc} "
                              "(choose another with --state or $MODELFALLBACK_STATE)")

    def _reload_if_changed(self, force: bool = False) -> bool:
        if self.path is None:
            return False
        signature = self._file_signature()
        if not force and signature == self._signature:
            return False  # the common case: one stat, no lock
        flushes = self._flushes
        if self._flushing and not force:
            return False  # our own write is landing; the writer adopts the file when done
        data = self._read(signature)
        with self._mutex:
            if not force and (self._flushing or self._flushes != flushes):
                return False  # the file may hold pending changes already: keep the writer's view
            self._signature = signature
            self._data = self._with_pending(data)
        return True

    def _read(self, signature: tuple | None) -> dict:
        """The document in the file (empty when there is none; a corrupt file is moved aside)."""
        assert self.path is not None
        if signature is None:
            return empty_state()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            version = data.get("version") if isinstance(data, dict) else None
            if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
                return self._newer(version)
            self.newer_file = None
            why = document.describe_top(data, VERSION)
            if why is not None:
                raise ValueError(why)
        except FileNotFoundError:  # removed between the stat and the read
            return empty_state()
        except OSError as exc:  # unreadable, not corrupt: never moved aside
            raise self._unusable("cannot be read", exc) from None
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            self._move_aside("nested too deeply" if isinstance(exc, RecursionError) else exc)
            return empty_state()
        self._warn_once(document.summary(document.clean(data), f"state file {self.path}"))
        return data

    def _newer(self, version: int) -> dict:
        """A file from a newer modelfallback: keep it whole, work in memory, say so once."""
        message = (f"state file {self.path} was written by a newer modelfallback (state version {version}; "
                   f"this one reads {VERSION}); it is left untouched and changes are not saved: upgrade, "
                   "or choose another file with --state or $MODELFALLBACK_STATE")
        if self.newer_file is None:
            log.info(message)
            self.warnings.append(message)
        self.newer_file = message
        return empty_state()

    def _with_pending(self, data: dict) -> dict:
        """`data` with the mutations not yet written laid over it (this process's view)."""
        if self._pending:
            data = copy.deepcopy(data)
            for mutate in self._pending:
                mutate(data)
        return data

    def _warn_once(self, messages: list[str]) -> None:
        """Warnings about entries dropped on reading: each said once, however often the file is read."""
        for message in messages:
            if message not in self._warned:
                self._warned.add(message)
                log.info(message)  # `warnings` is how it reaches the user (said once, not also by logging)
                self.warnings.append(message)

    def _move_aside(self, exc: Exception | str) -> None:
        assert self.path is not None
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        try:
            os.replace(self.path, aside)
        except OSError:
            return
        message = f"state file {self.path} was unreadable ({exc}); moved it to {aside.name} and started fresh"
        log.info(message)
        self.warnings.append(message)

    def _write(self, data: dict, durable: bool = True) -> tuple | None:
        """Write `data` atomically; returns the file's new signature."""
        assert self.path is not None
        try:
            fd, tmp = temp_file_beside(self.path)
        except OSError as exc:
            raise self._unusable("cannot be written", exc) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                # One-shot and compact: json's C encoder (json.dump to a file, or any indent, takes the
                # pure-Python one, 4x slower, and the writer thread shares the GIL with requests).
                fh.write(json.dumps(data, separators=(",", ":"), sort_keys=True))
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
        return self._file_signature()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        assert self.path is not None
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            held = contextlib.ExitStack()
            held.enter_context(file_lock.exclusive(lock_path))
        except file_lock.LockHeld:
            raise StateFileError(
                f"state file {self.path} is locked by another process: {lock_path} has been held for over "
                f"{file_lock.LOCK_WAIT_S:g}s (a stuck modelfallback, or a network file system without working "
                "locks; stop that process, or choose another state with --state or $MODELFALLBACK_STATE)") from None
        except OSError as exc:
            raise self._unusable("cannot be written", exc) from None
        with held:
            yield
