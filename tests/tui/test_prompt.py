"""The prompt's cursor: it blinks while the user is at it and then stays shown, steady."""

from __future__ import annotations

import tui.widgets.prompt as prompt_module
from tui.widgets.prompt import PromptInput

from tui_helpers import app_for, sim_engine, wait_until


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
