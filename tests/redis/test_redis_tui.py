"""The TUI on a shared Redis state: another machine's disable shows within 2 s; an offline start says so.

The app is built as in tests/tui (simulated provider, no background sweeps); the other machine is a
real `modelfallback disable` process with its own user state dir.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from redis_kit import KEY, MODELS, PASSWORD, run_cli, write_config
from redis_server import free_port
from tui.app import make_app
from tui.engine.api import ModelFallback
from tui.engine.config.loader import load_config
from tui.engine.sim import Healthy, SimulatorTransport


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch):
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)  # the prompt


def _app(tmp_path: Path, url: str):
    config = load_config(write_config(tmp_path / "tui-config", MODELS, "http://sim.invalid/v1"))
    transport = SimulatorTransport({}, default=Healthy(ttft=0.001, tokens_per_s=5000, answer_tokens=8))
    engine = ModelFallback(config, state_path=url, transport=transport, env={"MF_REDIS_KEY": KEY})
    return make_app(engine, config_dir=tmp_path / "config", export_dir=tmp_path / "exports", background=False)


def _cell(app, model: str, column: str) -> str:
    value = app.main.models.get_cell(model, column)
    return getattr(value, "plain", str(value))


def _visible(svg: str) -> str:
    return svg + html.unescape(re.sub(r"<[^>]+>", "", svg))


async def test_a_disable_made_on_another_machine_shows_within_two_seconds(url: str, tmp_path: Path) -> None:
    app = _app(tmp_path, url)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        assert app.main.engine.store.offline is None
        assert "disabled" not in _cell(app, "vendor/beta", "status")
        out = await asyncio.to_thread(run_cli, tmp_path, url, "disable", "vendor/beta", "--reason", "from B",
                                      machine="b")
        assert out.returncode == 0, out.stderr
        done = time.monotonic()  # the change was in Redis before that process exited
        while "disabled" not in _cell(app, "vendor/beta", "status"):
            assert time.monotonic() - done < 2.0, "the TUI did not show the other machine's disable within 2 s"
            await pilot.pause(0.05)
        assert _cell(app, "vendor/beta", "note") == "manual · from B"
        assert PASSWORD not in _visible(app.export_screenshot())


async def test_a_tui_started_while_redis_is_down_says_the_shared_state_is_offline(tmp_path: Path,
                                                                                  monkeypatch) -> None:
    gone = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0?prefix=tui"
    app = _app(tmp_path, gone)
    told: list[str] = []
    notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **kw: told.append(message) or notify(message, **kw))
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        assert any(m.startswith("shared state offline (cannot reach redis://***@127.0.0.1:") for m in told), told
        app.main.engine.disable("vendor/alpha", 60)  # still works, on the local file
        app.main.tick()
        await pilot.pause()
        assert "disabled" in _cell(app, "vendor/alpha", "status")
        assert PASSWORD not in _visible(app.export_screenshot())
    assert all(PASSWORD not in m for m in told)
