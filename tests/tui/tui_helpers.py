"""Building blocks for the TUI tests: a small config, a simulated engine, an app, polling."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from collections.abc import Callable

from tui.app import make_app
from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.config.loader import load_config
from tui.engine.sim import Healthy, SimulatorTransport

SECRET = "sk-test-0123456789abcdefghijklmnop"  # a key-shaped value that must never be shown
FAST = Healthy(ttft=0.01, tokens_per_s=2000, answer_tokens=24)

GROUPS_YAML = """\
providers:
  sim:
    base_url: http://sim.invalid/v1
    api_key_env: SIM_KEY
default_provider: sim
groups:
{groups}
policy: {{cooldown: {{base: 10s, factor: 2, max: 5m}}, manual_disable: 5m, retry_after_wait: 2s,
         ttft_timeout: 5s, stall_timeout: 5s}}
health: {{interval: 2m, timeout: 3s, probe: completion}}
"""


def write_config(folder: Path, groups: dict[str, list[str]]):
    lines = "\n".join(f"  {name}: [{', '.join(models)}]" for name, models in groups.items())
    path = folder / "groups.yaml"
    path.write_text(GROUPS_YAML.format(groups=lines), encoding="utf-8")
    return load_config(path)


def sim_engine(tmp_path: Path, scripts: dict, groups: dict[str, list[str]] | None = None, *,
               clock: FakeClock | None = None, state: str = "state.json", catalog: dict | None = None) -> ModelFallback:
    """An engine whose provider is a SimulatorTransport playing `scripts` (fast healthy default);
    `catalog` (model -> Listing) is what the provider publishes, prices included."""
    groups = groups or {"main": ["vendor/alpha", "vendor/beta", "vendor/gamma"]}
    config = write_config(tmp_path, groups)
    clock = clock or FakeClock()
    transport = SimulatorTransport(scripts, default=FAST, clock=clock, catalog=catalog)
    return ModelFallback(config, state_path=tmp_path / state, clock=clock, transport=transport,
                         env={"SIM_KEY": SECRET})


def app_for(engine: ModelFallback, tmp_path: Path, **options):
    """The app with everything injectable pointed into tmp_path and no background sweeps."""
    options.setdefault("config_dir", tmp_path / "config")
    options.setdefault("export_dir", tmp_path / "exports")
    options.setdefault("background", False)
    return make_app(engine, **options)


async def wait_until(pilot, predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Poll with pilot.pause() until `predicate()` is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.02)


async def send(pilot, text: str) -> None:
    """Type a prompt into the (focused) prompt input and press Enter."""
    app = pilot.app
    app.main.chat.prompt.focus()
    await pilot.pause()
    app.main.chat.prompt.value = text
    await pilot.press("enter")


async def answer_done(pilot, timeout: float = 10.0) -> None:
    chat = pilot.app.main.chat
    await wait_until(pilot, lambda: chat.query(".answer") and not chat.busy, timeout, "the answer to finish")
    await pilot.pause()


def cell(app, model: str, column: str) -> str:
    """The plain text of one models-table cell."""
    value = app.main.models.get_cell(model, column)
    return getattr(value, "plain", str(value))


def log_lines(app) -> list[str]:
    return list(app.main.event_log.lines_written)


async def settle(pilot) -> None:
    await pilot.pause()
    await asyncio.sleep(0)
    await pilot.pause()


class Toasts:
    """Records the app's notifications (`app.notify`), so a test can say which ones were shown."""

    def __init__(self, app, monkeypatch) -> None:
        self.messages: list[tuple[str, str]] = []  # (text, severity)
        real = app.notify

        def notify(message, **kwargs):
            self.messages.append((str(message), kwargs.get("severity", "information")))
            return real(message, **kwargs)

        monkeypatch.setattr(app, "notify", notify)

    @property
    def texts(self) -> list[str]:
        return [text for text, _ in self.messages]

    def clear(self) -> None:
        self.messages.clear()


def with_health(engine, fields: dict[str, dict]) -> None:
    """Make `engine.statuses()` report extra health fields (`next_check_s`, `uptime`) per model,
    whatever the engine itself fills in: the panel is tested on the values, not on their source."""
    from dataclasses import replace

    real = engine.statuses
    engine.statuses = lambda: [replace(row, **fields.get(row.model, {})) for row in real()]


def header(app) -> str:
    return app.main.status_bar.content.plain
