"""Saved chats in the TUI: every turn saved as it ends, the chats screen (list, search, open,
rename, delete and undo), a reopened chat continued and exported, and nothing kept without history."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable

from tui.cli.interactive import open_history
from tui.engine.history import ChatHandle, ChatHistory
from tui.screens.chat_dialogs import TextDialog
from tui.screens.chats import ChatsScreen, screen_name
from tui.widgets.answer import AnswerView
from tui.widgets.transcript import MAX_SHOWN_TURNS

from tui_helpers import Toasts, answer_done, app_for, send, sim_engine, wait_until


@pytest.fixture
def engine(tmp_path):
    return sim_engine(tmp_path, {})


@pytest.fixture
def history(tmp_path, engine):
    h = ChatHistory(tmp_path / "chats.sqlite3", engine.clock.wall)
    yield h
    h.close()


async def done(future):
    """The history thread's answer, or a failure after 10 s (never a hung test)."""
    return await asyncio.wait_for(asyncio.wrap_future(future), 10)


def rows(screen: ChatsScreen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def open_chats(pilot) -> ChatsScreen:
    """ctrl+o, until this opening's list (from the history's thread) is shown."""
    app = pilot.app
    name = screen_name(app.main.chat.store)
    shown = app.get_screen(name).listings if app.is_screen_installed(name) else 0
    await pilot.press("ctrl+o")
    await wait_until(pilot, lambda: isinstance(app.screen, ChatsScreen) and app.screen.listings > shown,
                     what="the chats screen's list")
    return app.screen


async def test_each_turn_is_saved_as_it_ends_and_the_chats_screen_lists_it(tmp_path, engine):
    history = ChatHistory(tmp_path / "chats.sqlite3", engine.clock.wall, deferred=True)  # as the CLI opens it
    assert not history.ready.done()  # nothing opened before the app's first screen
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "how do I retry\nwith backoff?")
        await answer_done(pilot)
        chat = app.main.chat
        await wait_until(pilot, lambda: chat.chat.id is not None, what="the first save")
        [saved] = await done(history.list())
        assert saved.turns == 1 and saved.title == "how do I retry" and saved.models == ("vendor/alpha",)
        await send(pilot, "and with jitter?")
        await wait_until(pilot, lambda: len(chat.history) == 4)
        loaded = await done(history.load(chat.chat.id))
        assert [t.prompt for t in loaded.turns] == ["how do I retry\nwith backoff?", "and with jitter?"]
        assert [t.answer for t in loaded.turns] == [m.content for m in chat.history if m.role == "assistant"]
        screen = await open_chats(pilot)
        [row] = rows(screen)
        assert row[0] == "how do I retry" and row[1] == "main" and row[2] == "alpha"
        await pilot.press("escape")
        assert app.screen is app.main


async def test_a_saved_chat_opens_continues_and_exports_whole(tmp_path, engine, history):
    old = ChatHandle("main", "answer in French")
    for n in range(MAX_SHOWN_TURNS + 2):
        history.save_turn(old, f"old question {n}", f"old answer {n}", "vendor/beta", "answered by beta", 0.001)
    other = ChatHandle("main")
    await done(history.save_turn(other, "something else", "yes", "vendor/alpha", "", None))
    seen = []
    original = engine.chat

    def spy(group, messages, **kw):
        seen.append([(m.role, m.content) for m in messages])
        return original(group, messages, **kw)

    engine.chat = spy
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chats(pilot)
        assert [r[0] for r in rows(screen)] == ["something else", "old question 0"]  # newest first
        await pilot.press("down", "down", "enter")  # from the search to the list, then to the second row
        chat = app.main.chat
        await wait_until(pilot, lambda: len(chat.history) == 2 * (MAX_SHOWN_TURNS + 2), what="the chat to open")
        assert app.screen is app.main and chat.chat.id == old.id
        assert len(chat.query(AnswerView)) == MAX_SHOWN_TURNS
        assert "2 earlier turn(s) are not shown" in str(chat.query_one("#hidden-turns").content)
        assert str(chat.query_one("#system-prompt").content) == "System: answer in French"
        assert chat.spend_text  # the saved answers' cost
        await send(pilot, "one more")
        await wait_until(pilot, lambda: len(chat.history) == 2 * (MAX_SHOWN_TURNS + 3))
        sent = seen[-1]
        assert sent[0] == ("system", "answer in French") and sent[1] == ("user", "old question 0")
        assert sent[-1] == ("user", "one more") and len(sent) == 2 * (MAX_SHOWN_TURNS + 2) + 2
        await wait_until(pilot, lambda: history.load(old.id).result(5).summary.turns == MAX_SHOWN_TURNS + 3,
                         what="the new turn saved into the same chat")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: list((tmp_path / "exports").glob("*.md")), what="the export")
        text = next((tmp_path / "exports").glob("*.md")).read_text(encoding="utf-8")
        assert "old question 0" in text and "old answer 0" in text and "one more" in text
        assert "System: answer in French" in text


async def test_search_rename_delete_and_undo_on_the_chats_screen(tmp_path, engine, history):
    for title, answer in [("sqlite questions", "WAL is fine"), ("retry loops", "use backoff"),
                          ("lunch", "soup")]:
        history.save_turn(ChatHandle("main"), title, answer, "vendor/alpha", "", None)
        engine.clock.advance(5)
    await done(history.list())
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chats(pilot)
        assert [r[0] for r in rows(screen)] == ["lunch", "retry loops", "sqlite questions"]
        assert screen.search.has_focus  # typing searches at once
        await pilot.press(*"backo")
        await wait_until(pilot, lambda: len(rows(screen)) == 1, what="the search")
        assert rows(screen)[0][0].startswith("retry loops — ") and "backoff" in rows(screen)[0][0]
        await pilot.press("enter")  # to the list
        assert screen.table.has_focus
        await pilot.press("r")
        await wait_until(pilot, lambda: app.screen is not screen, what="the rename dialog")
        for _ in range(20):
            await pilot.press("backspace")
        await pilot.press(*"backoff notes", "enter")
        await wait_until(pilot, lambda: rows(screen) and rows(screen)[0][0].startswith("backoff notes"))
        screen.search.value = ""
        await wait_until(pilot, lambda: len(rows(screen)) == 3)
        await pilot.press("d")  # the highlighted row: backoff notes
        await wait_until(pilot, lambda: len(rows(screen)) == 2, what="the delete")
        assert "backoff notes" not in [r[0] for r in rows(screen)]
        assert screen.check_action("undo", ()) is True
        await pilot.press("u")
        await wait_until(pilot, lambda: len(rows(screen)) == 3, what="the undo")
        assert [r[0] for r in rows(screen)] == ["lunch", "backoff notes", "sqlite questions"]
        assert screen.check_action("undo", ()) is False


async def test_without_history_nothing_is_kept_and_the_chats_key_says_so(tmp_path, engine, monkeypatch):
    app = app_for(engine, tmp_path)  # no history: --no-history, or `history: off`
    toasts = Toasts(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "forget me")
        await answer_done(pilot)
        await pilot.press("ctrl+o")
        assert app.screen is app.main
        assert any("not saved" in text for text, _ in toasts.messages)
    assert not list(tmp_path.rglob("*.sqlite3"))


def test_the_history_is_opened_only_when_wanted_and_the_demo_s_apart(tmp_path, engine, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    kept = open_history(engine, no_history=False)
    assert kept is not None and kept.path == tmp_path / "data" / "modelfallback" / "chats.sqlite3"
    kept.close()
    assert open_history(engine, no_history=True) is None
    engine.demo = True
    demo = open_history(engine, no_history=False)
    assert demo is not None and demo.path.name == "demo-chats.sqlite3"
    demo.close()
    engine.demo = False
    monkeypatch.setattr(engine, "config", engine.config.__class__(**{**engine.config.__dict__, "history": False}))
    assert open_history(engine, no_history=False) is None


async def test_letters_typed_on_the_chats_screen_search_and_never_rename_or_delete(tmp_path, engine, history):
    history.save_turn(ChatHandle("main"), "range of a loop", "use range()", "vendor/alpha", "", None)
    engine.clock.advance(5)
    history.save_turn(ChatHandle("main"), "lunch", "soup", "vendor/alpha", "", None)
    await done(history.list())
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chats(pilot)
        await pilot.press(*"range du")  # r renames, d deletes and u undoes on the list
        await wait_until(pilot, lambda: len(rows(screen)) == 0, what="the search")
        assert app.screen is screen and screen.search.value == "range du"
        await pilot.press(*["backspace"] * 3)
        await wait_until(pilot, lambda: len(rows(screen)) == 1, what="the search")
        assert rows(screen)[0][0].startswith("range of a loop")
        assert not screen.check_action("rename", ()) and not screen.check_action("delete", ())  # not in the footer
        await pilot.press("f2")  # the doctor's key everywhere, never a rename here
        await pilot.pause()
        assert not isinstance(app.screen, TextDialog)
        if app.screen is not screen:
            await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, what="back on the chats screen")
        await pilot.press("down")  # on to the list, where the one-letter keys act
        assert screen.table.has_focus and screen.check_action("rename", ())
        await pilot.press("slash")
        assert screen.search.has_focus
        titles = [c.title for c in await done(history.list())]
    assert sorted(titles) == ["lunch", "range of a loop"]  # nothing renamed, nothing deleted


async def test_titles_are_shown_as_typed_never_as_markup(tmp_path, engine, history):
    title = "what does [/] close, and [bold]this[/bold]?"
    history.save_turn(ChatHandle("main"), title, "a tag", "vendor/alpha", "", None)
    await done(history.list())
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chats(pilot)
        assert rows(screen)[0][0] == title
        await pilot.pause()
        assert "[/] close" in "".join(screen.table.render_line(y).text for y in range(3))


async def test_each_opening_lists_afresh_with_an_empty_search(tmp_path, engine, history):
    history.save_turn(ChatHandle("main"), "first chat", "yes", "vendor/alpha", "", None)
    await done(history.list())
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chats(pilot)
        await pilot.press(*"nothing like it")
        await wait_until(pilot, lambda: len(rows(screen)) == 0, what="the search")
        await pilot.press("escape", "escape")  # the first clears the search, the second closes
        await wait_until(pilot, lambda: app.screen is app.main, what="the main screen")
        engine.clock.advance(5)
        await done(history.save_turn(ChatHandle("main"), "second chat", "yes", "vendor/alpha", "", None))
        again = await open_chats(pilot)
        assert again is screen  # kept between openings
        await wait_until(pilot, lambda: len(rows(screen)) == 2, what="the fresh list")
        assert [r[0] for r in rows(screen)] == ["second chat", "first chat"]
        assert screen.search.value == "" and screen.search.has_focus
