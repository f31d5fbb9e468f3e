"""A quiet screen: automatic events go to the event log and the status line (the
models panel's bottom edge), never to toasts; toasts only for the user's own actions and for
"every model of the group is out"."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widgets._toast import Toast

from tui.app import TOAST_TEXT_WIDTH, TOAST_TEXT_WIDTH_NARROW

from tui.engine.api import ModelFallback
from tui.engine.sim import Sequence, Unavailable
from tui.widgets.status_line import SHOW_SECONDS

from tui_helpers import FAST, SECRET, Toasts, answer_done, app_for, log_lines, send, sim_engine, wait_until


def status_line(app) -> str:
    return app.main.status_line.text


async def test_automatic_disable_and_recovery_never_toast(tmp_path, monkeypatch):
    engine = sim_engine(tmp_path, {"vendor/alpha": Sequence([Unavailable(), FAST])})
    app = app_for(engine, tmp_path)
    toasts = Toasts(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, "hello")
        await answer_done(pilot)  # alpha 503 → out 0:10 (failover), beta answers
        await pilot.pause()  # the chat's own log messages land, each followed by a tick
        app.main.tick()
        assert engine.status("vendor/alpha").status == "disabled"
        assert any("alpha out for 0:10: unavailable" in line for line in log_lines(app))
        # the failover, then alpha's cooldown, then the answer went to the status line, in that order:
        # it shows the last and counts the two it replaced
        assert status_line(app) == "· answered by beta in main after 1 other attempt(s)  (+2 more · ctrl+l log)"
        assert "answered by beta" in str(app.main.models.border_subtitle)
        # the cooldown ends: probing, a half-open trial, recovered: all told, none toasted
        engine.clock.advance(10)
        app.main.tick()
        await wait_until(pilot, lambda: engine.status("vendor/alpha").status == "healthy", what="the trial")
        app.main.tick()
        assert any("alpha recovered: healthy" in line for line in log_lines(app))
        assert "alpha recovered: healthy" in status_line(app)
        assert toasts.messages == []
        assert not app.screen.query(Toast)
        # the line is brief: gone once its time is up (on the engine's clock), the log keeps it
        engine.clock.advance(SHOW_SECONDS)
        app.main.tick()
        assert status_line(app) == "" and not app.main.models.border_subtitle
        assert any("alpha recovered" in line for line in log_lines(app))


async def test_changes_made_elsewhere_go_to_the_status_line(tmp_path, monkeypatch):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    toasts = Toasts(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        other = ModelFallback(engine.config, state_path=tmp_path / "state.json", clock=engine.clock,
                              env={"SIM_KEY": SECRET})
        other.disable("vendor/beta", 120, "maintenance")
        app.main.tick()
        await pilot.pause()
        assert "vendor/beta disabled elsewhere for 2:00: maintenance" in status_line(app)
        other.enable("vendor/beta")
        app.main.tick()
        assert "vendor/beta enabled elsewhere" in status_line(app)
        assert "(+1 more · ctrl+l log)" in status_line(app)  # the disable it replaced is counted
        assert toasts.messages == []
        await other.aclose()


async def test_the_users_own_actions_toast(tmp_path, monkeypatch):
    engine = sim_engine(tmp_path, {"vendor/gamma": Unavailable()})
    app = app_for(engine, tmp_path)
    toasts = Toasts(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        main.models.focus()
        main.models.select_model("vendor/beta")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause(0.2)
        await pilot.press("enter")  # the dialog's default: 5m
        await wait_until(pilot, lambda: engine.status("vendor/beta").status == "disabled")
        assert toasts.texts[-1] == "Disabled vendor/beta for 5m"
        await pilot.press("e")
        await pilot.pause()
        assert toasts.texts[-1] == "Enabled vendor/beta"
        await pilot.press("c")
        await wait_until(pilot, lambda: toasts.texts[-1].startswith("Check beta"), what="the check's toast")
        assert toasts.texts[-1].startswith("Check beta: ok in")
        assert "checking beta …" in status_line(app)  # progress goes to the line, the result toasts
        await pilot.press("a")
        await wait_until(pilot, lambda: toasts.texts[-1].startswith("Checked 3 models"), what="check all")
        assert toasts.messages[-1] == ("Checked 3 models: 2 ok, 1 failed", "warning")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert toasts.texts[-1].startswith("Conversation saved to ")
        # gamma went out through the user's own check: that is a result, not a second toast
        assert not any("gamma out for" in text for text in toasts.texts)


async def test_every_model_out_toasts_once(tmp_path, monkeypatch):
    engine = sim_engine(tmp_path, {m: Unavailable() for m in ("vendor/alpha", "vendor/beta", "vendor/gamma")})
    app = app_for(engine, tmp_path)
    toasts = Toasts(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, "anyone?")
        await answer_done(pilot)
        for _ in range(3):
            app.main.tick()
        all_out = [m for m in toasts.messages if m[0].startswith("Every model of main is out")]
        assert all_out == [("Every model of main is out. First back: alpha in 0:10.", "error")]
        assert len(toasts.messages) == 1  # the three cooldowns themselves never toast
        # one comes back (a manual enable): the next time all are out, it is told again
        app.main.action_enable_model("vendor/alpha")
        app.main.tick()
        app.main.disable("vendor/alpha", None)
        app.main.tick()
        assert sum(1 for text in toasts.texts if text.startswith("Every model of main is out")) == 2


async def test_a_due_recheck_runs_from_the_tick_and_is_told_quietly(tmp_path, monkeypatch):
    """The panel's `check due` is kept: the tick starts the engine's rechecks, and what
    a recheck found goes to the log and the status line, not to a toast."""
    engine = sim_engine(tmp_path, {"vendor/alpha": Sequence([Unavailable(), Unavailable(), FAST])})
    app = app_for(engine, tmp_path)
    toasts = Toasts(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello")
        await answer_done(pilot)  # alpha 503 → out 0:10
        engine.clock.advance(10)
        app.main.tick()  # probing: its trial fails → out 0:20, trip 2
        await wait_until(pilot, lambda: engine.status("vendor/alpha").trips == 2, what="the failed trial")
        app.main.tick()
        row = engine.status("vendor/alpha")
        assert row.status == "disabled" and row.next_check_s and row.remaining_s > row.next_check_s
        engine.clock.advance(row.next_check_s)
        app.main.tick()  # the recheck is due before the cooldown ends: it runs, passes, alpha is back
        await wait_until(pilot, lambda: engine.status("vendor/alpha").status == "healthy", what="the recheck")
        # the worker logs what it found once the engine's call returns: wait for the line itself
        await wait_until(pilot, lambda: any("recheck alpha: ok" in line for line in log_lines(app)),
                         what="the recheck's log line")
        app.main.tick()
        assert "alpha recovered: healthy" in status_line(app)
        assert toasts.messages == []


LONG_IDS = ["meta-llama/llama-3.1-8b-instruct", "openai/gpt-4-turbo", "mistralai/mixtral-8x22b-instruct-v0.1"]


def toast_lines(app) -> list[list[str]]:
    """The text lines each toast on screen shows, as drawn (edge and padding stripped)."""
    shown = []
    for toast in app.screen.query(Toast):
        strips = toast.render_lines(Region(0, 0, *toast.region.size))
        shown.append([line for line in ("".join(s.text for s in strip).strip(" ▌▎▊") for strip in strips) if line])
    return shown


@pytest.mark.parametrize("size, width", [((80, 24), TOAST_TEXT_WIDTH_NARROW), ((120, 40), TOAST_TEXT_WIDTH)])
async def test_toasts_never_split_a_model_name(tmp_path, size, width):
    """A toast wraps at spaces, and a word too long for it breaks after its `/`: every model's
    name (`llama-3.1-8b-instruct`) stays whole on one line, at 80×24 and wider."""
    engine = sim_engine(tmp_path, {}, {"main": LONG_IDS})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=size, notifications=True) as pilot:
        for model in LONG_IDS:
            app.main.disable(model, 300, "flaky")
        shown = lambda: [toast for toast in app.screen.query(Toast) if toast.size.width]  # noqa: E731
        await wait_until(pilot, lambda: len(shown()) > len(LONG_IDS), what="the toasts laid out")
        toasts = toast_lines(app)[:len(LONG_IDS)]  # then "every model of main is out"
        assert {toast.size.width for toast in shown()} == {width}  # the width the app breaks words for
        for model, lines in zip(LONG_IDS, toasts, strict=True):
            name = model.split("/")[1]
            assert any(name in line for line in lines), (name, lines)
            assert "".join(lines).replace(" ", "") == f"Disabled{model}for5m:flaky"
