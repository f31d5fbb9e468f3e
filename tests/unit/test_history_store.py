"""The saved chats' database against real files: turns, the list, search, rename, delete and undo,
secrets kept out, and what happens with a newer version's file or a corrupt one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tui.engine.history import ChatHandle, ChatHistory, HistoryUnavailable
from tui.engine.history.schema import SCHEMA_VERSION
from tui.engine.history.store import match_query, title_from
from tui.engine.secrets import register_secret

KEY = "sk-or-v1-history-test-0123456789abcdef"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def history(tmp_path: Path, clock: Clock):
    h = ChatHistory(tmp_path / "chats.sqlite3", clock)
    yield h
    h.close()


def saved_turn(history: ChatHistory, chat: ChatHandle, prompt: str, answer: str, model: str = "vendor/alpha",
               cost: float | None = 0.001) -> None:
    history.save_turn(chat, prompt, answer, model, f"answered by {model}", cost).result(5)


def test_turns_are_kept_with_the_chat_s_summary(history: ChatHistory, clock: Clock) -> None:
    chat = ChatHandle("coding", "be terse")
    saved_turn(history, chat, "def retry():\n    pass\nwhat is wrong?", "It never retries.")
    clock.now += 60
    saved_turn(history, chat, "and now?", "Better.", model="vendor/beta", cost=None)
    [summary] = history.list().result(5)
    assert summary.id == chat.id and summary.title == "def retry():" and summary.group == "coding"
    assert summary.models == ("vendor/alpha", "vendor/beta") and summary.turns == 2
    assert (summary.spent, summary.priced, summary.unpriced) == (0.001, 1, 1)
    assert summary.updated == clock.now
    saved = history.load(chat.id).result(5)
    assert saved.system == "be terse"
    assert [(t.prompt, t.answer, t.model) for t in saved.turns] == [
        ("def retry():\n    pass\nwhat is wrong?", "It never retries.", "vendor/alpha"),
        ("and now?", "Better.", "vendor/beta")]


def test_the_list_is_newest_first_and_a_search_finds_words_in_any_turn(history: ChatHistory, clock: Clock) -> None:
    chats = []
    for prompt, answer in [("tell me about sqlite", "it is embedded"), ("retry with backoff", "use jitter"),
                           ("nothing related", "indeed")]:
        clock.now += 10
        chat = ChatHandle("main")
        saved_turn(history, chat, prompt, answer)
        chats.append(chat)
    assert [s.id for s in history.list().result(5)] == [chats[2].id, chats[1].id, chats[0].id]
    found = history.search("retr jitt").result(5)  # prefixes; one word in the prompt, one in the answer
    assert [s.id for s in found] == [chats[1].id] and "backoff" in found[0].snippet
    assert [s.id for s in history.search("EMBEDDED").result(5)] == [chats[0].id]
    assert history.search("retry embedded").result(5) == []  # every word in one turn (or the title)
    assert history.search('NEAR("x" OR') .result(5) == []  # FTS syntax is taken as words, never an error
    history.rename(chats[2].id, "a renamed chat")
    assert [s.id for s in history.search("renamed").result(5)] == [chats[2].id]  # titles count too


def test_delete_hides_undo_brings_back_and_purge_removes_after_the_undo_time(history: ChatHistory,
                                                                             clock: Clock) -> None:
    chat = ChatHandle("main")
    saved_turn(history, chat, "keep me?", "maybe")
    history.delete(chat.id)
    assert history.list().result(5) == [] and history.load(chat.id).result(5) is None
    history.undelete(chat.id)
    assert [s.id for s in history.list().result(5)] == [chat.id]
    history.delete(chat.id)
    assert history.purge().result(5) == 0  # still within the undo time
    clock.now += 10
    assert history.purge().result(5) == 1
    history.undelete(chat.id)
    assert history.list().result(5) == []
    conn = sqlite3.connect(history.path)
    assert conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 0  # its turns went with it


def test_keys_are_never_stored(history: ChatHistory, tmp_path: Path) -> None:
    register_secret(KEY)
    chat = ChatHandle("main", f"system with {KEY}")
    saved_turn(history, chat, f"my key is {KEY}", f"you said {KEY}")
    history.replace_last_answer(chat, f"again {KEY}", "vendor/beta", f"trail {KEY}", None)
    history.rename(chat.id, f"title {KEY}").result(5)
    history.close()
    for path in tmp_path.iterdir():
        assert KEY.encode() not in path.read_bytes(), path.name


def test_asking_again_replaces_the_last_answer_and_adds_its_cost(history: ChatHistory) -> None:
    chat = ChatHandle("main")
    saved_turn(history, chat, "first", "one", cost=0.002)
    saved_turn(history, chat, "second", "two", cost=0.002)
    history.replace_last_answer(chat, "two, better", "vendor/beta", "answered by beta", 0.003).result(5)
    saved = history.load(chat.id).result(5)
    assert [t.answer for t in saved.turns] == ["one", "two, better"]
    assert saved.turns[-1].model == "vendor/beta" and saved.turns[-1].cost == pytest.approx(0.005)
    assert saved.summary.spent == pytest.approx(0.007) and saved.summary.models == ("vendor/alpha", "vendor/beta")


def test_a_newer_version_s_file_is_left_untouched(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "chats.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    history = ChatHistory(path, clock)
    with pytest.raises(HistoryUnavailable):
        history.ready.result(5)
    assert "newer modelfallback" in history.problem and str(path) in history.problem
    with pytest.raises(HistoryUnavailable):
        history.save_turn(ChatHandle("main"), "hello", "hi", "m", "", None).result(5)
    history.close()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chats.sqlite3"]


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_file_is_moved_aside_with_a_message(tmp_path: Path, clock: Clock, damage: str) -> None:
    path = tmp_path / "chats.sqlite3"
    if damage == "garbage":
        path.write_bytes(b"this is not a database at all " * 200)
    else:
        first = ChatHistory(path, clock)
        for n in range(50):
            first.save_turn(ChatHandle("main"), f"prompt {n} " * 50, "answer " * 200, "m", "", None)
        first.close()
        data = path.read_bytes()
        path.write_bytes(data[:100] + b"\xff" * 4000 + data[4100:])  # the header survives, the pages do not
    history = ChatHistory(path, clock)
    history.ready.result(5)
    assert history.problem is None
    assert history.warning is not None and "moved to chats.sqlite3.corrupt-" in history.warning
    aside = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1
    saved_turn(history, ChatHandle("main"), "a fresh start", "yes")
    assert [s.title for s in history.list().result(5)] == ["a fresh start"]
    history.close()


def test_a_folder_that_cannot_be_written_keeps_nothing_and_says_so(tmp_path: Path, clock: Clock) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    history = ChatHistory(blocker / "chats.sqlite3", clock)  # its folder is a file
    with pytest.raises(HistoryUnavailable):
        history.ready.result(5)
    assert history.problem.startswith("chats are not saved:")
    history.close()


def test_after_close_the_queued_writes_are_kept_and_a_new_job_fails_at_once(tmp_path: Path, clock: Clock) -> None:
    history = ChatHistory(tmp_path / "chats.sqlite3", clock)
    last = history.save_turn(ChatHandle("main"), "last words", "kept", "vendor/alpha", "", None)
    history.close()
    history.close()  # twice is harmless
    assert last.done() and last.exception() is None
    late = history.list()
    assert late.done()  # never a job queued behind the stop, waiting forever
    with pytest.raises(HistoryUnavailable, match="closed"):
        late.result(0)
    reopened = ChatHistory(tmp_path / "chats.sqlite3", clock)
    assert [s.title for s in reopened.list().result(5)] == ["last words"]
    reopened.close()


def test_titles_and_queries() -> None:
    assert title_from("\n\n  first line  \nsecond") == "first line"
    assert len(title_from("x" * 500)) == 80 and title_from("x" * 500).endswith("…")
    assert match_query("retry, back-off!") == '"retry"* "back"* "off"*'
    assert match_query("  ?! ") is None
