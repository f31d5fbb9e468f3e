"""The chats screen opened again and again: what it keeps between openings (rows, their drawing,
styles, the footer's keys) and what makes it draw or style again (a changed list, a theme switch,
a database slow to answer)."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future

import pytest
from textual.widgets._footer import FooterKey

from tui.engine.history import ChatHandle, ChatHistory
from tui.widgets.redraw_table import RedrawTable
from tui.widgets.steady_footer import SteadyFooter

from test_saved_chats import done, open_chats, rows
from tui_helpers import app_for, settle, sim_engine, wait_until


@pytest.fixture
def engine(tmp_path):
    return sim_engine(tmp_path, {})


@pytest.fixture
def history(tmp_path, engine):
    h = ChatHistory(tmp_path / "chats.sqlite3", engine.clock.wall)
    for n in range(5):
        h.save_turn(ChatHandle("main"), f"chat number {n}", "an answer", "vendor/alpha", "", None)
        engine.clock.advance(5)
    yield h
    h.close()


async def close_chats(pilot) -> None:
    await pilot.press("escape")
    await wait_until(pilot, lambda: pilot.app.screen is pilot.app.main, what="the main screen")


async def test_an_unchanged_list_keeps_its_rows_and_draws_no_cell_again(tmp_path, engine, history, monkeypatch):
    await done(history.list())
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chats(pilot)
        await settle(pilot)
        keys = list(screen.table.rows)
        await close_chats(pilot)
        drawn: list[int] = []
        real = RedrawTable._draw_cell

        def counting(self, *args):
            drawn.append(args[1])
            return real(self, *args)

        monkeypatch.setattr(RedrawTable, "_draw_cell", counting)
        again = await open_chats(pilot)
        await settle(pilot)
        assert again is screen and list(screen.table.rows) == keys  # the same rows, not added again
        assert drawn == []  # every visible cell drawn from what the last opening drew
        assert [r[0] for r in rows(screen)] == [f"chat number {n}" for n in reversed(range(5))]


async def test_a_chat_saved_meanwhile_is_listed_at_the_next_opening(tmp_path, engine, history):
    await done(history.list())
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chats(pilot)
        await close_chats(pilot)
        engine.clock.advance(5)
        await done(history.save_turn(ChatHandle("main"), "a new chat", "yes", "vendor/alpha", "", None))
        await open_chats(pilot)
        await settle(pilot)
        assert [r[0] for r in rows(screen)][:2] == ["a new chat", "chat number 4"]
        assert "a new chat" in "".join(screen.table.render_line(y).text for y in range(3))


async def test_a_theme_switched_while_closed_restyles_the_screen_at_its_next_opening(tmp_path, engine, history):
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chats(pilot)
        await settle(pilot)
        before = screen.table.render_line(2)
        await close_chats(pilot)
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await settle(pilot)
        await open_chats(pilot)
        await settle(pilot)
        after = screen.table.render_line(2)
        screen.update_node_styles()  # what Textual's own resume does every time
        await settle(pilot)
        fresh = screen.table.render_line(2)
        assert after.text == before.text
        assert [s.style for s in after] == [s.style for s in fresh] != [s.style for s in before]


async def test_a_database_slow_to_answer_shows_the_last_rows_until_the_list_comes(tmp_path, engine, history,
                                                                                   monkeypatch):
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chats(pilot)
        await close_chats(pilot)
        slow: Future = Future()
        real_list = history.list
        monkeypatch.setattr(history, "list", lambda limit=None: slow)
        listings = screen.listings
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: app.screen is screen, what="the chats screen")
        await settle(pilot)
        assert screen.listings == listings and screen.table.display  # the last opening's rows meanwhile
        assert len(rows(screen)) == 5
        engine.clock.advance(5)
        await done(history.save_turn(ChatHandle("main"), "a new chat", "yes", "vendor/alpha", "", None))
        slow.set_result(await asyncio.wrap_future(real_list(200)))
        await wait_until(pilot, lambda: screen.listings > listings, what="the list")
        assert [r[0] for r in rows(screen)][0] == "a new chat" and len(rows(screen)) == 6


async def test_the_footer_composes_its_keys_again_only_when_they_change(tmp_path, engine, history):
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chats(pilot)
        await settle(pilot)
        footer = screen.query_one(SteadyFooter)
        keys = list(footer.query(FooterKey))
        assert "Rename" not in [k.description for k in keys]  # the search has focus: letters are typed
        screen.refresh_bindings()  # nothing shown changes
        await settle(pilot)
        assert list(footer.query(FooterKey)) == keys
        await pilot.press("down")  # to the list: its keys show
        await settle(pilot)
        assert "Rename" in [k.description for k in footer.query(FooterKey)]
        await close_chats(pilot)
        await open_chats(pilot)
        await settle(pilot)
        assert [k.description for k in footer.query(FooterKey)] == [k.description for k in keys]
