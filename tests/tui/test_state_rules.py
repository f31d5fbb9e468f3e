"""The TUI on a state or a setup a new user may meet: a bad entry in the state file, a reason with
escape codes, a model without its key."""

from __future__ import annotations

import json

from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.sim import SimulatorTransport
from tui.engine.state.status import ModelStatus
from tui.wording.events import all_out_text

from tui_helpers import FAST, Toasts, app_for, cell, log_lines, wait_until, write_config

MODELS = ["vendor/alpha", "vendor/beta", "vendor/gamma"]


async def test_a_bad_entry_never_empties_the_models_table(tmp_path, monkeypatch) -> None:
    now = FakeClock().wall()
    (tmp_path / "state.json").write_text(json.dumps({"version": 1, "models": {
        "vendor/alpha": {"disabled": {"source": "manual", "until": "NaN", "kind": 5}},
        "vendor/beta": {"disabled": {"source": "manual", "kind": "manual", "since": now, "until": None,
                                     "reason": "\x1b[31mRED\x1b[0m\nsecond line"}},
        "vendor/gamma": {"disabled": {"source": "manual", "until": 1e308}}}}))
    config = write_config(tmp_path, {"main": MODELS})
    clock = FakeClock()
    engine = ModelFallback(config, state_path=tmp_path / "state.json", clock=clock,
                           transport=SimulatorTransport({}, default=FAST, clock=clock), env={"SIM_KEY": "k-123456"})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        table = app.main.models
        await wait_until(pilot, lambda: table.row_count == 3, what="three rows")
        assert cell(app, "vendor/beta", "out") == "until enabled"
        note = cell(app, "vendor/beta", "note")
        assert "\x1b" not in note and "\n" not in note and "\\x1b[31mRED" in note
        assert "disabled" not in cell(app, "vendor/alpha", "status")
        assert "disabled" not in cell(app, "vendor/gamma", "status")
        warnings = [line for line in log_lines(app) if "ignored models[" in line]
        assert len(warnings) == 2


async def test_enable_on_a_model_without_its_key_says_why(tmp_path, monkeypatch) -> None:
    config = write_config(tmp_path, {"main": MODELS})
    clock = FakeClock()
    engine = ModelFallback(config, state_path=tmp_path / "state.json", clock=clock,
                           transport=SimulatorTransport({}, default=FAST, clock=clock), env={})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        toasts = Toasts(app, monkeypatch)
        app.main.models.focus()
        app.main.models.select_model("vendor/beta")
        await pilot.pause()
        await pilot.press("e")
        await wait_until(pilot, lambda: toasts.texts, what="a toast")
        assert toasts.texts == ["vendor/beta is not disabled; it has no key: $SIM_KEY is not set: export SIM_KEY=…"]
        assert "$SIM_KEY is not set: export SIM_KEY=…" in cell(app, "vendor/beta", "note")


def _row(model: str, status: str, key_env: str | None = None, remaining: float | None = None) -> ModelStatus:
    return ModelStatus(model, "sim", status, None, None, None, None, None, remaining_s=remaining, key_env=key_env)


def test_the_all_out_advice_names_the_missing_key_and_never_offers_to_enable_a_no_key_model() -> None:
    no_keys = [_row("vendor/alpha", "no key", "SIM_KEY"), _row("vendor/beta", "no key", "SIM_KEY")]
    text = all_out_text("main", no_keys)
    assert text == "Every model of main is out, and none comes back by itself: set SIM_KEY (export SIM_KEY=…)."
    mixed = [_row("vendor/alpha", "disabled"), _row("vendor/beta", "no key", "OTHER_KEY")]
    assert all_out_text("main", mixed).endswith("enable alpha (e) or set OTHER_KEY (export OTHER_KEY=…).")
