"""The Textual app: a thin shell around the main screen (docs/architecture.md §1).

`make_app(engine, ...)` builds it; the CLI calls it with the engine it opened. The app registers
the themes, restores the remembered one, runs the single 1 Hz ticker, adds the palette commands
and closes the engine's HTTP clients on exit. Everything else lives in the screens and widgets.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Iterable

from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel

from tui.engine.history import HistoryUnavailable
from tui.engine.config.paths import builtin_themes_dir, user_cache_dir, user_config_dir
from tui.screens.main import MainScreen
from tui.screens.serving import Serving
from tui.widgets.chat_pane import warm_up
from tui.wording.breaks import break_long_words
from tui.themes import (
    DEFAULT_THEME, FALLBACK_THEME, failure_summary, load_themes, read_settings, save_setting,
)

if TYPE_CHECKING:
    from tui.engine.api import ModelFallback
    from tui.engine.history import ChatHistory
    from tui.engine.serve.server import LocalServer

STYLES = Path(__file__).parent / "styles"
TICK_SECONDS = 1.0
GC_YOUNG = 5000  # allocations between collections of the youngest generation (Python's default: 700)
# the width of a toast's text: a Toast (app.tcss) is 34 wide, 30 on a narrow screen, less its
# padding (2) and its coloured edge (1); tests/tui/test_quiet.py checks them against a real toast
TOAST_TEXT_WIDTH, TOAST_TEXT_WIDTH_NARROW = 31, 27


class ModelFallbackApp(App):
    """modelfallback's TUI."""

    CSS_PATH = [STYLES / "app.tcss", STYLES / "chat.tcss", STYLES / "dialogs.tcss"]
    TITLE = "modelfallback"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
                Binding("f2", "doctor", "Doctor", show=False, id="app.doctor",
                        tooltip="The setup doctor: every check of keys, models and state, with its fix")]

    def __init__(self, engine: ModelFallback, *, theme: str | None = None, config_dir: Path | None = None,
                 settings_path: Path | None = None, background: bool = True,
                 export_dir: Path | None = None, history: ChatHistory | None = None,
                 server: LocalServer | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.history = history  # the saved chats (None: keep nothing)
        self.serving = None if server is None else Serving(server)  # the local endpoint (--serve)
        self.background = background
        self.export_dir = export_dir
        self.config_dir = config_dir if config_dir is not None else user_config_dir()
        self.settings_path = settings_path if settings_path is not None else self.config_dir / "settings.json"
        self._startup_problems: list[tuple[str, str]] = []  # (message, severity), told once mounted
        self._gc_threshold: tuple[int, ...] | None = None  # the collector's thresholds before ours
        self._apply_themes(theme)

    # -- themes ----------------------------------------------------------------------------------
    def _apply_themes(self, requested: str | None) -> None:
        result = load_themes([builtin_themes_dir(), self.config_dir / "themes"],
                             cache=user_cache_dir() / "themes.json")
        for theme in result.loaded:
            self.register_theme(theme)
        if result.failed:
            self._startup_problems.append((failure_summary(result.failed), "error"))
        remembered = read_settings(self.settings_path).get("theme")
        candidates = [(requested, ""), (remembered if isinstance(remembered, str) else None, "the theme chosen last"),
                      (DEFAULT_THEME, "the default"), (FALLBACK_THEME, "Textual's default")]
        name, which = next((name, which) for name, which in candidates if name in self.available_themes)
        if requested and requested != name:  # told with the theme really used, so the two agree
            self._startup_problems.append(
                (f"Unknown theme '{requested}'; using {name}, {which}.", "warning"))
        self._set_start_theme(name)

    def _set_start_theme(self, name: str) -> None:
        """The theme to start with, set without its watcher so the stylesheet is parsed once.

        Assigning `self.theme` before the app runs queues a whole-stylesheet reparse and re-apply
        (`refresh_css`, 15-20 ms of start-up) that a stylesheet read with this theme never needs.
        This does what `App.__init__` and the theme watcher do, minus the reparse.
        """
        self.set_reactive(App.theme, name)
        self.stylesheet.set_variables(self.get_css_variables())
        self.add_class(f"-theme-{name}", update=False)
        dark = self.current_theme.dark
        self.set_class(dark, "-dark-mode", update=False)
        self.set_class(not dark, "-light-mode", update=False)
        self._refresh_truecolor_filter(self.ansi_theme)

    def _remember_theme(self, theme) -> None:
        save_setting(self.settings_path, "theme", theme.name)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Textual's toast, with a word too long for it broken after a `/` or `-` first, so a
        model id or a path is never cut mid-name (plain text only: markup is left as it is)."""
        if not markup:
            narrow = bool(self.screen_stack) and self.screen_stack[0].has_class("-narrow")
            message = break_long_words(message, TOAST_TEXT_WIDTH_NARROW if narrow else TOAST_TEXT_WIDTH)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # -- lifecycle -------------------------------------------------------------------------------
    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.engine, background=self.background, export_dir=self.export_dir,
                          history=self.history)

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0] if self.screen_stack else None
        if isinstance(screen, MainScreen):
            return screen
        raise LookupError("the main screen is not mounted")  # pragma: no cover - only before mount

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        for message, severity in self._startup_problems:
            self.notify(message, severity=severity, markup=False, timeout=10)
        for warning in self.engine.store.warnings:
            self.notify(warning, severity="warning", markup=False, timeout=10)
        self.set_interval(TICK_SECONDS, self.tick, name="tick")
        if self.history is not None:
            self.run_worker(self._history_opened(), name="open saved chats", exit_on_error=False)

    async def _history_opened(self) -> None:
        """Tell what opening the saved chats found (a newer version's file, a corrupt one moved aside)."""
        history = self.history
        assert history is not None
        with contextlib.suppress(HistoryUnavailable):  # `problem` says why
            await asyncio.wrap_future(history.ready)
        for text, severity in ((history.problem, "warning"), (history.warning, "warning")):
            if text:
                self.notify(text, severity=severity, markup=False, timeout=15)

    def on_ready(self) -> None:
        # What was made to start (Textual's and our modules, the stylesheet, the screen and its
        # widgets) lives as long as the app: frozen, it is out of the collector's sight and a full
        # collection walks only what came after (30 ms of pause less each time); and the youngest
        # generation is collected every 5,000 allocations instead of 700: a streamed answer then
        # pays 30 ms of collections instead of 60 and no full one (benchmarks/FINDINGS.md).
        gc.freeze()
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(GC_YOUNG, *self._gc_threshold[1:])
        warm_up()  # the Markdown stack, in a thread, while the user reads the first screen
        if self.history is not None:
            self.history.begin()  # the saved chats' file, opened once the first screen is up
        if self.serving is not None:
            self.run_worker(self.serving.start(self.main), name="serve", exit_on_error=False)

    def tick(self) -> None:
        """The one 1 Hz ticker: countdowns, statuses, other processes' changes, trials."""
        if self.screen_stack and isinstance(self.screen_stack[0], MainScreen):  # not while closing
            self.main.tick()

    async def on_unmount(self) -> None:
        gc.unfreeze()  # back in the collector's sight: an app made after this one (tests) starts clean
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)
        if self.history is not None:
            await asyncio.to_thread(self.history.close)  # the last turn's write finishes first
        if self.serving is not None:
            await self.serving.stop()
        await self.engine.aclose()

    def action_doctor(self) -> None:
        """F2 anywhere: the setup doctor's screen."""
        self.main.doctor.open()

    def get_system_commands(self, screen) -> Iterable:
        from tui.commands import app_commands, system_commands

        yield from system_commands(super().get_system_commands(screen))
        yield from app_commands(self.main)


def make_app(engine: ModelFallback, theme: str | None = None, config_dir: Path | None = None,
             **options) -> ModelFallbackApp:
    """Build the app for an open engine; `options` are the keyword arguments of ModelFallbackApp."""
    return ModelFallbackApp(engine, theme=theme, config_dir=config_dir, **options)
