"""80×24 and wider, the health fields in the models panel (the next recheck, the provider's
uptime) and "shared state offline" in the header."""

from __future__ import annotations

import pytest
from textual.widgets._toast import Toast

from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.config.loader import load_config
from tui.engine.config.paths import default_config_path
from tui.engine.sim import Unavailable

from tui_helpers import Toasts, answer_done, app_for, cell, header, log_lines, send, sim_engine, wait_until

DEMO_MODELS = ["claude-3.5-sonnet", "gpt-4-turbo", "deepseek-coder", "claude-3-haiku", "gpt-3.5-turbo",
               "llama-3.1-8b-instruct", "mistral-7b-instruct"]


def demo_engine(tmp_path) -> ModelFallback:
    return ModelFallback(load_config(default_config_path()), demo=True, clock=FakeClock(),
                         state_path=tmp_path / "state.json")


def columns(app) -> list[str]:
    return [str(key.value) for key in app.main.models.columns]


def fits(table) -> bool:
    """Every column and every row inside the panel: no horizontal scrolling, nothing hidden."""
    region = table.scrollable_content_region
    return table.virtual_size.width <= region.width and table.virtual_size.height <= region.height


async def test_80x24_keeps_status_model_and_countdown_and_every_row(tmp_path, monkeypatch):
    engine = demo_engine(tmp_path)
    engine.disable("anthropic/claude-3-haiku", 300, "flaky")
    app = app_for(engine, tmp_path)
    toasts = Toasts(app, monkeypatch)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        table = app.main.models
        assert columns(app) == ["status", "model", "out", "note"]
        assert fits(table) and table.row_count == 7
        # the vendor prefixes differ, but the short names are unique: shown as everywhere else
        assert [cell(app, str(key.value), "model") for key in table.rows] == DEMO_MODELS
        assert cell(app, "anthropic/claude-3-haiku", "out") == "5:00 █████"
        assert cell(app, "anthropic/claude-3-haiku", "note") == "manual · flaky"
        assert cell(app, "anthropic/claude-3-haiku", "status") == "✕ disabled"
        # a toast (the user's export) never sits on the models table, the prompt or the header
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.query(Toast), what="the toast")
        await pilot.pause()
        assert toasts.texts[-1].startswith("Conversation saved")
        app.notify("a start-up problem told at length: " + "words " * 60, severity="warning")  # a long one
        await wait_until(pilot, lambda: len(app.screen.query(Toast)) == 2, what="two toasts")
        await pilot.pause()
        for toast in app.screen.query(Toast):
            shown = toast.region
            assert shown.height and shown.bottom <= table.region.y  # however long the message
            assert not shown.overlaps(app.main.chat.region)
            assert not shown.overlaps(app.main.status_bar.region)
            assert shown.right <= app.main.groups_panel.region.right


@pytest.mark.parametrize("size, expected", [
    ((80, 24), ["status", "model", "out", "note"]),
    ((100, 30), ["status", "model", "out", "ok", "note"]),
    ((120, 40), ["status", "model", "out", "p50", "ok", "checked", "note"]),
    ((160, 45), ["status", "model", "out", "last", "p50", "ok", "checked", "note"]),
])
async def test_columns_by_width(tmp_path, size, expected):
    app = app_for(demo_engine(tmp_path), tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert columns(app) == expected
        assert fits(app.main.models)
        full_ids = size[0] >= 100
        assert cell(app, "openai/gpt-4-turbo", "model") == ("openai/gpt-4-turbo" if full_ids else "gpt-4-turbo")


async def test_resizing_replans_the_columns_and_keeps_the_selection(tmp_path):
    app = app_for(demo_engine(tmp_path), tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        table = app.main.models
        table.select_model("openai/gpt-3.5-turbo")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert columns(app) == ["status", "model", "out", "note"]
        assert table.selected_model == "openai/gpt-3.5-turbo"
        assert cell(app, "openai/gpt-3.5-turbo", "status") == "? unknown"  # cells refilled at once
        await pilot.resize_terminal(160, 45)
        await pilot.pause()
        assert "last" in columns(app) and table.selected_model == "openai/gpt-3.5-turbo"


async def test_a_shared_vendor_prefix_goes_when_the_width_needs_it(tmp_path):
    long = ["acme-research/assistant-large-2025-01-preview", "acme-research/assistant-small-2025-01-preview"]
    app = app_for(sim_engine(tmp_path, {}, {"main": long}), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert cell(app, long[0], "model") == "assistant-large-2025-01-preview"
        assert {"status", "model", "out", "note"} <= set(columns(app))
        assert fits(app.main.models)
        await pilot.resize_terminal(160, 45)
        await pilot.pause()
        assert cell(app, long[0], "model") == long[0][:35] + "…"  # full ids, clipped at 36
        # short ids keep their prefix at 80 columns: there is room
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert cell(app, long[1], "model") == "assistant-small-2025-01-preview"


# -- the next recheck and the provider's uptime ----------------------------------------------------
async def test_next_check_and_uptime_cells(tmp_path):
    from tui_helpers import with_health

    engine = sim_engine(tmp_path, {"vendor/alpha": Unavailable()})
    health = {"vendor/alpha": {"next_check_s": 9.0}, "vendor/beta": {}, "vendor/gamma": {}}
    with_health(engine, health)
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        assert "uptime" not in columns(app)  # no provider reported one: no empty column
        await send(pilot, "hi")
        await answer_done(pilot)  # alpha 503 → out 0:10
        app.main.tick()
        assert cell(app, "vendor/alpha", "out") == "0:10 █████ check in 0:09"
        health["vendor/alpha"]["next_check_s"] = 0.0
        app.main.tick()
        assert cell(app, "vendor/alpha", "out") == "0:10 █████ check due"
        health["vendor/alpha"].update(next_check_s=4.2, uptime=61.7)
        health["vendor/beta"]["uptime"] = 99.96
        app.main.tick()
        await pilot.pause()
        assert columns(app)[-2:] == ["uptime", "note"]
        assert cell(app, "vendor/alpha", "uptime") == "61.7%"
        assert cell(app, "vendor/beta", "uptime") == "100%"
        assert cell(app, "vendor/gamma", "uptime") == "—"
        assert cell(app, "vendor/alpha", "out") == "0:10 █████ check in 0:05"
        # 80×24: uptime is the first column to go; the countdown keeps its check, without the bar
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "uptime" not in columns(app) and "last" not in columns(app)
        assert cell(app, "vendor/alpha", "out") == "0:10 · check in 0:05"
        engine.clock.advance(4)
        health["vendor/alpha"]["next_check_s"] = 0.2
        app.main.tick()
        assert cell(app, "vendor/alpha", "out") == "0:06 · check in 0:01"


# -- shared state offline ---------------------------------------------------------------------------
class OfflineStore:
    """The engine's store, saying it cannot reach the shared state (as a Redis store would)."""

    def __init__(self, store) -> None:
        self._store = store
        self.offline: str | None = None

    def __getattr__(self, name):
        return getattr(self._store, name)


async def test_shared_state_offline_in_the_header_never_toasted(tmp_path, monkeypatch):
    engine = sim_engine(tmp_path, {})
    store = engine.store = OfflineStore(engine.store)
    app = app_for(engine, tmp_path)
    toasts = Toasts(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        assert "offline" not in header(app)
        store.offline = "redis://:hunter2@10.0.0.5:6379/0 unreachable: connection refused"
        for _ in range(5):
            app.main.tick()
        await pilot.pause()
        text = header(app)
        assert "⚠ shared state offline: redis://***@10.0.0.5:6379/0 unreachable: connection refused" in text
        assert "main → alpha" in text
        assert "hunter2" not in app.export_screenshot() and all("hunter2" not in line for line in log_lines(app))
        assert sum("shared state offline" in line for line in log_lines(app)) == 1  # once, not per tick
        store.offline = "redis://:hunter2@10.0.0.5:6379/0 unreachable: timed out (retry 2)"
        app.main.tick()
        assert "timed out (retry 2)" in header(app)
        assert sum("shared state offline" in line for line in log_lines(app)) == 1
        # 80 columns: the group and the warning stay, a long reason is cut
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        text = header(app)
        assert text.startswith(" main → alpha  │ ⚠ shared state offline: redis://***@") and text.endswith("…")
        assert len(text) <= 80
        store.offline = None
        app.main.tick()
        assert "offline" not in header(app)
        assert "shared state back online" in app.main.status_line.text
        assert toasts.messages == []
