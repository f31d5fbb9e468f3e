"""Group switching, and another process's disable/enable picked up by the running app."""

from __future__ import annotations

from tui.engine.api import ModelFallback
from tui.widgets.answer import AnswerView

from tui_helpers import SECRET, answer_done, app_for, cell, log_lines, send, sim_engine, wait_until

GROUPS = {"coding": ["vendor/alpha", "vendor/beta"], "fast": ["vendor/gamma", "vendor/beta"]}


async def test_selecting_a_group_by_keyboard_makes_it_the_chats_group(tmp_path):
    engine = sim_engine(tmp_path, {}, GROUPS)
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        assert main.group == "coding" and "· chat" in main.groups_panel.text("coding")
        main.groups_panel.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert main.group == "fast" and main.chat.group == "fast"
        assert "· chat" in main.groups_panel.text("fast")
        assert "· chat" not in main.groups_panel.text("coding")
        assert app.focused is main.chat.prompt
        assert main.chat.border_title == "Chat · fast"
        await send(pilot, "hi")
        await answer_done(pilot)
        assert main.chat.query_one(AnswerView).model == "vendor/gamma"


async def test_group_by_mouse_and_ctrl_g(tmp_path):
    engine = sim_engine(tmp_path, {}, GROUPS)
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        await send(pilot, "first")
        await answer_done(pilot)
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert main.group == "fast"
        assert main.chat.query(".divider") and "now asking group fast" in str(main.chat.query_one(".divider").content)
        await send(pilot, "second")
        await wait_until(pilot, lambda: len(main.chat.history) == 4)
        assert main.chat.query(AnswerView).last().model == "vendor/gamma"
        # a click on the first group's title line chooses it
        await pilot.click("#groups", offset=(3, 1))
        await pilot.pause()
        assert main.group == "coding"


async def test_another_process_disable_shows_within_two_seconds(tmp_path):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert cell(app, "vendor/beta", "status") == "? unknown"
        other = ModelFallback(engine.config, state_path=tmp_path / "state.json", clock=engine.clock,
                              env={"SIM_KEY": SECRET})
        other.disable("vendor/beta", 120, "maintenance")
        # no manual tick: the app's own 1 Hz ticker must find it
        await wait_until(pilot, lambda: cell(app, "vendor/beta", "status") == "✕ disabled", timeout=2.0,
                         what="the outside disable")
        assert cell(app, "vendor/beta", "note") == "manual · maintenance"
        assert cell(app, "vendor/beta", "out").startswith("2:00")
        assert any("vendor/beta disabled elsewhere for 2:00: maintenance" in line for line in log_lines(app))
        other.enable("vendor/beta")
        await wait_until(pilot, lambda: cell(app, "vendor/beta", "status") == "? unknown", timeout=2.0)
        assert any("vendor/beta enabled elsewhere" in line for line in log_lines(app))
        await other.aclose()


async def test_groups_panel_and_models_table_show_one_countdown(tmp_path):
    """A model out for 9:09 reads 9:09 in both panels (not `10m` beside `9:09`), to the second,
    and `∞` beside `until enabled`."""
    engine = sim_engine(tmp_path, {}, GROUPS)
    engine.disable("vendor/alpha", 600)
    engine.disable("vendor/gamma", None)
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        for advance, shown in [(51, "9:09"), (8 * 60 + 11, "0:58"), (0.5, "0:58")]:
            engine.clock.advance(advance)
            main.tick()
            await pilot.pause()
            assert cell(app, "vendor/alpha", "out").split()[0] == shown
            coding = main.groups_panel.text("coding").splitlines()
            assert coding[1].split()[:3] == ["✕", shown, "alpha"]
        fast = main.groups_panel.text("fast").splitlines()
        assert fast[1].split()[:3] == ["✕", "∞", "gamma"] and cell(app, "vendor/gamma", "out") == "until enabled"
