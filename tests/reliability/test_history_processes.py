"""The saved chats across processes, on a real file: a process killed (SIGKILL) in the middle of
writing loses at most the turn in flight, and two processes writing at once (two TUIs) lose nothing.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tui.engine.history import ChatHistory

WRITER = r"""
import sys, time
from pathlib import Path
from tui.engine.history import ChatHandle, ChatHistory

path, name, count, shared_id = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
history = ChatHistory(path, time.time)
own = ChatHandle("main")
shared = ChatHandle("main", id=int(shared_id)) if shared_id != "-" else None
print("ready", flush=True)
for n in range(count):
    history.save_turn(own, f"{name} prompt {n}", f"{name} answer {n} " + "words " * 200, "vendor/alpha", "", None)
    if shared is not None:
        history.save_turn(shared, f"{name} shared {n}", "ok", "vendor/beta", "", None)
    if n % 10 == 0:
        history.list().result()  # a reader between the writes, as the chats screen is
history.close(timeout=60)
print("done", flush=True)
"""


def writer(tmp: Path, path: Path, name: str, count: int, shared: int | None = None) -> subprocess.Popen:
    script = tmp / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    return subprocess.Popen([sys.executable, str(script), str(path), name, str(count), str(shared or "-")],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def written(path: Path) -> int:
    """Turns committed so far (0 before the table exists)."""
    try:
        conn = sqlite3.connect(path, timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


def turns(path: Path) -> list[tuple[int, int, str, str]]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT chat_id, seq, prompt, answer FROM turns ORDER BY chat_id, seq").fetchall()
    finally:
        conn.close()


def test_a_process_killed_mid_write_loses_at_most_the_turn_in_flight(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    child = writer(tmp_path, path, "killed", 100_000)
    assert child.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 60
    while written(path) < 200:  # let it write for a while (reading beside it), then kill it without warning
        assert time.monotonic() < deadline, "the writer wrote too little"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    rows = turns(path)
    assert len(rows) > 10
    seqs = [seq for _, seq, _, _ in rows]
    assert seqs == list(range(1, len(rows) + 1))  # every committed turn is there, whole and in order
    for _, seq, prompt, answer in rows:
        assert prompt == f"killed prompt {seq - 1}" and answer.startswith(f"killed answer {seq - 1} ")
    # the file still opens, searches and takes new turns
    history = ChatHistory(path, time.time)
    history.ready.result(10)
    assert history.problem is None and history.warning is None
    [summary] = history.list().result(10)
    assert summary.turns == len(rows)  # the chat's summary is written in the same transaction as its turn
    assert history.search(f"prompt {len(rows) - 1}").result(10)
    history.close()


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    setup = ChatHistory(path, time.time)
    from tui.engine.history import ChatHandle

    shared = ChatHandle("main")
    setup.save_turn(shared, "the shared chat", "both write here", "vendor/alpha", "", None).result(10)
    setup.close()
    count = 150
    children = [writer(tmp_path, path, name, count, shared.id) for name in ("one", "two")]
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0 and out.split() == ["ready", "done"]
    rows = turns(path)
    by_chat: dict[int, list[tuple[int, str]]] = {}
    for chat_id, seq, prompt, _ in rows:
        by_chat.setdefault(chat_id, []).append((seq, prompt))
    assert len(by_chat) == 3
    shared_rows = by_chat.pop(shared.id)
    assert [seq for seq, _ in shared_rows] == list(range(1, 2 * count + 2))  # no seq lost or doubled
    for name in ("one", "two"):
        assert [p for _, p in shared_rows if p.startswith(name)] == [f"{name} shared {n}" for n in range(count)]
    own = sorted(by_chat.values(), key=lambda r: r[0][1])
    assert [[p for _, p in r] for r in own] == [[f"{name} prompt {n}" for n in range(count)]
                                                for name in ("one", "two")]
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT turns FROM chats WHERE id = ?", (shared.id,)).fetchone()[0] == 2 * count + 1
