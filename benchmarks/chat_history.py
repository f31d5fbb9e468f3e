"""Rows for the saved chats: 1,000 chats of 20 turns each in the user data folder.

- `chats-start`: the app's start to first screen with that database, against the same start with
  saved chats off, alternating fresh processes (`tui_harness.py start-app` / `start-app-nochats`).
- `chats-open`: ctrl+o until the chats screen shows the newest 200 of the 1,000 chats (in the harness,
  `chats-screen`); the target is the median of ten openings in one session.
- `chats-search`: a full-text search through the history's thread, in this process: common and rare
  words, prefixes, two words.

The database is built once per run with the store's own API (one transaction per turn, as the app
writes them), from text of the simulator's kind, so the full-text index is of a realistic size.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from benchmarks.common import Result, median, pct, run_child

HARNESS = ["-m", "benchmarks.tui_harness"]
CHATS, TURNS = 1000, 20
# Text with the shape of real chat text: a few very common words (in nearly every turn), a long
# tail of rarer ones (Zipf's law, as word frequencies in English are), 140 words a turn.
COMMON = ("the", "a", "to", "of", "and", "is", "in", "it", "you", "that", "for", "on", "with", "as", "this",
          "be", "are", "can")
TOPICS = (
    "retry", "backoff", "jitter", "cooldown", "fallback", "chain", "model", "provider", "stream", "token",
    "answer", "prompt", "cache", "sqlite", "index", "window", "function", "group", "python", "rust", "async",
    "await", "socket", "timeout", "quota", "budget", "lisbon", "trip", "summary", "log", "file", "error", "status",
    "health", "probe", "latency",
)
QUERIES = ("retry", "back", "sqlite window", "lisbon", "zzz-nothing", "quota budget timeout", "the")


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """COMMON, then TOPICS, then 5,000 made-up words; weights by rank (Zipf, exponent 1.1)."""
    made = ["".join(rng.choices("bcdfghjklmnprstvwz", k=2) + rng.choices("aeiou", k=1)
                    + rng.choices("bcdfghklmnprst", k=2)) for _ in range(5000)]
    words = [*COMMON, *TOPICS, *made]
    return words, [1 / (rank + 1) ** 1.1 for rank in range(len(words))]


def data_dir(home: Path) -> Path:
    """Where the harness's isolated app keeps its data (XDG_DATA_HOME under the home folder)."""
    return home / "xdg-data" / "modelfallback"


_HOME: tempfile.TemporaryDirectory | None = None


def shared_home() -> Path:
    """One home folder with the 1,000 chats for every row of this run (building it takes a while)."""
    global _HOME
    if _HOME is None:
        _HOME = tempfile.TemporaryDirectory(prefix="mf-bench-chats-")
        populate(Path(_HOME.name))
    return Path(_HOME.name)


def populate(home: Path, chats: int = CHATS, turns: int = TURNS) -> Path:
    """`chats` saved chats of `turns` turns each, newest last; returns the database file."""
    from tui.engine.history.schema import connect
    from tui.engine.history.store import ChatStore

    path = data_dir(home) / "chats.sqlite3"
    conn, _ = connect(path)
    store = ChatStore(conn)
    rng = random.Random(7)
    words, weights = vocabulary(rng)
    now = time.time() - chats * 60
    for c in range(chats):
        chat_id = store.create("coding", "", f"chat {c}: " + " ".join(rng.choices(words, weights, k=6)), now)
        for _ in range(turns):
            prompt = " ".join(rng.choices(words, weights, k=20))
            answer = " ".join(rng.choices(words, weights, k=120))
            store.add_turn(chat_id, prompt, answer, rng.choice(("vendor/alpha", "vendor/beta")), "coding", "",
                           0.0001, now)
        now += 60
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


class ChatsStart:
    NAME = "chats-start"
    TITLE = "TUI start with 1,000 saved chats of 20 turns, vs with saved chats off"
    TARGET = "≤ +20 ms"
    LIMIT_MS = 20.0

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        runs = 3 if quick else 9
        home = str(shared_home())
        off = [*HARNESS, "start-app-nochats", "--home", home]
        on = [*HARNESS, "start-app", "--home", home]
        run_child(off)
        run_child(on)  # bytecode and config cache warm for both, as for a returning user
        without: list[float] = []
        with_chats: list[float] = []
        for i in range(runs):
            for args in ((off, on) if i % 2 == 0 else (on, off)):
                (with_chats if args is on else without).append(run_child(args)["ready_ms"])
        b, m = median(without), median(with_chats)
        details = (f"{runs} fresh processes each, alternating; the database opens on its own thread "
                   f"(quick_check, purge) once the first screen is up; "
                   f"with chats {min(with_chats):.0f}–{max(with_chats):.0f} ms, without {min(without):.0f}–"
                   f"{max(without):.0f} ms")
        return Result(cls.NAME, cls.TITLE, m - b, "ms", None, cls.TARGET, m - b <= cls.LIMIT_MS,
                      details, {"with_ms": m, "without_ms": b})


class ChatsOpen:
    NAME = "chats-open"
    TITLE = "the chats screen with 1,000 saved chats: ctrl+o until the rows are on screen"
    TARGET = "≤ 100 ms (median)"
    LIMIT_MS = 100.0

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        result = run_child([*HARNESS, "chats-screen", "--home", str(shared_home()), "--turns", "3" if quick else "10"])
        times = result["open_ms"]
        m = median(times)
        later = times[1:] or times
        details = (f"{len(times)} openings in one app (closed with Esc between), each timed from the key "
                   f"until the screen is drawn with the newest {result['rows']} rows and the app is idle again: "
                   f"median {m:.0f} ms, max {max(times):.0f} ms; the first opening of the session (it builds "
                   f"and styles the screen) {times[0]:.0f} ms, the others {min(later):.0f}–{max(later):.0f} ms")
        return Result(cls.NAME, cls.TITLE, m, "ms", None, cls.TARGET, m <= cls.LIMIT_MS, details,
                      {"first_ms": times[0], "max_ms": max(times)})


class ChatsSearch:
    NAME = "chats-search"
    TITLE = "full-text search across 1,000 chats of 20 turns"
    TARGET = "≤ 50 ms"
    LIMIT_MS = 50.0

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        from tui.engine.history import ChatHistory

        times: dict[str, list[float]] = {q: [] for q in QUERIES}
        found: dict[str, int] = {}
        history = ChatHistory(data_dir(shared_home()) / "chats.sqlite3", time.time)
        history.ready.result(60)
        for _ in range(3 if quick else 10):
            for q in QUERIES:
                start = time.perf_counter()
                found[q] = len(history.search(q).result(60))
                times[q].append((time.perf_counter() - start) * 1000)
        history.close()
        every = [t for ts in times.values() for t in ts]
        worst = max(QUERIES, key=lambda q: median(times[q]))
        details = ("through the history's thread, as the chats screen asks; per query median ms (chats found): "
                   + ", ".join(f"'{q}' {median(times[q]):.1f} ({found[q]})" for q in QUERIES)
                   + f"; p90 of all {pct(every, 0.9):.1f} ms, slowest query '{worst}'")
        m = median([median(ts) for ts in times.values()])
        return Result(cls.NAME, cls.TITLE, m, "ms", None, cls.TARGET,
                      all(median(ts) <= cls.LIMIT_MS for ts in times.values()), details)


ROWS = [ChatsStart, ChatsOpen, ChatsSearch]
