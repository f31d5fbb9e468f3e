"""The chats database's schema and how a file is opened: WAL, a version, and what is refused.

A file written by a newer modelfallback (its `user_version` above ours) is never written to: the
newer install's chats stay as they are and this process keeps nothing. A file that is not a
SQLite database, or fails its integrity check, is moved aside (its name plus `.corrupt-<time>`)
and a fresh one is made, with a message saying where the old one went.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 5000  # another process's write lasts milliseconds; waiting this long means it hung

SCHEMA = """
CREATE TABLE IF NOT EXISTS chats (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    grp TEXT NOT NULL,
    system TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL,
    turns INTEGER NOT NULL DEFAULT 0,
    models TEXT NOT NULL DEFAULT '',      -- the models that answered, in order, one per line
    spent REAL NOT NULL DEFAULT 0,        -- what the providers reported (USD)
    priced INTEGER NOT NULL DEFAULT 0,    -- answers that came with a cost
    unpriced INTEGER NOT NULL DEFAULT 0,  -- answers that came without one
    deleted REAL                          -- when it was deleted (undo clears it); purged later
);
CREATE INDEX IF NOT EXISTS chats_updated ON chats(deleted, updated DESC);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    prompt TEXT NOT NULL,
    answer TEXT NOT NULL,
    model TEXT NOT NULL,
    grp TEXT NOT NULL,
    trail TEXT NOT NULL DEFAULT '',
    cost REAL,
    at REAL NOT NULL,
    UNIQUE (chat_id, seq)
);
CREATE VIRTUAL TABLE IF NOT EXISTS turns_fts USING fts5(prompt, answer, content='turns', content_rowid='id');
CREATE TRIGGER IF NOT EXISTS turns_ai AFTER INSERT ON turns BEGIN
    INSERT INTO turns_fts(rowid, prompt, answer) VALUES (new.id, new.prompt, new.answer);
END;
CREATE TRIGGER IF NOT EXISTS turns_ad AFTER DELETE ON turns BEGIN
    INSERT INTO turns_fts(turns_fts, rowid, prompt, answer) VALUES ('delete', old.id, old.prompt, old.answer);
END;
CREATE TRIGGER IF NOT EXISTS turns_au AFTER UPDATE ON turns BEGIN
    INSERT INTO turns_fts(turns_fts, rowid, prompt, answer) VALUES ('delete', old.id, old.prompt, old.answer);
    INSERT INTO turns_fts(rowid, prompt, answer) VALUES (new.id, new.prompt, new.answer);
END;
"""


class NewerDatabase(Exception):
    """The file was written by a newer modelfallback: it is left untouched."""


def connect(path: Path) -> tuple[sqlite3.Connection, str | None]:
    """An open connection with the schema in place, and a warning for the user (or None).

    Raises NewerDatabase for a file from a newer version, OSError when the folder cannot be made.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _open(path), None
    except NewerDatabase:
        raise
    except sqlite3.DatabaseError as exc:
        aside = _move_aside(path)
        warning = (f"The saved chats in {path} could not be read ({exc}); the file was moved to {aside.name} "
                   "and a new one started.")
        return _open(path), warning


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise NewerDatabase(f"{path} was written by a newer modelfallback (chats schema {version}; this one "
                                f"knows {SCHEMA_VERSION}); chats are not saved in this session and the file is "
                                "left as it is.")
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("integrity check failed")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a killed process
        conn.execute("PRAGMA foreign_keys=ON")
        if version < SCHEMA_VERSION:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(SCHEMA):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    except BaseException:
        conn.close()
        raise
    return conn


def _statements(script: str) -> list[str]:
    """The script's statements one by one (triggers hold `;` inside BEGIN … END)."""
    out: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buffer:
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    return [s for s in out if s]


def _move_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            os.replace(extra, aside.with_name(aside.name + suffix))
    return aside
