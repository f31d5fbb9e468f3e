"""Apps and Pilot scripts for the snapshot tests: frozen clock, scripted providers, no toasts."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from tui.app import make_app
from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.config.loader import load_config
from tui.engine.config.paths import default_config_path
from tui.engine.sim import CutMidStream, Healthy, SimulatorTransport, Unavailable
from tui.engine.sim.demo import demo_catalog

QUICK = Healthy(ttft=0.01, tokens_per_s=3000, answer_tokens=40)


def engine(tmp: Path, scripts: dict | None = None, *, demo: bool = True, priced: bool = False) -> ModelFallback:
    """The packaged groups.yaml on a frozen clock; `scripts=None` plays the demo's own script;
    `priced`: the provider publishes the demo's prices, so answers report a cost. Scripted or not,
    the provider lists the demo's models (a model it did not list would be "not found")."""
    clock = FakeClock()
    catalog = demo_catalog()
    if not priced:
        catalog = {model: replace(item, prompt_price=None, completion_price=None) for model, item in catalog.items()}
    transport = None if scripts is None else SimulatorTransport(scripts, default=QUICK, clock=clock, catalog=catalog)
    return ModelFallback(load_config(default_config_path()), state_path=tmp / "state.json", clock=clock,
                         transport=transport, demo=demo)


def app(tmp: Path, eng: ModelFallback, **options):
    return make_app(eng, config_dir=tmp / "config", export_dir=tmp / "exports", background=False, **options)


async def until(pilot, predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)


async def quiet(pilot) -> None:
    """One tick, no toasts, everything rendered."""
    pilot.app.main.tick()
    pilot.app.clear_notifications()
    await pilot.pause()
    await pilot.pause(0.1)


async def checked(pilot) -> None:
    """Every model probed once (results arrive on the frozen clock: 0 ms, checked 0s ago)."""
    await pilot.app.engine.check(None, force=True)
    await quiet(pilot)


async def chat(pilot, prompt: str) -> None:
    main = pilot.app.main
    main.chat.prompt.focus()  # as tests/tui's send(): the focus may not have landed yet
    await pilot.pause()
    main.chat.prompt.value = prompt
    await pilot.press("enter")
    await until(pilot, lambda: main.chat.query(".answer") and not main.chat.busy)
    await pilot.pause(0.2)
    await quiet(pilot)


def failover_engine(tmp: Path, *, priced: bool = False) -> ModelFallback:
    """claude-3.5-sonnet answers 503, gpt-4-turbo is disabled by hand, deepseek-coder answers."""
    eng = engine(tmp, {"anthropic/claude-3.5-sonnet": Unavailable()}, priced=priced)
    eng.disable("openai/gpt-4-turbo", 300, "flaky today")
    return eng


def interrupted_engine(tmp: Path) -> ModelFallback:
    """claude-3.5-sonnet answers 503; gpt-4-turbo is cut off after 18 tokens; deepseek-coder answers."""
    return engine(tmp, {
        "anthropic/claude-3.5-sonnet": Unavailable(),
        "openai/gpt-4-turbo": CutMidStream(after_tokens=18, ttft=0.01, tokens_per_s=3000),
        "deepseek/deepseek-coder": Healthy(ttft=0.01, tokens_per_s=3000, answer_tokens=30),
    })


def with_health(eng: ModelFallback, fields: dict[str, dict]) -> ModelFallback:
    """`eng.statuses()` reports these `next_check_s` / `uptime` values, whatever the engine fills in."""
    real = eng.statuses
    eng.statuses = lambda: [replace(row, **fields.get(row.model, {})) for row in real()]
    return eng


def health_engine(tmp: Path) -> ModelFallback:
    """The demo's models with the new health fields: claude-3.5-sonnet out automatically (503) with
    its next recheck in 0:09, gpt-4-turbo out by hand (no recheck: a check never lifts a manual
    disable), mistral out with a recheck due now, and the provider's uptime for every model but
    llama (none reported)."""
    eng = engine(tmp, {"anthropic/claude-3.5-sonnet": Unavailable(), "mistralai/mistral-7b-instruct": Unavailable()})
    eng.disable("openai/gpt-4-turbo", 300, "flaky today")
    uptimes = {"anthropic/claude-3.5-sonnet": 61.7, "openai/gpt-4-turbo": 99.1, "deepseek/deepseek-coder": 99.6,
               "anthropic/claude-3-haiku": 99.8, "openai/gpt-3.5-turbo": 100.0, "mistralai/mistral-7b-instruct": 93.4}
    checks = {"anthropic/claude-3.5-sonnet": 9.0, "mistralai/mistral-7b-instruct": 0.0}
    fields = {model: {"uptime": uptimes.get(model), "next_check_s": checks.get(model)} for model in eng.config.models}
    return with_health(eng, fields)
