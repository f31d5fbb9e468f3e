"""ctrl+n (new chat) asks before it drops a conversation or stops an answer, and only then."""

from __future__ import annotations

import pytest

from tui.engine.sim import Healthy
from tui.screens.confirm import ConfirmDialog
from tui.screens.main import MainScreen

from tui_helpers import answer_done, app_for, log_lines, send, sim_engine, wait_until


async def ask_new_chat(pilot) -> ConfirmDialog:
    await pilot.press("ctrl+n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), what="the question")
    return pilot.app.screen


@pytest.mark.parametrize("keep", ["escape", "n"])
@pytest.mark.parametrize("drop", ["enter", "y"])
async def test_new_chat_asks_before_dropping_a_conversation(tmp_path, keep, drop):
    app = app_for(sim_engine(tmp_path, {}), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = app.main.chat
        await send(pilot, "keep me")
        await answer_done(pilot)
        await ask_new_chat(pilot)
        await pilot.press(keep)
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert [m.content for m in chat.history if m.role == "user"] == ["keep me"]
        assert not any(line.endswith("new chat") for line in log_lines(app))
        await ask_new_chat(pilot)
        await pilot.press(drop)
        await wait_until(pilot, lambda: chat.history == [] and not chat.transcript.query(".user"), what="a new chat")
        assert any(line.endswith("new chat") for line in log_lines(app))
        assert app.focused is chat.prompt


async def test_new_chat_with_nothing_to_lose_asks_nothing(tmp_path):
    app = app_for(sim_engine(tmp_path, {}), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert any(line.endswith("new chat") for line in log_lines(app))


async def test_new_chat_while_an_answer_streams_says_it_stops(tmp_path):
    slow = Healthy(ttft=0.01, tokens_per_s=20, answer_tokens=400)
    app = app_for(sim_engine(tmp_path, {"vendor/alpha": slow}), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = app.main.chat
        await send(pilot, "a long one")
        await wait_until(pilot, lambda: chat.busy and chat.history == [], what="the answer streaming")
        dialog = await ask_new_chat(pilot)
        assert "the answer streaming now stops" in str(dialog.query_one(".dialog-text").content)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert chat.busy  # kept: still streaming
        await ask_new_chat(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not chat.busy and not chat.transcript.query(".user"), what="a new chat")
