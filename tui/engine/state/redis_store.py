"""The shared availability state on Redis, for several machines (docs/shared-state.md; docs/architecture.md §7).

`RedisStore` gives the file store's semantics across machines (`redis_link` has the key layout and
why the document is updated with WATCH/MULTI):

- `data` is this process's view, kept in memory and replaced by a listener thread when another
  process writes (pub/sub, within milliseconds; a slow poll every `poll_s` is the safety net). The
  healthy request path reads memory only: it never waits on Redis.
- manual changes (`durable=True`) are committed to Redis before `update` returns; automatic ones
  (cooldowns, health rows) are visible here at once and written behind by a writer thread.
- every committed document is mirrored to a local file (`local`, a `FileStore`), so that a
  process that starts while Redis is down still has the last shared picture.
- Redis down is not the user's outage: when an operation fails or times out (`timeout_s`, so a
  stopped server never hangs anything), the store goes offline (`offline` says why) and works on
  the local file, which other processes on this machine share. Changes made there are stamped and
  marked unsynced; a listener reconnects with backoff and pushes them (`shared_doc` has the merge
  rules), and so does the next process that reaches Redis. A value is pushed, never a mutation
  replayed, so a change whose commit was in doubt (a timeout after EXEC) cannot be applied twice.

Threads: the caller's (reads, manual updates), one writer (write-behind), one daemon listener
(messages, polls, reconnects). `_io` lets one of them talk to Redis for a write at a time; `_mutex`
(held briefly, never across I/O) guards the view and the pending changes.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tui.engine.config.state_location import parse_redis_url
from tui.engine.secrets import register_secret
from tui.engine.state import shared_doc as sd
from tui.engine.state.file_store import FileStore, StateFileError
from tui.engine.state.redis_link import DEFAULT_TIMEOUT_S, NewerState, RedisLink, Unreachable, new_document, reason
from tui.engine.state.redis_sync import BACKOFF_S, POLL_S, listen, local_fallback_path

log = logging.getLogger("modelfallback.state")

WRITE_BEHIND_DELAY_S = 0.02  # a burst of automatic changes (a failover storm) costs one write
MIRROR_DELAY_S = 0.2  # the local copy of the shared document is written at most this often


def _newer(doc: dict, than: dict | None) -> bool:
    """`doc` is a later version of the shared document than `than` (or another history)."""
    return than is None or doc.get("epoch") != than.get("epoch") or int(doc.get("rev", 0)) > int(than.get("rev", 0))


class RedisStore:
    """The `StateStore` on Redis, with a local file while Redis cannot be reached."""

    def __init__(self, url: str, *, local_path: str | Path | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                 poll_s: float = POLL_S, backoff_s: tuple[float, float] = BACKOFF_S,
                 wall: Callable[[], float] = time.time) -> None:
        try:
            self._where = parse_redis_url(url)
        except ValueError as exc:
            raise StateFileError(f"state: {exc}") from None
        register_secret(self._where.password)  # from now on redact_known masks it everywhere
        self._link = RedisLink(self._where, timeout_s)  # first: a missing extra is the clearest error
        # the local copy is a convenience while Redis is reachable: a folder that cannot hold it is said
        # when a write to it fails, never a reason not to start
        self.local = FileStore(local_path if local_path is not None else local_fallback_path(self._where),
                               check_writable=False)
        self._own_warnings: list[str] = []
        self._wall, self._poll_s, self._backoff = wall, poll_s, backoff_s
        self._mutex = threading.Lock()
        self._io = threading.Lock()
        self._local_lock = threading.Lock()  # see `_local_update`
        self._online = False
        self._offline: str | None = "not connected yet"
        self._newer: str | None = None  # the shared document belongs to a newer version: never write it
        self._base: dict = new_document()  # the last shared document adopted
        self._latest: dict | None = None  # the newest shared document seen (while a flush was landing)
        self._data: dict = self._base  # the view: `_base` with `_pending` laid over it
        self._pending: list[tuple[Callable[[dict], object], float]] = []
        self._flushing = False
        self._changes = self._refreshed = 0
        self._mirror_doc: dict | None = None  # the document the local file should copy next
        self._mirror_cleared: dict[sd.Entry, float] = {}
        self._mirror_due: float | None = None
        self._closed = threading.Event()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="modelfallback-redis-writer")
        with self._io:
            self._connect_and_push()
        if self._offline:
            self._own_warnings.append(f"shared state offline ({self._offline}); working on local state "
                                      f"{self.local.location} until {self.location} is reachable")
        self._listener = threading.Thread(target=listen, args=(self,), name="modelfallback-redis-listener",
                                          daemon=True)
        self._listener.start()

    # -- the interface ---------------------------------------------------------------------------
    @property
    def warnings(self) -> list[str]:
        return self._own_warnings + self._link.warnings + self.local.warnings

    @property
    def data(self) -> dict:
        """The current view, from memory (online) or the local file (offline); never waits on Redis."""
        return self._data if self._online else self.local.data

    @property
    def location(self) -> str:
        """The Redis URL without its password."""
        return self._where.display

    @property
    def local_location(self) -> str:
        """The local file that holds the state while Redis cannot be reached."""
        return self.local.location

    @property
    def offline(self) -> str | None:
        """None when Redis is in use, else why not (never with the password)."""
        return None if self._online else self._offline

    def refresh(self) -> bool:
        """True when the view changed since the last call (the listener keeps it current)."""
        changed = not self._online and self.local.refresh()
        seen = self._changes
        changed = changed or seen != self._refreshed
        self._refreshed = seen
        return changed

    def update(self, mutate: Callable[[dict], object], *, durable: bool = True,
               fsync: bool | None = None) -> object:
        """Apply `mutate` atomically to the shared document (see the module docstring).

        `mutate` must depend only on the document and what it captured: it may run again on a
        newer document (a WATCH conflict, or the write-behind).
        """
        at = self._wall()
        manual = durable and fsync is not False
        if durable and self._newer:
            raise StateFileError(self._newer)
        if not durable:
            return self._update_behind(mutate, at)
        with self._io:
            if self._online:
                self._flush_pending()  # earlier automatic changes reach Redis first
            if self._online:
                try:
                    result, doc, _ = self._link.transact(self._stamped(mutate, at, manual))
                except (Unreachable, NewerState) as exc:
                    self._go_offline(exc)
                else:
                    self._adopt(doc)
                    return result
        if durable and self._newer:
            raise StateFileError(self._newer)
        return self._local_update(sd.offline_change(mutate, at, manual), durable=durable, fsync=fsync)

    def take_lease(self, name: str, owner: str, ttl_s: float, now: float) -> bool:
        """A Redis key with an expiry, held by one owner until `now + ttl_s` (the local file's when offline)."""
        if self._online:
            try:
                return self._link.take_lease(name, owner, ttl_s, now)
            except Unreachable as exc:
                self._go_offline(exc)
        with self._local_lock:
            return self.local.take_lease(name, owner, ttl_s, now)

    def flush(self) -> None:
        """Write the automatic changes still pending (to Redis, or to the local file when offline)."""
        with self._io:
            self._flush_pending()
        self._write_mirror()
        self.local.flush()

    def close(self) -> None:
        """Write what is pending, stop the listener and drop the connections (bounded by the timeouts)."""
        if self._closed.is_set():
            return
        self.flush()
        self._closed.set()
        self._writer.shutdown(wait=False)
        self._link.close()
        self.local.close()

    # -- write-behind ----------------------------------------------------------------------------
    def _update_behind(self, mutate: Callable[[dict], object], at: float) -> object:
        with self._mutex:
            if self._online and not self._closed.is_set():
                data = copy.deepcopy(self._data)
                result = mutate(data)
                if data == self._data:
                    return result
                self._data = data
                self._pending.append((mutate, at))
                if len(self._pending) == 1:  # nothing was waiting: schedule a write
                    self._schedule()
                return result
        return self._local_update(sd.offline_change(mutate, at, False), durable=False)

    def _schedule(self) -> None:
        with contextlib.suppress(RuntimeError):  # closed meanwhile: `close` flushed what it could
            self._writer.submit(self._write_behind)

    def _write_behind(self) -> None:
        time.sleep(WRITE_BEHIND_DELAY_S)
        try:
            while self._pending and self._online:
                with self._io:
                    self._flush_pending()
        except Exception as exc:  # noqa: BLE001 - a thread has nobody to raise to: keep it visible
            log.warning("could not write the shared state: %s", reason(exc))

    def _flush_pending(self) -> None:
        """Commit the pending automatic changes in one transaction (`_io` held)."""
        with self._mutex:
            batch = list(self._pending)
            if not batch or not self._online:
                return
            self._flushing = True

        def apply(doc: dict, before: dict | None) -> None:
            for mutate, _at in batch:
                mutate(doc)
            sd.stamp_changes(doc, before or {}, batch[-1][1], False)
            sd.prune_tombstones(doc, self._wall())

        try:
            _, doc, _ = self._link.transact(apply)
        except (Unreachable, NewerState) as exc:
            with self._mutex:
                self._flushing = False
            self._go_offline(exc)  # the batch goes to the local file, stamped and marked unsynced
            return
        with self._mutex:
            self._flushing = False
            del self._pending[:len(batch)]
            more = bool(self._pending) and not self._closed.is_set()
        self._adopt(doc)
        if more:  # changes made while this one landed (perhaps by another thread): write them too
            self._schedule()

    # -- the view --------------------------------------------------------------------------------
    def _adopt(self, doc: dict) -> None:
        """Make `doc` (or a newer one the listener saw meanwhile) the view, and mirror it locally."""
        with self._mutex:
            if self._latest is not None and not _newer(doc, self._latest):
                doc = self._latest
            self._latest = doc
            if doc is not self._base:
                self._base = doc
                self._changes += 1
            self._data = self._with_pending(doc)
        self._mirror(doc)

    def _receive(self, doc: dict | None) -> None:
        """A shared document from a message or a poll."""
        if doc is None:  # the key is gone (a restarted or flushed Redis): seed it again from here
            if int(self._base.get("rev", 0)) > 0:
                with self._io:
                    self._connect_and_push()
            return
        if doc.get("epoch") != self._base.get("epoch"):  # another history: merge ours into it
            with self._io:
                self._connect_and_push()
            return
        with self._mutex:
            if self._latest is None or _newer(doc, self._latest):
                self._latest = doc
            if self._flushing or not _newer(doc, self._base):
                return  # our own write, an old one, or one a landing flush will adopt
        self._adopt(doc)

    def _with_pending(self, doc: dict) -> dict:
        if not self._pending:
            return doc
        data = copy.deepcopy(doc)
        for mutate, _at in self._pending:
            mutate(data)
        return data

    def _stamped(self, mutate: Callable[[dict], object], at: float, manual: bool):
        def apply(doc: dict, before: dict | None) -> object:
            result = mutate(doc)
            sd.stamp_changes(doc, before or {}, at, manual)
            sd.prune_tombstones(doc, self._wall())
            return result
        return apply

    # -- offline and back ------------------------------------------------------------------------
    def _local_update(self, mutate: Callable[[dict], object], **options) -> object:
        """`local.update`, one thread at a time: a file store is updated by one caller thread and its
        writer; two caller threads (a manual change here, the listener moving changes there) could
        interleave a manual write with a write-behind change and write that one twice."""
        with self._local_lock:
            return self.local.update(mutate, **options)

    def _go_offline(self, exc: BaseException) -> None:
        """Work on the local file from now on; the pending automatic changes move there, in order."""
        why = str(exc) if isinstance(exc, NewerState) else f"cannot reach {self.location}: {reason(exc)}"
        self._write_mirror()  # the last shared picture first, then what is pending over it
        with self._mutex:
            if isinstance(exc, NewerState):
                self._newer = why
            batch, self._pending = self._pending, []
            for mutate, at in batch:  # before the switch: readers never see the local file half-way
                self._local_update(sd.offline_change(mutate, at, False), durable=False)
            was_online, self._online, self._offline = self._online, False, why
            self._changes += 1
        if was_online:
            log.info("shared state offline (%s); working on local state %s", why, self.local.location)

    def _connect_and_push(self) -> bool:
        """Reach Redis, push what changed here while it was out of reach, adopt the result (`_io` held)."""
        self.local.refresh()
        local = self.local.data
        marks = sd.unsynced_entries(local)

        def apply(doc: dict, before: dict | None) -> None:
            whole = before is None or before.get("epoch") != local.get("epoch")  # new or reset: all we know
            sd.merge_into(doc, local, sd.all_entries(local) if whole else list(marks))
            sd.prune_tombstones(doc, self._wall())

        try:
            _, doc, _ = self._link.transact(apply)
        except (Unreachable, NewerState) as exc:
            self._go_offline(exc)
            return False
        with self._mutex:
            was_online = self._online
            self._online, self._offline, self._newer = True, None, None
            self._base = self._latest = doc
            self._data = self._with_pending(doc)
            self._changes += 1
        self._mirror(doc, marks)
        if marks:
            self._write_mirror()  # now: the marks pushed must not be seen (and pushed) again
        if not was_online and marks:
            log.info("shared state online again at %s; pushed %d change(s) made meanwhile", self.location, len(marks))
        return True

    def _mirror(self, doc: dict, cleared: dict[sd.Entry, float] | None = None) -> None:
        """Have the local file copy `doc` soon (`sd.mirror`): the listener writes the latest document
        at most every MIRROR_DELAY_S, so a busy Redis costs this machine's disk a few writes a second."""
        if int(doc.get("rev", 0)) == 0 and not cleared:
            return  # a document never written (an empty Redis, nothing pushed): nothing to keep
        with self._mutex:
            if self._mirror_doc is None or _newer(doc, self._mirror_doc):
                self._mirror_doc = doc
            self._mirror_cleared.update(cleared or {})
            if self._mirror_due is None:
                self._mirror_due = time.monotonic() + MIRROR_DELAY_S

    def _write_mirror(self) -> None:
        """Write the mirror that is due (now, whatever its time: going offline, flushing, closing)."""
        with self._mutex:
            doc, cleared = self._mirror_doc, self._mirror_cleared
            self._mirror_doc, self._mirror_cleared, self._mirror_due = None, {}, None
        if doc is None:
            return
        try:
            self._local_update(sd.mirror(doc, cleared), durable=False)
        except OSError as exc:  # the mirror is a convenience: a local disk problem must not stop the shared state
            log.warning("could not mirror the shared state to %s: %s", self.local.location, exc)
