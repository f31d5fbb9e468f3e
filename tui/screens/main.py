"""The main screen: groups, chat, models, event log; the controller between widgets and engine.

Once a second `tick()` (driven by the app's single ticker) picks up another process's changes
to the state file, reads every model's status from the engine (countdowns are `deadline - now`
on the engine's clock, never decremented), notes what changed (the `Announcer` decides where:
event log and status line for automatic events, toasts only for the user's own actions and a
group with no model left), redraws only what changed, and starts half-open trials for models
whose cooldown ended. Health sweeps, checks and trials run in workers that never
take the app down (`exit_on_error=False`, one `Worker.StateChanged` handler).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from tui.engine.secrets import redact_known
from tui.wording.status import lasting, not_disabled_text
from tui.wording.trail import short_name
from tui.messages import ChatBusy, GroupChosen, LogEvent
from tui.screens.announcer import Announcer
from tui.screens.chat_keys import CHAT_BINDINGS, ChatKeys
from tui.screens.confirm import new_chat_question
from tui.screens.disable_dialog import DisableChoice, DisableDialog
from tui.screens.chats import ChatsScreen
from tui.screens.doctor import Doctor, DoctorScreen
from tui.screens.help import HelpScreen, Section, binding_rows
from tui.wording.events import check_summary, probe_summary
from tui.widgets.chat_pane import ChatPane
from tui.widgets.event_log import EventLog
from tui.widgets.groups_panel import GroupsPanel
from tui.widgets.models_table import ModelsTable
from tui.widgets.status_bar import StatusBar
from tui.widgets.status_line import StatusLine
from tui.widgets.steady_footer import SteadyFooter

if TYPE_CHECKING:
    from tui.engine.api import ModelFallback
    from tui.engine.history import ChatHistory

MIN_WIDTH, MIN_HEIGHT = 80, 24
TRIAL_AGAIN_S = 15.0  # a model still probing after its trial (e.g. probe: none) is tried again after this


class MainScreen(ChatKeys, Screen):
    """Everything the user sees at once (docs/architecture.md §1)."""

    BINDINGS = [
        Binding("escape", "stop", "Stop", id="chat.stop", tooltip="Stop the answer that is streaming"),
        Binding("ctrl+t", "try_next", "Try next model", id="chat.try_next",
                tooltip="After a content-policy stop: send the prompt to the next model"),
        Binding("ctrl+n", "new_chat", "New chat", id="chat.new",
                tooltip="Start a new conversation (asks first if one would be lost)"),
        Binding("ctrl+s", "export", "Export", id="chat.export",
                tooltip="Save the conversation as a Markdown file (in the current folder)"),
        Binding("ctrl+g", "next_group", "Group", id="group.next", tooltip="Chat with the next group"),
        Binding("ctrl+l", "toggle_log", "Log", id="log.toggle", tooltip="Show or hide the event log"),
        Binding("f1,question_mark", "help", "Help", id="help", tooltip="This list of keys"),
        *CHAT_BINDINGS,
    ]

    def __init__(self, engine: ModelFallback, *, background: bool = True, export_dir: Path | None = None,
                 history: ChatHistory | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.background = background
        self.export_dir = export_dir or Path.cwd()
        config = engine.config
        self.group = next(iter(config.groups))
        self._health_busy: set[str] = set()  # health worker kinds in flight: sweep, trials
        self._trial_for: frozenset[str] = frozenset()  # the probing models of the last trial run
        self._trial_at = 0.0  # engine monotonic time of the last trial run
        self._tick_error: str | None = None  # the last tick failure told, so it is told once
        self._focus_before_small: Widget | None = None  # what had focus when the window got too small
        self.status_bar = StatusBar(demo_notice=self._demo_notice(), id="status-bar")
        self.groups_panel = GroupsPanel(list(config.groups), self.group, id="groups")
        self.chat = ChatPane(engine, self.group, id="chat", history=history)
        self.models = ModelsTable(list(config.models), id="models")
        self.event_log = EventLog(id="event-log")
        self.status_line = StatusLine(self.models)
        self.announcer = Announcer(self._notify, self.event_log, self.status_line, engine.clock)
        self.doctor = Doctor(self, engine)  # F2; its header line shows only while a setup check fails

    def _notify(self, *args, **kwargs) -> None:
        self.app.notify(*args, **kwargs)

    def _demo_notice(self) -> str | None:
        if not self.engine.demo_notice:
            return None
        return self.engine.demo_notice.split(": ", 1)[-1]  # the bar's DEMO badge says the rest

    def compose(self):
        yield self.status_bar
        yield self.doctor.line
        with Vertical(id="body"):
            with Horizontal(id="top"):
                yield self.groups_panel
                yield self.chat
            yield self.models
            yield self.event_log
        yield Static("", id="too-small", markup=False)
        yield SteadyFooter(compact=True)

    def on_mount(self) -> None:
        for warning in self.engine.store.warnings:  # the app toasts them; the log keeps them
            self.announcer.log(warning, "warning", line=False)
        self.event_log.display = False
        self.chat.prompt.focus()
        self.tick()
        if self.background:
            self.set_timer(0.2, self.run_sweep)  # after the first frame: startup does no network
            self.set_timer(0.4, lambda: self.doctor.run(probes=False))  # the sweep probes; doctor need not
            self.set_interval(self.engine.config.health.interval, self.run_sweep)

    def on_resize(self) -> None:
        width, height = self.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        was_small = self.has_class("-too-small")
        if small and not was_small:
            # hiding the panels takes their focus away: kept here, given back when they show again
            self._focus_before_small = self.focused
        self.set_class(small, "-too-small")
        self.set_class(width < 110, "-narrow")
        if small:
            self.query_one("#too-small", Static).update(
                f"The terminal is {width}×{height}; modelfallback needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\n"
                "Make the window bigger (ctrl+q quits).")
        elif was_small:
            self.call_after_refresh(self._refocus)

    def _refocus(self) -> None:
        """Focus back where it was before the window was too small (the prompt when nothing was)."""
        widget, self._focus_before_small = self._focus_before_small, None
        if widget is None or not widget.is_attached or not widget.focusable:
            widget = self.chat.prompt
        if self.focused is None:  # the user (a click) may have chosen since
            widget.focus()

    # -- the 1 Hz tick ---------------------------------------------------------------------------
    def tick(self) -> None:
        """Refresh everything from the engine. A failure here (say the state file's folder became
        unreadable) is told once, not once a second, and never stops the app; the next tick retries.
        """
        try:
            self._tick()
        except Exception as exc:  # noqa: BLE001 - the ticker must survive anything the engine raises
            message = redact_known(f"Status update failed: {type(exc).__name__}: {exc}")
            if message != self._tick_error:
                self._tick_error = message
                self.app.notify(message, severity="error", markup=False, timeout=10)
        else:
            self._tick_error = None

    def _tick(self) -> None:
        engine = self.engine
        engine.refresh()  # another process's disable or enable (`modelfallback disable X`)
        rows = engine.statuses()
        now = engine.clock.wall()
        announcer = self.announcer
        announcer.note_changes(rows)
        by_name = {r.model: r for r in rows}
        groups = {g: [by_name[m] for m in chain] for g, chain in engine.config.groups.items()}
        # what engine.preferred(g) says (the first usable model of the chain), from these rows
        preferred = {g: next((r.model for r in chain if r.usable), None) for g, chain in groups.items()}
        announcer.group_state(self.group, groups[self.group], preferred[self.group])
        offline = announcer.shared_state(engine.store.offline)
        announcer.tick()
        with self.app.batch_update():
            self.models.show(rows, now)
            self.groups_panel.show(groups, preferred)
            up = sum(1 for r in rows if r.usable)
            self.status_bar.show(self.group, preferred[self.group], up, len(rows),
                                 spent=self.chat.spend_text, offline=offline)
        probing = frozenset(r.model for r in rows if r.status == "probing")
        if probing and (probing != self._trial_for or engine.clock.monotonic() - self._trial_at >= TRIAL_AGAIN_S):
            self._trial_for, self._trial_at = probing, engine.clock.monotonic()
            self.run_health("trials")  # half-open trials of models whose cooldown ended
        if any(r.next_check_s is not None and r.next_check_s <= 0 for r in rows):
            self.run_health("rechecks")  # the panel said `check due`: this loop is the one that checks

    # -- logging ---------------------------------------------------------------------------------
    def log_event(self, text: str, severity: str = "information", *, toast: bool = False) -> None:
        """Event log, plus a toast (`toast`: the user's own action) or else the status line."""
        self.announcer.log(text, severity, toast=toast)

    @on(LogEvent)
    def _on_log_event(self, event: LogEvent) -> None:
        event.stop()
        self.log_event(event.text, event.severity, toast=event.toast)
        self.tick()  # a failover or an answer: the panels show what the chain changed at once, in order

    @on(ChatBusy)
    def _on_chat_busy(self, event: ChatBusy) -> None:
        event.stop()
        self.refresh_bindings()
        self.tick()  # the chain may have disabled a model or closed a breaker

    @on(GroupChosen)
    async def _on_group_chosen(self, event: GroupChosen) -> None:
        event.stop()
        await self.choose_group(event.group)

    async def choose_group(self, group: str) -> None:
        if group not in self.engine.config.groups:
            return
        self.group = group
        self.groups_panel.set_active(group)
        await self.chat.set_group(group)
        self.tick()
        self.chat.prompt.focus()

    # -- actions ---------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.chat.busy
        if action == "try_next":
            return self.chat.can_try_next
        return self.chat_check(action, parameters)

    def action_stop(self) -> None:
        if not self.chat.stop():
            self.chat.prompt.focus()

    def action_try_next(self) -> None:
        self.chat.try_next()

    async def action_new_chat(self) -> None:
        """A new conversation; asked first when it would drop an answer streaming, or, with chats not
        saved, a turn (a saved chat stays in the chats screen, ctrl+o)."""
        unsaved = self.chat.store is None and (self.chat.history or self.chat.transcript.query(".user"))
        if self.chat.busy or unsaved:
            self.app.push_screen(new_chat_question(self.chat.busy), lambda yes: yes and self.call_later(self._new_chat))
        else:
            await self._new_chat()

    async def _new_chat(self) -> None:
        await self.chat.new_chat()
        self.log_event("new chat")

    def action_export(self) -> None:
        try:
            path = self.chat.export(self.export_dir, self.engine.clock.wall())
        except OSError as exc:
            self.app.notify(f"Could not export the conversation: {exc}", severity="error", markup=False)
            return
        self.log_event(f"conversation saved to {path}", toast=True)

    async def action_next_group(self) -> None:
        names = list(self.engine.config.groups)
        await self.choose_group(names[(names.index(self.group) + 1) % len(names)])

    def action_toggle_log(self) -> None:
        self.event_log.display = not self.event_log.display
        if self.event_log.display:
            self.event_log.scroll_end(animate=False)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.help_sections()))

    def help_sections(self) -> list[Section]:
        """Every key, by where it works, read from the bindings so the help never goes stale."""
        app = self.app
        return [
            ("Chat (the prompt has focus at start)", [("enter", "Send the prompt to the selected group"),
                                                      ("shift+enter / ^j", "A new line in the prompt"),
                                                      ("up / down", "On an empty prompt: this chat's earlier prompts"),
                                                      *binding_rows(app, self.BINDINGS)]),
            ("Chats screen (^o)", binding_rows(app, ChatsScreen.BINDINGS)),
            ("Models table (Tab to it, or click a row)", [("up / down", "Select a model"),
                                                          *binding_rows(app, ModelsTable.BINDINGS)]),
            ("Groups panel", [("up / down", "Highlight a group"), ("enter", "Chat with the highlighted group")]),
            ("Disable dialog", [("typing", "The reason (the box has focus at first)"),
                                ("enter", "Disable for the highlighted duration (5m at first)"),
                                ("up / down", "Highlight a shorter / longer duration: 1m 5m 15m 1h until enabled"),
                                *binding_rows(app, DisableDialog.BINDINGS[:1])]),
            ("Setup doctor (f2)", binding_rows(app, DoctorScreen.BINDINGS)),
            ("Everywhere", [("tab / shift+tab", "Move between panels"),
                            ("^p", "Command palette: every action, per model and per group, themes"),
                            *binding_rows(app, app.BINDINGS)]),
        ]

    def selected_model(self) -> str | None:
        return self.models.selected_model

    def action_disable_model(self, model: str | None = None) -> None:
        model = model or self.selected_model()
        if model is None:
            return
        default = self.engine.config.models[model].policy.manual_disable

        def done(choice: DisableChoice | None) -> None:
            if choice is not None:
                self.disable(model, choice.seconds, choice.reason)

        self.app.push_screen(DisableDialog(model, default), done)

    def disable(self, model: str, seconds: float | None, reason: str = "") -> None:
        try:
            self.engine.disable(model, seconds, reason)
        except (OSError, KeyError, ValueError) as exc:
            self.app.notify(f"Could not disable {model}: {exc}", severity="error", markup=False)
            return
        self.announcer.mine.add(model)
        self.log_event(f"disabled {model} {lasting(seconds)}" + (f": {reason}" if reason else ""), toast=True)
        self.tick()

    def action_enable_model(self, model: str | None = None) -> None:
        model = model or self.selected_model()
        if model is None:
            return
        row = self.engine.status(model)
        if not row.enableable:  # the same answer as `modelfallback enable` (a missing key named with its fix)
            self.app.notify(not_disabled_text(row), markup=False, timeout=5)
            return
        try:
            self.engine.enable(model)
        except (OSError, KeyError) as exc:
            self.app.notify(f"Could not enable {model}: {exc}", severity="error", markup=False)
            return
        self.announcer.mine.add(model)
        self.log_event(f"enabled {model}", toast=True)
        self.tick()

    def action_check_model(self, model: str | None = None) -> None:
        model = model or self.selected_model()
        if model is not None:
            self.run_worker(self._check([model]), name=f"check {short_name(model)}", group="checks",
                            exit_on_error=False)

    def action_check_all(self) -> None:
        self.run_worker(self._check(None), name="check all", group="checks", exit_on_error=False)

    # -- health workers --------------------------------------------------------------------------
    def run_sweep(self) -> None:
        """The periodic background health sweep (skipped while one is still running)."""
        if "sweep" not in self._health_busy:
            self._health_busy.add("sweep")
            self.run_worker(self._probe("sweep"), name="sweep", group="health", exit_on_error=False)

    def run_health(self, kind: str) -> None:
        """Start a `trials` or `rechecks` worker (rechecks: models out automatically whose next
        check is due; the engine takes a lease per model, so processes sharing a state check once)."""
        if kind not in self._health_busy:
            self._health_busy.add(kind)
            # a partial, not a coroutine: a worker cancelled before it starts (the app is closing)
            # then leaves no coroutine that was never awaited
            self.run_worker(partial(self._probe, kind), name=kind, group="health", exit_on_error=False)

    async def _probe(self, kind: str) -> None:
        try:
            if kind == "rechecks":
                results = await self.engine.rechecks()  # keeps their health itself
            else:
                monitor = self.engine.monitor
                if kind == "sweep":  # the providers' free listings first: not listed, context, uptime
                    for note in await self.engine.preflight():
                        self.log_event(note.text, "warning")
                results = await (monitor.trials() if kind == "trials" else monitor.sweep())
                self.engine.persist_health([r.model for r in results if r.ok is not None])
        finally:
            self._health_busy.discard(kind)
        for text, severity in probe_summary(results, kind):
            self.log_event(text, severity)
        self.tick()

    async def _check(self, models: list[str] | None) -> None:
        """A check the user asked for: forced, so auto-disabled models are probed too."""
        self.announcer.status_line.say("checking " + ("every model" if models is None else short_name(models[0]))
                                       + " …", "information", self.engine.clock.monotonic())
        if models is None:
            results = await self.engine.check(None, force=True)
        else:
            results = await self.engine.monitor.sweep(models, force=True)
            self.engine.persist_health([r.model for r in results if r.ok is not None])
        for text, severity in probe_summary(results, "check"):  # one model: its toast; all: in the log
            self.announcer.log(text, severity, toast=models is not None, line=models is not None)
        if models is None:
            failed = any(r.ok is False for r in results)
            self.log_event(check_summary(results), "warning" if failed else "information", toast=True)
        self.tick()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors land: reported, never fatal."""
        worker = event.worker
        if event.state != WorkerState.ERROR:
            return
        error = worker.error
        if worker.group == "chat":
            self.chat.worker_crashed(error)
        self.log_event(f"{worker.name} failed: {type(error).__name__}: {error}", "error", toast=True)
