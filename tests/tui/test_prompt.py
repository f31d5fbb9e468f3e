"""The prompt: several lines (shift+Enter, ctrl+j), recall of earlier prompts, and its cursor that
blinks while the user is at it and then stays shown, steady."""

from __future__ import annotations

import tui.widgets.prompt as prompt_module
from tui.widgets.prompt import PromptInput

from tui_helpers import answer_done, app_for, send, sim_engine, wait_until


async def test_the_cursor_stops_blinking_when_the_user_is_away_and_blinks_again_on_a_key(tmp_path, monkeypatch):
    """The prompt reads the time through `monotonic`, replaced here by a clock only the test moves: the
    blink stops when that clock passes `BLINK_FOR_S`, however slowly the machine runs the app."""
    now = [1000.0]
    monkeypatch.setattr(prompt_module, "monotonic", lambda: now[0])
    monkeypatch.setattr(PromptInput, "BLINK_FOR_S", 0.3)  # the wall-clock timer that looks at the clock
    app = app_for(sim_engine(tmp_path, {}), tmp_path)
    async with app.run_test() as pilot:
        prompt = app.main.chat.prompt
        assert prompt.has_focus and prompt.cursor_blink
        await pilot.pause(0.5)
        assert prompt.cursor_blink  # the timer looked; no time passed for the prompt
        now[0] += 0.3
        await wait_until(pilot, lambda: not prompt.cursor_blink, what="the blink to stop")
        assert prompt._cursor_visible  # still shown, steady
        await pilot.press("h", "i")
        assert prompt.cursor_blink and prompt.value == "hi"
        await pilot.pause(0.5)
        assert prompt.cursor_blink
        now[0] += 0.3
        await wait_until(pilot, lambda: not prompt.cursor_blink, what="the blink to stop again")
        assert prompt._cursor_visible
        await pilot.click("#prompt")
        assert prompt.cursor_blink


async def test_shift_enter_and_ctrl_j_add_lines_the_box_grows_then_scrolls_and_enter_sends_them_all(tmp_path):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        prompt = app.main.chat.prompt
        one_line = prompt.size.height
        await pilot.press("a", "shift+enter", "b", "ctrl+j", "c")
        assert prompt.value == "a\nb\nc"
        await pilot.pause()
        assert prompt.size.height == one_line + 2  # grows with its lines
        for _ in range(10):
            await pilot.press("ctrl+j", "x")
        await pilot.pause()
        assert prompt.outer_size.height == 8 and prompt.max_scroll_y > 0  # six lines in its border, then it scrolls
        await pilot.press("enter")
        await answer_done(pilot)
        chat = app.main.chat
        sent = "a\nb\nc" + "\nx" * 10
        assert chat.history[0].content == sent and str(chat.query_one(".user").content) == sent
        assert prompt.value == "" and prompt.size.height == one_line


async def test_up_and_down_on_an_empty_prompt_recall_this_chat_s_prompts(tmp_path):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        prompt = app.main.chat.prompt
        for text in ("first", "second\nline"):
            await send(pilot, text)
            await answer_done(pilot)
        await pilot.press("up")
        assert prompt.value == "second\nline"
        await pilot.press("up")
        assert prompt.value == "first"
        await pilot.press("up")
        assert prompt.value == "first"  # the oldest stays
        await pilot.press("down")
        assert prompt.value == "second\nline"
        await pilot.press("down")
        assert prompt.value == ""
        # an edited prompt is the user's: Up moves the cursor in it instead
        await pilot.press("up", "!", "up")
        assert prompt.value == "second\nline!" and prompt.cursor_location == (0, 5)
        prompt.value = ""
        await pilot.press("ctrl+n")  # a new chat starts with no earlier prompts
        await pilot.pause()
        await pilot.press("up")
        assert prompt.value == ""


def burst(app, keys: list[str]) -> None:
    """Keys arriving together, as a terminal hands them over when a script, a paste without bracketed
    paste or dictation types them: all queued before the app handles the first."""
    from textual import events

    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_keys_typed_in_one_burst_reach_the_prompt_before_enter_sends_it(tmp_path):
    app = app_for(sim_engine(tmp_path, {}), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        prompt = app.main.chat.prompt
        burst(app, [*"one", "ctrl+j", *"two", "enter"])
        await answer_done(pilot)
        assert app.main.chat.history[0].content == "one\ntwo"  # every key, in order, then sent
        assert prompt.value == ""


async def test_keys_typed_in_one_burst_reach_a_multi_line_dialog_before_ctrl_s_keeps_it(tmp_path):
    from tui.screens.chat_dialogs import TextDialog

    app = app_for(sim_engine(tmp_path, {}), tmp_path)
    kept: list[str | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(TextDialog("System prompt", "be ", multiline=True), kept.append)
        await wait_until(pilot, lambda: isinstance(app.screen, TextDialog), what="the dialog")
        await pilot.pause()
        app.screen.query_one("#dialog-text").move_cursor((0, 3))
        burst(app, [*"terse", "ctrl+s"])
        await wait_until(pilot, lambda: kept, what="the dialog to close")
    assert kept == ["be terse"]
