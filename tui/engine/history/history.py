"""The saved chats as the app uses them: every database call on one thread, never on the event loop.

`ChatHistory` owns a thread that opens the database on its first job (so start-up pays for a
thread, not for SQLite) and then runs jobs in the order they were given. Writes return at once
(a turn is queued as it ends; the answer never waits for the disk); reads return a Future the
caller awaits (`asyncio.wrap_future`). A chat that has no row yet is a `ChatHandle` whose id the
thread fills in with its first turn, so later jobs for it (queued behind) find it.

When the database cannot be used (a newer version's file, a folder that cannot be written) the
history says why in `problem` and keeps nothing; the app goes on without it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tui.engine.history.records import ChatSummary, SavedChat

T = TypeVar("T")
UNDO_S = 8.0  # a deleted chat can be brought back this long; it is removed for good after
_STOP = object()


@dataclass
class ChatHandle:
    """The chat on screen: `id` is None until its first turn is saved."""

    group: str
    system: str = ""
    id: int | None = None


class HistoryUnavailable(Exception):
    """The saved chats cannot be used in this session (`ChatHistory.problem` says why)."""


class ChatHistory:
    def __init__(self, path: Path, clock: Callable[[], float], *, deferred: bool = False) -> None:
        """`deferred`: the file is opened only after `begin()` (the app calls it once its first
        screen is drawn, so the open's integrity check never competes with the start)."""
        self.path = path
        self.clock = clock  # wall time, seconds
        self.problem: str | None = None  # why nothing is kept (then every job fails with HistoryUnavailable)
        self.warning: str | None = None  # something the user should know (a corrupt file moved aside)
        self._store = None
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._go = threading.Event()
        self._closing = threading.Lock()  # no job is queued behind the stop
        self._closed = False
        if not deferred:
            self._go.set()
        self._thread = threading.Thread(target=self._run, name="chat history", daemon=True)
        self._thread.start()
        self.ready: Future[None] = self._submit(lambda store: None)  # opens the file: problems known after it

    # -- the thread ----------------------------------------------------------------------------------
    def begin(self) -> None:
        """Open the file now (jobs given before wait for it)."""
        self._go.set()

    def _run(self) -> None:
        self._go.wait()
        self._open()
        while True:
            job = self._jobs.get()
            if job is _STOP:
                break
            future, fn = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if self._store is None:
                    raise HistoryUnavailable(self.problem or "chats are not saved")
                future.set_result(fn(self._store))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever awaits the job
                future.set_exception(exc)
        if self._store is not None:
            self._store.conn.close()

    def _open(self) -> None:
        import sqlite3  # here: start-up does not pay for it

        from tui.engine.history.schema import NewerDatabase, connect
        from tui.engine.history.store import ChatStore

        try:
            conn, self.warning = connect(self.path)
            self._store = ChatStore(conn)
            self._store.purge(self.clock() - UNDO_S)  # deletions whose undo ran out (a process that quit)
        except NewerDatabase as exc:
            self.problem = str(exc)
        except (OSError, sqlite3.Error) as exc:
            self.problem = f"chats are not saved: {self.path}: {exc}"

    def _submit(self, fn: Callable[..., T]) -> Future[T]:
        future: Future[T] = Future()
        with self._closing:
            if self._closed:  # answered at once: a job behind the stop would wait forever
                future.set_exception(HistoryUnavailable("chats are closed"))
            else:
                self._jobs.put((future, fn))
        return future

    def close(self, timeout: float = 5.0) -> None:
        """Finish the queued writes, then close the database (blocks: call it from a thread at exit).
        Jobs given afterwards fail at once with HistoryUnavailable."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._jobs.put(_STOP)
        self._go.set()
        self._thread.join(timeout)

    # -- writes (queued; nothing waits for them) ---------------------------------------------------
    def save_turn(self, chat: ChatHandle, prompt: str, answer: str, model: str, trail: str,
                  cost: float | None) -> Future[None]:
        now = self.clock()

        def job(store) -> None:
            if chat.id is None:
                chat.id = store.create(chat.group, chat.system, prompt, now)
            store.add_turn(chat.id, prompt, answer, model, chat.group, trail, cost, now)
        return self._submit(job)

    def replace_last_answer(self, chat: ChatHandle, answer: str, model: str, trail: str,
                            add_cost: float | None) -> Future[None]:
        now = self.clock()

        def job(store) -> None:
            if chat.id is not None:
                store.replace_last_answer(chat.id, answer, model, trail, add_cost, now)
        return self._submit(job)

    def set_system(self, chat: ChatHandle) -> Future[None]:
        system = chat.system

        def job(store) -> None:
            if chat.id is not None:
                store.set_system(chat.id, system)
        return self._submit(job)

    def rename(self, chat_id: int, title: str) -> Future[None]:
        return self._submit(lambda store: store.rename(chat_id, title))

    def delete(self, chat_id: int) -> Future[None]:
        now = self.clock()
        return self._submit(lambda store: store.delete(chat_id, now))

    def undelete(self, chat_id: int) -> Future[None]:
        return self._submit(lambda store: store.undelete(chat_id))

    def purge(self) -> Future[int]:
        """Remove the chats whose undo time is over (a second's grace for the timer that calls this)."""
        before = self.clock() - UNDO_S + 1.0
        return self._submit(lambda store: store.purge(before))

    # -- reads -------------------------------------------------------------------------------------
    def list(self, limit: int | None = None) -> Future[list[ChatSummary]]:
        return self._submit(lambda store: store.list(limit))

    def search(self, text: str) -> Future[list[ChatSummary]]:
        return self._submit(lambda store: store.search(text))

    def load(self, chat_id: int) -> Future[SavedChat | None]:
        return self._submit(lambda store: store.load(chat_id))
