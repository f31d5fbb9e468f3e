"""Manual control: the disable dialog (each duration, reason, mouse, cancel), enable, check now,
countdowns on the injected clock, and the half-open trial when a disable runs out."""

from __future__ import annotations

import pytest

from tui.engine.sim import Sequence, Unavailable
from tui.screens.disable_dialog import DisableDialog
from tui.screens.help import HelpScreen

from tui_helpers import FAST, app_for, cell, log_lines, sim_engine, wait_until


async def focus_model(pilot, model: str) -> None:
    app = pilot.app
    app.main.models.focus()
    app.main.models.select_model(model)
    await pilot.pause()


async def open_dialog(pilot, model: str) -> DisableDialog:
    await focus_model(pilot, model)
    await pilot.press("d")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, DisableDialog), what="the dialog")
    await pilot.pause()
    return pilot.app.screen


@pytest.mark.parametrize("keys, seconds, shown", [
    (("up", "enter"), 60, "1:00"), (("enter",), 300, "5:00"), (("down", "enter"), 900, "15:00"),
    (("down", "down", "enter"), 3600, "1:00:00"), (("down",) * 3 + ("enter",), None, "until enabled"),
    (("down",) * 6 + ("enter",), None, "until enabled"), (("up", "up", "enter"), 60, "1:00"),
])
async def test_disable_dialog_durations(tmp_path, keys, seconds, shown):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot, "vendor/beta")
        assert dialog.model == "vendor/beta"
        assert app.focused is dialog.reason  # typing is the reason; Enter right away takes the default
        await pilot.press(*keys)
        await wait_until(pilot, lambda: not isinstance(app.screen, DisableDialog))
        status = engine.status("vendor/beta")
        assert status.status == "disabled" and status.source == "manual"
        if seconds is None:
            assert status.remaining_s is None
        else:
            assert status.remaining_s == pytest.approx(seconds)
        assert cell(app, "vendor/beta", "status") == "✕ disabled"
        assert cell(app, "vendor/beta", "out").startswith(shown)
        assert cell(app, "vendor/beta", "note") == "manual"
        assert any("disabled vendor/beta" in line for line in log_lines(app))


@pytest.mark.parametrize("reason", ["unreliable", "flaky", "ehh 15 min, 1h?", "disable"])
async def test_typed_letters_are_the_reason_never_an_action(tmp_path, reason):
    """d, then a reason typed straight away: every letter lands in the reason (none picks a
    duration, enables the model or checks every model), and Enter disables for the default 5m."""
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    checks = []
    engine.check = lambda *args, **kwargs: checks.append(args)  # `a` (check all) would call it
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot, "vendor/beta")
        await pilot.press(*reason)
        assert isinstance(app.screen, DisableDialog) and dialog.reason.value == reason
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, DisableDialog))
        status = engine.status("vendor/beta")
        assert status.status == "disabled" and status.remaining_s == pytest.approx(300)
        assert status.reason == reason
        assert checks == [] and engine.status("vendor/alpha").status != "disabled"
        assert cell(app, "vendor/beta", "note") == f"manual · {reason}"


async def test_typing_on_a_duration_button_goes_to_the_reason(tmp_path):
    """After Tab to the buttons, ↓ moves focus with the highlight and a letter goes back to the
    reason; Enter on a focused button takes that button."""
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot, "vendor/beta")
        await pilot.press("tab")
        assert app.focused.id == "for-1m" and dialog.highlighted == "for-1m"
        await pilot.press("down")
        assert app.focused.id == "for-5m" and dialog.highlighted == "for-5m"
        await pilot.press(*"ok")
        assert app.focused is dialog.reason and dialog.reason.value == "ok"
        await pilot.press("shift+tab")  # from the reason back to the last button
        assert app.focused.id == "for-ever" and dialog.highlighted == "for-ever"
        await pilot.press("tab", "tab", "tab", "tab")  # the reason, 1m, 5m, 15m
        assert app.focused.id == "for-15m"
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, DisableDialog))
        status = engine.status("vendor/beta")
        assert status.remaining_s == pytest.approx(900) and status.reason == "ok"


async def test_a_configured_default_that_is_no_button_sits_in_order(tmp_path):
    dialog = DisableDialog("vendor/beta", default_seconds=600)
    assert list(dialog.choices) == ["for-1m", "for-5m", "for-default", "for-15m", "for-1h", "for-ever"]
    assert dialog.highlighted == "for-default" and dialog.labels["for-default"] == "10m"


async def test_disable_with_reason_by_mouse_then_countdown(tmp_path):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot, "vendor/alpha")
        await pilot.click("#reason")
        await pilot.press(*"flaky")
        await pilot.click("#for-1m")
        await wait_until(pilot, lambda: not isinstance(app.screen, DisableDialog))
        assert dialog.reason.value == "flaky"
        assert cell(app, "vendor/alpha", "note") == "manual · flaky"
        assert cell(app, "vendor/alpha", "out") == "1:00 █████"
        engine.clock.advance(30)
        app.main.tick()
        assert cell(app, "vendor/alpha", "out") == "0:30 ██▌··"
        # the chat's preferred model moved on, and the groups panel says so
        assert engine.preferred("main") == "vendor/beta"
        lines = app.main.groups_panel.text("main").splitlines()
        assert lines[1].startswith("  ✕ 0:30 alpha") and lines[2].startswith("▶ ? beta")
        engine.clock.advance(31)
        app.main.tick()
        assert cell(app, "vendor/alpha", "status") == "◌ probing"
        assert any("alpha: time is up, probing" in line for line in log_lines(app))


async def test_manual_disable_that_runs_out_is_closed_by_its_trial(tmp_path):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.disable("vendor/alpha", 60)
        engine.clock.advance(61)
        app.main.tick()
        await wait_until(pilot, lambda: engine.status("vendor/alpha").status == "healthy", timeout=3,
                         what="the trial")


async def test_auto_disable_recovers_through_a_half_open_trial(tmp_path):
    engine = sim_engine(tmp_path, {"vendor/alpha": Sequence([Unavailable(), FAST])})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await focus_model(pilot, "vendor/alpha")
        await pilot.press("c")
        await wait_until(pilot, lambda: engine.status("vendor/alpha").status == "disabled", what="the check")
        await pilot.pause()
        assert cell(app, "vendor/alpha", "out").startswith("0:10")
        engine.clock.advance(10)
        app.main.tick()  # cooldown over: probing, and the trial starts at once
        await wait_until(pilot, lambda: engine.status("vendor/alpha").status == "healthy", what="the trial")
        app.main.tick()
        assert cell(app, "vendor/alpha", "status") == "● healthy"
        assert cell(app, "vendor/alpha", "out") == ""
        lines = log_lines(app)
        assert any("alpha out for 0:10: unavailable" in line for line in lines)
        assert any("trial alpha: ok" in line for line in lines)
        assert any("alpha recovered: healthy" in line for line in lines)


async def test_disable_dialog_enter_in_reason_takes_default_and_escape_cancels(tmp_path):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog(pilot, "vendor/alpha")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, DisableDialog))
        assert engine.status("vendor/alpha").status != "disabled"
        await open_dialog(pilot, "vendor/alpha")
        await pilot.click("#reason")
        await pilot.press(*"maint", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, DisableDialog))
        status = engine.status("vendor/alpha")
        assert status.remaining_s == pytest.approx(300) and status.reason == "maint"


async def test_enable_brings_a_model_back(tmp_path):
    engine = sim_engine(tmp_path, {})
    engine.disable("vendor/gamma", None, "testing")
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert cell(app, "vendor/gamma", "out") == "until enabled"
        assert any("vendor/gamma is disabled (manual), until enabled" in line for line in log_lines(app))
        await focus_model(pilot, "vendor/gamma")
        await pilot.press("e")
        await pilot.pause()
        assert engine.status("vendor/gamma").status == "unknown"
        assert cell(app, "vendor/gamma", "status") == "? unknown"
        assert cell(app, "vendor/gamma", "out") == ""
        assert any("enabled vendor/gamma" in line for line in log_lines(app))
        assert not any("elsewhere" in line for line in log_lines(app))


async def test_check_selected_and_check_all(tmp_path):
    engine = sim_engine(tmp_path, {"vendor/gamma": Unavailable()})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await focus_model(pilot, "vendor/beta")
        await pilot.press("c")
        await wait_until(pilot, lambda: engine.status("vendor/beta").status == "healthy", what="the check")
        await pilot.pause()
        assert cell(app, "vendor/beta", "status") == "● healthy"
        assert cell(app, "vendor/beta", "checked") == "0s ago"
        assert cell(app, "vendor/beta", "ok") == "100%"
        assert cell(app, "vendor/alpha", "status") == "? unknown"
        await pilot.press("a")
        await wait_until(pilot, lambda: engine.status("vendor/gamma").status == "disabled", what="check all")
        await pilot.pause()
        assert cell(app, "vendor/alpha", "status") == "● healthy"
        assert cell(app, "vendor/gamma", "status") == "✕ disabled"
        assert "503" in cell(app, "vendor/gamma", "note") or "unavailable" in cell(app, "vendor/gamma", "note")
        engine.clock.advance(75)
        app.main.tick()
        assert cell(app, "vendor/beta", "checked") == "1m ago"
        assert any("check gamma failed" in line for line in log_lines(app))


async def run_from_palette(pilot, search: str) -> None:
    """ctrl+p, type `search`, Enter: the palette's first match runs."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*search)
    await pilot.pause(0.5)
    await pilot.press("enter")


async def test_model_actions_from_the_palette(tmp_path):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.main)]
        for expected in ("Theme", "Quit", "Disable selected model", "Enable selected model",
                         "Check selected model", "Check all models", "New chat", "Export conversation",
                         "Toggle event log", "Help", "Disable vendor/beta", "Chat with group main"):
            assert any(t.startswith(expected) for t in titles), expected
        await run_from_palette(pilot, "disable vendor/beta")
        await wait_until(pilot, lambda: isinstance(app.screen, DisableDialog), what="the dialog from the palette")
        assert app.screen.model == "vendor/beta"
        await pilot.press("enter")
        await wait_until(pilot, lambda: engine.status("vendor/beta").status == "disabled")


async def test_the_palette_lists_help_once_and_it_opens_the_help_screen(tmp_path):
    app = app_for(sim_engine(tmp_path, {}), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        commands = list(app.get_system_commands(app.main))
        helps = [c for c in commands if any(word in c.title.lower() for word in ("help", "keys"))]
        assert [c.title for c in helps] == ["Help"]
        await run_from_palette(pilot, "help")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")


async def test_a_disable_under_a_lock_another_process_holds_says_so_and_changes_nothing(tmp_path, monkeypatch):
    """A stuck process holding the state's lock: the disable fails after the short wait with the
    reason in a toast (no hang, no crash), the model stays as it was, and the app goes on."""
    import fcntl
    import os

    from tui.engine.state import file_lock

    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    monkeypatch.setattr(file_lock, "LOCK_WAIT_S", 0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot, "vendor/beta")
        fd = os.open(tmp_path / "state.json.lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            await pilot.press("enter")
            await wait_until(pilot, lambda: not isinstance(app.screen, DisableDialog))
            await wait_until(pilot, lambda: any("locked by another process" in str(n.message)
                                                for n in app._notifications), what="the toast")
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        assert dialog.model == "vendor/beta" and engine.status("vendor/beta").status != "disabled"
        assert cell(app, "vendor/beta", "status") != "✕ disabled"
        dialog = await open_dialog(pilot, "vendor/beta")  # the lock is free again: the same key works
        await pilot.press("enter")
        await wait_until(pilot, lambda: engine.status("vendor/beta").status == "disabled")
