"""The app shell: startup, demo label, help, event log, small terminals, workers, secrets."""

from __future__ import annotations

import pytest

from tui.app import ModelFallbackApp, make_app
from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.config.loader import load_config
from tui.engine.config.paths import default_config_path
from tui.engine.sim import HttpError, SimulatorTransport
from tui.screens.disable_dialog import DisableDialog
from tui.screens.doctor import DoctorScreen
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.widgets.models_table import ModelsTable

from tui_helpers import FAST, SECRET, answer_done, app_for, cell, log_lines, send, settle, sim_engine, wait_until


async def test_demo_startup_shows_everything_and_is_labelled(tmp_path):
    engine = ModelFallback(load_config(default_config_path()), demo=True, clock=FakeClock())
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        bar = main.status_bar.content.plain
        assert bar.startswith(" DEMO ") and "simulated providers, no network, no API key" in bar
        assert "group coding → claude-3.5-sonnet" in bar
        assert main.models.row_count == len(engine.config.models)
        assert main.groups_panel.groups == ["coding", "fast", "cheap"]
        coding = main.groups_panel.text("coding").splitlines()
        assert coding == ["coding · chat", "▶ ? claude-3.5-sonnet", "  ? gpt-4-turbo", "  ? deepseek-coder"]
        assert app.focused is main.chat.prompt
        assert not main.event_log.display
        await pilot.press("ctrl+l")
        assert main.event_log.display
        await pilot.press("ctrl+l")
        assert not main.event_log.display


async def test_first_health_sweep_runs_after_the_first_screen(tmp_path):
    engine = sim_engine(tmp_path, {})
    transport = engine.clients["sim"]._transport
    app = app_for(engine, tmp_path, background=True)
    async with app.run_test(size=(120, 40)) as pilot:
        assert transport.requests == []  # nothing on the network before the first frame
        await wait_until(pilot, lambda: cell(app, "vendor/gamma", "status") == "● healthy", timeout=5)
        assert any("health sweep: 3 ok, 0 failed" in line for line in log_lines(app))


async def test_help_screen_lists_every_key(tmp_path):
    app = app_for(sim_engine(tmp_path, {}), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = app.screen.query_one("#help-text").content.plain
        for binding in [*MainScreen.BINDINGS, *ModelsTable.BINDINGS, *ModelFallbackApp.BINDINGS,
                        *DoctorScreen.BINDINGS]:
            assert (binding.tooltip or binding.description) in text, binding.description
        for key in ("^p", "^q", "esc", "^t", "^n", "^s", "^g", "^l", "f1", "f2", "d ", "e ", "c ", "a ",
                    "typing", "up / down", "enter", "tab"):
            assert key in text, key
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_too_small_terminal_gets_a_message_and_resizing_never_crashes(tmp_path):
    app = app_for(sim_engine(tmp_path, {}), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        for size in [(60, 20), (79, 24), (80, 23), (30, 8), (80, 24), (200, 60), (100, 30)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            small = size[0] < 80 or size[1] < 24
            assert main.has_class("-too-small") is small, size
            if small:
                assert f"{size[0]}×{size[1]}" in str(main.query_one("#too-small").content)
            main.tick()
        await send(pilot, "still works")
        await answer_done(pilot)


@pytest.mark.parametrize("where", ["prompt", "models"])
async def test_focus_comes_back_after_the_window_was_too_small(tmp_path, where):
    """Too small hides every panel (and so their focus); once big enough again, focus is where it
    was: typed text and Enter reach the prompt with no Tab, `d` reaches the models table."""
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        widget = main.chat.prompt if where == "prompt" else main.models
        widget.focus()
        await pilot.pause()
        for size in [(60, 20), (70, 22), (120, 40)]:  # two resizes while small: the first focus is kept
            await pilot.resize_terminal(*size)
            await pilot.pause()
        await settle(pilot)
        assert app.focused is widget
        if where == "prompt":
            await pilot.press(*"hi", "enter")
            await answer_done(pilot)
            assert main.chat.history[0].content == "hi"
        else:
            await pilot.press("d")
            await wait_until(pilot, lambda: isinstance(app.screen, DisableDialog), what="the dialog")


async def test_a_failing_health_worker_is_reported_not_fatal(tmp_path):
    engine = sim_engine(tmp_path, {})

    async def broken(*args, **kwargs):
        raise RuntimeError("probe machinery exploded")

    engine.monitor.sweep = broken
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.run_sweep()
        await wait_until(pilot, lambda: any("sweep failed: RuntimeError" in line for line in log_lines(app)))
        assert "sweep" not in app.main._health_busy
        await send(pilot, "the app is still alive")
        await answer_done(pilot)


async def test_api_key_never_appears_on_screen(tmp_path):
    leaky = HttpError(status=500, payload={"error": {"message": f"invalid key {SECRET} for this route"}})
    engine = sim_engine(tmp_path, {"vendor/alpha": leaky})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await send(pilot, "hello")
        await answer_done(pilot)
        app.main.tick()
        await pilot.press("ctrl+l")
        await pilot.pause()
        svg = app.export_screenshot()
        assert SECRET not in svg and SECRET[:12] not in svg
        assert "alpha" in svg
        assert all(SECRET not in line for line in log_lines(app))
        assert SECRET not in cell(app, "vendor/alpha", "note")


def test_make_app_defaults_to_the_user_config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    engine = ModelFallback(load_config(default_config_path()), clock=FakeClock(),
                           transport=SimulatorTransport({}, default=FAST), env={})
    app = make_app(engine)
    assert app.config_dir == tmp_path / "xdg" / "modelfallback"
    assert app.settings_path == tmp_path / "xdg" / "modelfallback" / "settings.json"


async def test_a_failing_tick_is_told_once_and_the_ticker_keeps_going(tmp_path, monkeypatch):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    told = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: told.append(message))
    async with app.run_test(size=(120, 40)) as pilot:
        real = engine.statuses
        engine.statuses = lambda: (_ for _ in ()).throw(PermissionError("state folder is gone"))
        app.tick()
        app.tick()
        assert told == ["Status update failed: PermissionError: state folder is gone"]
        engine.statuses = real
        engine.disable("vendor/alpha", 60)
        app.tick()
        await pilot.pause()
        assert cell(app, "vendor/alpha", "status") == "✕ disabled"
