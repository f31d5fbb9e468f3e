"""The prompt's cursor: it blinks while the user is at it and then stays shown, steady."""

from __future__ import annotations

from tui.widgets.prompt import PromptInput

from tui_helpers import app_for, sim_engine, wait_until


async def test_the_cursor_stops_blinking_when_the_user_is_away_and_blinks_again_on_a_key(tmp_path, monkeypatch):
    monkeypatch.setattr(PromptInput, "BLINK_FOR_S", 0.3)
    app = app_for(sim_engine(tmp_path, {}), tmp_path)
    async with app.run_test() as pilot:
        prompt = app.main.chat.prompt
        assert prompt.has_focus and prompt.cursor_blink
        await wait_until(pilot, lambda: not prompt.cursor_blink, what="the blink to stop")
        assert prompt._cursor_visible  # still shown, steady
        await pilot.press("h", "i")
        assert prompt.cursor_blink and prompt.value == "hi"
        await wait_until(pilot, lambda: not prompt.cursor_blink, what="the blink to stop again")
        assert prompt._cursor_visible
        await pilot.click("#prompt")
        assert prompt.cursor_blink
