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
SNIPPET_BEFORE, SNIPPET_AFTER = 30, 60  # characters around a search's first hit in a turn
SEARCH_LIMIT = 100  # chats a search returns, newest first (more words narrow it)
SEARCH_BATCH = 500  # index hits read at a time (SQLite allows 999 bound values in a statement)
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


def _like(word: str) -> str:
    """`word` for a LIKE pattern, its wildcards taken literally (\\w words hold `_`)."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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

    def search(self, text: str, limit: int = SEARCH_LIMIT) -> list[ChatSummary]:
        """Chats with a turn (prompt and answer) or a title that holds every word of `text`, each as a
        prefix (`retr` finds `retry`); newest first, each with a snippet of its newest matching turn.

        The index is read newest turn first and stops once `limit` chats are found, so a word that
        is in every turn costs no more than a rare one."""
        query = match_query(text)
        if query is None:
            return self.list(limit)
        words = _WORD.findall(text)
        conn = self.conn
        gone = {cid for (cid,) in conn.execute("SELECT id FROM chats WHERE deleted IS NOT NULL")}
        newest_turn: dict[int, int] = {}  # chat -> its newest turn that matched
        hits = conn.execute("SELECT rowid FROM turns_fts WHERE turns_fts MATCH ? ORDER BY rowid DESC", (query,))
        while len(newest_turn) < limit and (batch := [turn for (turn,) in hits.fetchmany(SEARCH_BATCH)]):
            # the turns' chats from the table (the index's own rows would load every turn's whole text)
            marks = ",".join("?" * len(batch))
            chat_of = dict(conn.execute(f"SELECT id, chat_id FROM turns WHERE id IN ({marks})", batch))
            for turn in batch:
                chat = chat_of.get(turn)
                if chat is not None and chat not in gone and chat not in newest_turn:
                    newest_turn[chat] = turn
                    if len(newest_turn) >= limit:
                        break
        found = set(newest_turn)
        likes = " AND ".join("title LIKE ? ESCAPE '\\'" for _ in words)
        found |= {cid for (cid,) in conn.execute(f"SELECT id FROM chats WHERE deleted IS NULL AND {likes}",
                                                 [f"%{_like(w)}%" for w in words])}
        if not found:
            return []
        marks = ",".join("?" * len(found))
        rows = conn.execute(f"SELECT {_SUMMARY} FROM chats WHERE deleted IS NULL AND id IN ({marks}) "
                            "ORDER BY updated DESC, id DESC LIMIT ?", (*found, limit)).fetchall()
        snippets = self._snippets({row[0]: newest_turn[row[0]] for row in rows if row[0] in newest_turn}, words)
        return [_summary(row, snippets.get(row[0], "")) for row in rows]

    def _snippets(self, turns: dict[int, int], words: list[str]) -> dict[int, str]:
        """For each chat, a few words around the first place a word of the search starts in the given
        turn (FTS5's snippet() would run the whole MATCH again for every row)."""
        if not turns:
            return {}
        marks = ",".join("?" * len(turns))
        chat_of = {turn: chat for chat, turn in turns.items()}
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + ")", re.IGNORECASE)
        out: dict[int, str] = {}
        for turn, prompt, answer in self.conn.execute(f"SELECT id, prompt, answer FROM turns WHERE id IN ({marks})",
                                                      list(chat_of)):
            text = " ".join(f"{prompt} {answer}".split())
            hit = pattern.search(text)
            if hit is None:
                continue
            start = max(0, hit.start() - SNIPPET_BEFORE)
            piece = text[start:hit.start() + SNIPPET_AFTER]
            out[chat_of[turn]] = ("…" if start else "") + piece + ("…" if start + len(piece) < len(text) else "")
        return out

    def load(self, chat_id: int) -> SavedChat | None:
        row = self.conn.execute(f"SELECT {_SUMMARY}, system FROM chats WHERE id = ? AND deleted IS NULL",
                                (chat_id,)).fetchone()
        if row is None:
            return None
        turns = tuple(SavedTurn(*t) for t in self.conn.execute(
            "SELECT prompt, answer, model, grp, trail, cost, at FROM turns WHERE chat_id = ? ORDER BY seq",
            (chat_id,)))
        return SavedChat(_summary(row[:-1]), row[-1], turns)
