"""Saved chats in SQLite: one row per chat, one row per turn, full-text search over the turns.

Every method is one short transaction, so two processes (two TUIs) interleave safely: SQLite's
WAL lets readers go on while one writer commits, and a writer waits up to `BUSY_TIMEOUT_MS` for
another's lock. A turn is written as it ends; a killed process loses at most the turn in flight.
Text passes through the secrets helper on its way in: a key pasted into a prompt is never stored.
The class is synchronous and owns no thread: `ChatHistory` runs it off the event loop.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from tui.engine.history.records import ChatSummary, SavedChat, SavedTurn
from tui.engine.secrets import redact_known

TITLE_CHARS = 80
_SUMMARY = "id, title, grp, models, created, updated, turns, spent, priced, unpriced"
_WORD = re.compile(r"\w+", re.UNICODE)


def title_from(prompt: str) -> str:
    """A chat's first title: its first prompt's first line, shortened."""
    line = next((line.strip() for line in prompt.splitlines() if line.strip()), "")
    return line if len(line) <= TITLE_CHARS else line[:TITLE_CHARS - 1].rstrip() + "…"


def match_query(text: str) -> str | None:
    """The user's words as an FTS5 query: every word, each as a prefix (`retr` finds `retry`);
    quoted, so FTS5 syntax typed by the user is taken as words. None when there is no word."""
    words = _WORD.findall(text)
    return " ".join(f'"{w}"*' for w in words) if words else None


def _summary(row: tuple, snippet: str = "") -> ChatSummary:
    id_, title, group, models, created, updated, turns, spent, priced, unpriced = row
    return ChatSummary(id_, title, group, tuple(m for m in models.split("\n") if m), created, updated, turns,
                       spent, priced, unpriced, snippet)


class ChatStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so it never fails half-way on a lock."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- writing -----------------------------------------------------------------------------------
    def create(self, group: str, system: str, first_prompt: str, now: float) -> int:
        with self._write() as conn:
            cur = conn.execute("INSERT INTO chats(title, grp, system, created, updated) VALUES (?, ?, ?, ?, ?)",
                               (redact_known(title_from(first_prompt)), group, redact_known(system), now, now))
            return int(cur.lastrowid)

    def add_turn(self, chat_id: int, prompt: str, answer: str, model: str, group: str, trail: str,
                 cost: float | None, now: float) -> None:
        """Append a turn (after the ones already there, whichever process wrote them)."""
        with self._write() as conn:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE chat_id = ?",
                               (chat_id,)).fetchone()[0]
            conn.execute("INSERT INTO turns(chat_id, seq, prompt, answer, model, grp, trail, cost, at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (chat_id, seq, redact_known(prompt), redact_known(answer), model, group,
                          redact_known(trail), cost, now))
            self._recount(conn, chat_id, now)

    def replace_last_answer(self, chat_id: int, answer: str, model: str, trail: str, add_cost: float | None,
                            now: float) -> None:
        """The last prompt was asked again, or the user kept another of its answers: the conversation
        goes on with this one. `add_cost` (a new answer's cost) adds to the turn's: both were paid."""
        with self._write() as conn:
            conn.execute("UPDATE turns SET answer = ?, model = ?, trail = ?, at = ?, "
                         "cost = CASE WHEN ? IS NULL THEN cost ELSE COALESCE(cost, 0) + ? END WHERE id = "
                         "(SELECT id FROM turns WHERE chat_id = ? ORDER BY seq DESC LIMIT 1)",
                         (redact_known(answer), model, redact_known(trail), now, add_cost, add_cost, chat_id))
            self._recount(conn, chat_id, now)

    @staticmethod
    def _recount(conn: sqlite3.Connection, chat_id: int, now: float) -> None:
        """The chat row's summary columns, from its turns (so the list never aggregates 20,000 turns)."""
        models: list[str] = []
        spent, priced, unpriced, turns = 0.0, 0, 0, 0
        for model, cost in conn.execute("SELECT model, cost FROM turns WHERE chat_id = ? ORDER BY seq", (chat_id,)):
            turns += 1
            if model not in models:
                models.append(model)
            if cost is None:
                unpriced += 1
            else:
                spent += cost
                priced += 1
        conn.execute("UPDATE chats SET turns = ?, models = ?, spent = ?, priced = ?, unpriced = ?, updated = ? "
                     "WHERE id = ?", (turns, "\n".join(models), spent, priced, unpriced, now, chat_id))

    def rename(self, chat_id: int, title: str) -> None:
        with self._write() as conn:
            conn.execute("UPDATE chats SET title = ? WHERE id = ?", (redact_known(title.strip())[:200], chat_id))

    def set_system(self, chat_id: int, system: str) -> None:
        with self._write() as conn:
            conn.execute("UPDATE chats SET system = ? WHERE id = ?", (redact_known(system), chat_id))

    def delete(self, chat_id: int, now: float) -> None:
        """Hide the chat; `undelete` brings it back until `purge` removes it for good."""
        with self._write() as conn:
            conn.execute("UPDATE chats SET deleted = ? WHERE id = ?", (now, chat_id))

    def undelete(self, chat_id: int) -> None:
        with self._write() as conn:
            conn.execute("UPDATE chats SET deleted = NULL WHERE id = ?", (chat_id,))

    def purge(self, before: float) -> int:
        """Remove chats deleted before `before` (their turns go with them); returns how many."""
        with self._write() as conn:
            return conn.execute("DELETE FROM chats WHERE deleted IS NOT NULL AND deleted < ?", (before,)).rowcount

    # -- reading -----------------------------------------------------------------------------------
    def list(self, limit: int | None = None) -> list[ChatSummary]:
        """Newest first."""
        rows = self.conn.execute(f"SELECT {_SUMMARY} FROM chats WHERE deleted IS NULL ORDER BY updated DESC, id DESC "
                                 "LIMIT ?", (-1 if limit is None else limit,))
        return [_summary(row) for row in rows]

    def search(self, text: str, limit: int = 200) -> list[ChatSummary]:
        """Chats that hold every word of `text` (as a prefix: `retr` finds `retry`) in their title or
        any of their turns, newest first, each with a snippet of a turn that matched."""
        words = _WORD.findall(text)
        if not words:
            return self.list(limit)
        conn = self.conn
        titles = conn.execute("SELECT id, title FROM chats WHERE deleted IS NULL").fetchall()
        chats: set[int] | None = None
        for word in words:
            found = {cid for (cid,) in conn.execute(
                "SELECT DISTINCT t.chat_id FROM turns_fts JOIN turns t ON t.id = turns_fts.rowid "
                "WHERE turns_fts MATCH ?", (match_query(word),))}
            found |= {cid for cid, title in titles if word.lower() in title.lower()}
            chats = found if chats is None else chats & found
            if not chats:
                return []
        assert chats is not None
        marks = ",".join("?" * len(chats))
        rows = conn.execute(f"SELECT {_SUMMARY} FROM chats WHERE deleted IS NULL AND id IN ({marks}) "
                            "ORDER BY updated DESC, id DESC LIMIT ?", (*chats, limit)).fetchall()
        snippets = self._snippets([row[0] for row in rows], " OR ".join(f'"{w}"*' for w in words))
        return [_summary(row, snippets.get(row[0], "")) for row in rows]

    def _snippets(self, chat_ids: list[int], query: str) -> dict[int, str]:
        """For each chat, a few words around the first match in its turns (one line)."""
        if not chat_ids:
            return {}
        marks = ",".join("?" * len(chat_ids))
        first = dict(self.conn.execute(
            f"SELECT t.chat_id, MIN(t.id) FROM turns_fts JOIN turns t ON t.id = turns_fts.rowid "
            f"WHERE turns_fts MATCH ? AND t.chat_id IN ({marks}) GROUP BY t.chat_id", (query, *chat_ids)))
        if not first:
            return {}
        turn_chat = {turn: chat for chat, turn in first.items()}
        marks = ",".join("?" * len(turn_chat))
        rows = self.conn.execute(f"SELECT rowid, snippet(turns_fts, -1, '', '', '…', 10) FROM turns_fts "
                                 f"WHERE turns_fts MATCH ? AND rowid IN ({marks})", (query, *turn_chat))
        return {turn_chat[rowid]: " ".join(text.split()) for rowid, text in rows}

    def load(self, chat_id: int) -> SavedChat | None:
        row = self.conn.execute(f"SELECT {_SUMMARY}, system FROM chats WHERE id = ? AND deleted IS NULL",
                                (chat_id,)).fetchone()
        if row is None:
            return None
        turns = tuple(SavedTurn(*t) for t in self.conn.execute(
            "SELECT prompt, answer, model, grp, trail, cost, at FROM turns WHERE chat_id = ? ORDER BY seq",
            (chat_id,)))
        return SavedChat(_summary(row[:-1]), row[-1], turns)
