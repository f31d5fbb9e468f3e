"""The child-process side of the TUI benchmarks: one app per fresh interpreter, JSON on stdout.

    python -m benchmarks.tui_harness MODE [--base-url URL] [--seconds S] [--turns N] ...

Modes:
  start-minimal  a minimal Textual app (Header, DataTable, Markdown, Input, Footer) to first screen
  start-app      modelfallback's app as the command line builds it (`cli_app`) to first screen
  start-app-nochats  the same with `--no-history` (the saved chats' rows compare the two)
  chats-screen   ctrl+o until the chats screen shows its rows, --turns times
  rss-minimal    RSS of the minimal app once it is up
  idle           modelfallback's app with 100 models, 50 running countdowns, probes off: CPU share
  idle-minimal   the minimal app idle (its Input focused, as ours is): CPU share
  stream         one answer of many tokens from the loopback server (`tui_stream.py`): intake rate,
                 when it is all on screen, and with --typing the latency of key presses meanwhile
  keys-idle      the same key presses into the app with nothing streaming
  memory         RSS once up, then after N answered turns from the loopback server

"First screen" is Textual's `Ready` event, which the screen posts after its first layout and
compositor refresh. Times are counted from the first line of this module, before Textual or the
app is imported, so import cost is included for both apps alike. Runs headless.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # noqa: E402 - before any heavy import, on purpose

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks.common import BENCH_KEY, BENCH_KEY_ENV, cpu_seconds, rss_mb, write_groups_yaml  # noqa: E402

SIZE = (160, 50)


def emit(data: dict) -> None:
    print(json.dumps(data), flush=True)


def isolate(folder: Path) -> None:
    """No user config, themes, settings, state or caches: everything under `folder`."""
    os.environ["XDG_CONFIG_HOME"] = str(folder / "xdg-config")
    os.environ["XDG_STATE_HOME"] = str(folder / "xdg-state")
    os.environ["XDG_CACHE_HOME"] = str(folder / "xdg-cache")
    os.environ["XDG_DATA_HOME"] = str(folder / "xdg-data")  # the saved chats
    os.environ[BENCH_KEY_ENV] = BENCH_KEY
    for name in ("MODELFALLBACK_CONFIG", "MODELFALLBACK_STATE", "TEXTUAL_THEME"):
        os.environ.pop(name, None)


# -- the two apps --------------------------------------------------------------------------------

def minimal_app_class():
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header, Input, Markdown

    class MinimalApp(App):
        def compose(self):
            yield Header()
            yield DataTable()
            yield Markdown("# Hello\n\nA *minimal* app.")
            yield Input(placeholder="prompt")
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("model", "status")
            table.add_row("vendor/model", "healthy")

        def on_ready(self) -> None:
            self.ready_at = time.perf_counter()

    return MinimalApp


def our_app(folder: Path, base_url: str, groups: dict[str, list[str]], *, health: str = "",
            background: bool = True):
    """modelfallback's app the way the CLI builds it: groups.yaml through the loader, a state file, saved chats."""
    from tui.app import ModelFallbackApp
    from tui.engine.api import ModelFallback
    from tui.engine.config.loader import load_config

    class BenchApp(ModelFallbackApp):
        def on_ready(self) -> None:
            self.ready_at = time.perf_counter()

    from tui.engine.history import ChatHistory

    config = load_config(write_groups_yaml(folder, base_url, groups, health=health))
    engine = ModelFallback(config, state_path=folder / "state.json")
    history = ChatHistory(folder / "chats.sqlite3", time.time)  # saved chats on, as by default: turns are written
    return engine, BenchApp(engine, config_dir=folder / "config", settings_path=folder / "settings.json",
                            export_dir=folder / "exports", background=background, history=history)


DEMO_GROUPS = {
    "coding": ["anthropic/claude-3.5-sonnet", "openai/gpt-4-turbo", "deepseek/deepseek-coder"],
    "fast": ["anthropic/claude-3-haiku", "openai/gpt-3.5-turbo", "meta-llama/llama-3.1-8b-instruct"],
    "cheap": ["meta-llama/llama-3.1-8b-instruct", "mistralai/mistral-7b-instruct"],
}
NOWHERE = "http://127.0.0.1:9/v1"  # the discard port: nothing listens, so nothing leaves the machine


async def until_ready(app, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while getattr(app, "ready_at", None) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("the app never became ready")
        await asyncio.sleep(0.001)
    return app.ready_at


# -- modes ---------------------------------------------------------------------------------------

def cli_app(folder: Path, chats: bool = True):
    """modelfallback's app exactly as `modelfallback` (no subcommand) builds it: the command line
    parsed, the engine from `ModelFallback.from_files` (the config cache included), `make_app`
    with the user's config dir. The groups.yaml is written once per folder, so a folder kept
    between runs starts as a returning user does (the config cache warm, like the bytecode)."""
    config = folder / "groups.yaml"
    if not config.exists():
        write_groups_yaml(folder, NOWHERE, DEMO_GROUPS)
    for name in ("state.json", "state.json.lock"):  # the models' state as on a first start (nothing
        (folder / name).unlink(missing_ok=True)   # down from an earlier run's probes of nowhere)
    from tui.cli.common import open_engine
    from tui.cli.parser import build_parser

    args = build_parser().parse_args(["--config", str(config), "--state", str(folder / "state.json"),
                                      *([] if chats else ["--no-history"])])
    engine = open_engine(args)
    from tui.app import make_app
    from tui.cli.interactive import open_history

    return make_app(engine, theme=args.theme, history=open_history(engine, args.no_history))


async def mode_start(which: str, folder: Path) -> dict:
    from textual import events

    app = minimal_app_class()() if which == "minimal" else cli_app(folder, chats=which != "app-nochats")
    imported = time.perf_counter()
    ready: list[float] = []

    def hook(message) -> None:  # when Ready is handled, as an on_ready handler would be called
        if isinstance(message, events.Ready) and not ready:
            ready.append(time.perf_counter())

    async with app.run_test(headless=True, size=SIZE, message_hook=hook) as pilot:
        while not ready:
            await asyncio.sleep(0.001)
        await pilot.pause()
        rss = rss_mb()
    return {"ready_ms": (ready[0] - T0) * 1000, "import_ms": (imported - T0) * 1000, "rss_mb": rss}


async def mode_chats_screen(folder: Path, times: int) -> dict:
    """ctrl+o, timed until the chats screen is drawn with every saved chat's row; Esc; `times` times."""
    from tui.screens.chats import ChatsScreen, screen_name

    app = cli_app(folder, chats=True)
    opened: list[float] = []
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await pilot.pause()  # run_test returns once the app is running: the first screen is up after this
        await asyncio.wrap_future(app.history.ready)
        rows = 0
        for _ in range(times):
            name = screen_name(app.history)
            shown = [app.get_screen(name).listings] if app.is_screen_installed(name) else []
            start = time.perf_counter()
            app.main.action_chats()  # what ctrl+o runs (Pilot.press would also wait for the app to go idle)
            screen = app.screen
            while not (isinstance(screen, ChatsScreen) and screen.listings > (shown[0] if shown else 0)):
                await asyncio.sleep(0.001)  # until this opening's list is shown (the screen is kept between)
                screen = app.screen
            drawn = asyncio.Event()  # the next frame: the one with the rows
            screen.call_after_refresh(drawn.set)
            await drawn.wait()
            opened.append((time.perf_counter() - start) * 1000)
            rows = screen.table.row_count
            await pilot.press("escape")
            await pilot.pause()
    return {"open_ms": opened, "rows": rows}


async def mode_idle(folder: Path, seconds: float, settle: float) -> dict:
    models = [f"vendor{i // 10}/model-{i:03d}" for i in range(100)]
    groups = {f"group{g}": models[g * 10:(g + 1) * 10] for g in range(10)}
    engine, app = our_app(folder, NOWHERE, groups, health="{interval: 2m, timeout: 5s, probe: none}")
    for i, model in enumerate(models[::2]):  # 50 running countdowns, 10 to 59 minutes
        engine.disable(model, 600 + 60 * i, reason="benchmark")
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await until_ready(app)
        await pilot.pause()
        await asyncio.sleep(settle)
        shown = sum(1 for m in models if (app.main.models.get_cell(m, "out") or "") != "")
        c0, w0 = cpu_seconds(), time.perf_counter()
        await asyncio.sleep(seconds)
        c1, w1 = cpu_seconds(), time.perf_counter()
        shown_after = [str(app.main.models.get_cell(m, "out")) for m in models[:4:2]]
    return {"cpu_s": c1 - c0, "wall_s": w1 - w0, "cpu_pct": (c1 - c0) / (w1 - w0) * 100,
            "countdowns": shown, "sample": shown_after, "rss_mb": rss_mb()}


async def mode_idle_minimal(seconds: float, settle: float) -> dict:
    """The baseline for idle CPU: the minimal app, its prompt focused (a blinking cursor)."""
    from textual.widgets import Input

    app = minimal_app_class()()
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await until_ready(app)
        app.query_one(Input).focus()
        await pilot.pause()
        await asyncio.sleep(settle)
        c0, w0 = cpu_seconds(), time.perf_counter()
        await asyncio.sleep(seconds)
        c1, w1 = cpu_seconds(), time.perf_counter()
    return {"cpu_s": c1 - c0, "wall_s": w1 - w0, "cpu_pct": (c1 - c0) / (w1 - w0) * 100}


async def mode_memory(folder: Path, base_url: str, turns: int) -> dict:
    engine, app = our_app(folder, base_url, {"main": ["bench/memory"]}, background=False)
    samples: list[tuple[int, float]] = []
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await until_ready(app)
        await pilot.pause()
        start = rss_mb()
        chat = app.main.chat
        for turn in range(turns):
            chat.prompt.value = f"Question number {turn + 1}, please answer at length."
            await pilot.press("enter")
            await pilot.pause()
            while chat.busy or len(chat.history) < 2 * (turn + 1):
                await asyncio.sleep(0.005)
            if (turn + 1) % 10 == 0:
                samples.append((turn + 1, rss_mb()))
        await pilot.pause()
        answers = len(chat.history) // 2
        widgets = sum(1 for _ in app.screen.walk_children())
        end = rss_mb()
    return {"start_mb": start, "end_mb": end, "answers": answers, "widgets": widgets, "samples": samples}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["start-minimal", "start-app", "start-app-nochats", "chats-screen", "idle",
                                         "idle-minimal", "stream", "keys-idle", "memory"])
    parser.add_argument("--typing", action="store_true", help="stream: press a key every 25 ms meanwhile")
    parser.add_argument("--base-url", default=NOWHERE)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--home", help="use (and keep) this folder instead of a fresh one: config, state, caches")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mf-bench-tui-") as tmp:
        folder = Path(args.home or tmp)
        isolate(folder)
        if args.mode.startswith("start-"):
            result = asyncio.run(mode_start(args.mode.split("-", 1)[1], folder))
        elif args.mode == "chats-screen":
            result = asyncio.run(mode_chats_screen(folder, args.turns))
        elif args.mode == "idle":
            result = asyncio.run(mode_idle(folder, args.seconds, args.settle))
        elif args.mode == "idle-minimal":
            result = asyncio.run(mode_idle_minimal(args.seconds, args.settle))
        elif args.mode == "stream":
            from benchmarks.tui_stream import mode_stream

            result = asyncio.run(mode_stream(our_app, until_ready, SIZE, folder, args.base_url, args.typing))
        elif args.mode == "keys-idle":
            from benchmarks.tui_stream import mode_keys_idle

            result = asyncio.run(mode_keys_idle(our_app, until_ready, SIZE, folder, args.seconds))
        else:
            result = asyncio.run(mode_memory(folder, args.base_url, args.turns))
    emit(result)


if __name__ == "__main__":
    sys.exit(main())
