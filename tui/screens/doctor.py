"""The doctor screen (F2, or "Setup doctor" in the palette): the same checks as `modelfallback
doctor`, and the controller that runs them once in the background at start.

The controller (`Doctor`) belongs to the main screen: it runs `diagnose` in a worker, keeps the
last report, shows the header line (`DoctorLine`) when something fails and feeds the screen while
it is open. The run at start sends no probes (the health sweep at start probes every model
already); `r` on the screen runs everything, probes included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.widgets.doctor_line import DoctorLine

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui.engine.api import ModelFallback
    from tui.engine.doctor import Report

STYLE = {"ok": "$text-success", "warn": "$text-warning", "fail": "bold $text-error", "skip": "$foreground-muted"}
COLORS = {"truecolor": 1 << 24, "256": 256, "standard": 16, "windows": 16}


def report_rows(report: Report | None, running: bool) -> list[Static]:
    """A heading per provider, model and group; a row per check: its mark and title in a column of
    their own, the detail and (under a ! or ✗) the fix beside them, so a wrapped line stays aligned."""
    if report is None:
        return [Static("Checking the setup…", classes="doctor-heading")]
    rows: list[Static] = []
    heading = None
    for check in report.checks:
        if (check.area, check.subject) != heading:
            heading = (check.area, check.subject)
            rows.append(Static(f"{check.area} {check.subject}".rstrip(), classes="doctor-heading", markup=False))
        text = Content(check.detail)
        if check.status in ("warn", "fail"):
            text = Content.assemble(check.detail, "\n", (f"fix: {check.fix}", "$text-accent"))
        rows.append(Horizontal(Static(Content.assemble((f"{check.mark} ", STYLE[check.status]),
                                                       (check.title, "bold")), classes="doctor-title"),
                               Static(text, classes="doctor-detail"), classes="doctor-row"))
    problems, warnings = len(report.problems), len(report.warnings)
    total = Static(f"{problems} problem{'s' * (problems != 1)}, {warnings} warning{'s' * (warnings != 1)}"
                   + (" · checking again…" if running else ""), classes="doctor-heading doctor-total")
    return [total, *rows]  # the count first: the screen opens on it


class DoctorScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f2,q", "close", "Close"), Binding("r", "rerun", "Check again (with probes)")]

    def __init__(self, doctor: Doctor) -> None:
        super().__init__()
        self.doctor = doctor

    def compose(self):
        with VerticalScroll(id="doctor-box") as box:
            box.border_title = "Setup doctor"
            box.border_subtitle = "r checks again, with probes · Esc closes"
            yield from report_rows(self.doctor.report, self.doctor.running)

    async def show(self) -> None:
        """The latest report (before the screen is composed there is nothing to replace: compose shows it)."""
        for box in self.query("#doctor-box").results(VerticalScroll):
            with self.app.batch_update():
                await box.remove_children()
                await box.mount_all(report_rows(self.doctor.report, self.doctor.running))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_rerun(self) -> None:
        self.doctor.run(probes=True)


class Doctor:
    """Runs the checks for `screen` (the main screen: its workers, its app) and keeps the result."""

    def __init__(self, screen: Screen, engine: ModelFallback) -> None:
        self.screen = screen
        self.engine = engine
        self.line = DoctorLine(id="doctor-line")
        self.report: Report | None = None
        self.running = False

    def run(self, *, probes: bool = True) -> None:
        if self.running:
            return
        self.running = True
        self._shown()
        self.screen.run_worker(self._run(probes), name="doctor", group="doctor", exit_on_error=False)

    async def _run(self, probes: bool) -> None:
        from tui.engine.doctor import Terminal, diagnose  # after the first screen: start-up never waits for it

        app = self.screen.app
        terminal = Terminal(app.size.width, app.size.height, COLORS.get(app.console.color_system or "", 0))
        try:
            self.report = await diagnose(self.engine, probes=probes, terminal=terminal)
        finally:
            self.running = False
            self.line.show(0 if self.report is None else len(self.report.problems))
            self._shown()

    def open(self) -> None:
        if not isinstance(self.screen.app.screen, DoctorScreen):
            self.screen.app.push_screen(DoctorScreen(self))
        if self.report is None and not self.running:
            self.run()

    def _shown(self) -> None:
        top = self.screen.app.screen
        if isinstance(top, DoctorScreen):
            self.screen.run_worker(top.show(), group="doctor-show", exclusive=True, exit_on_error=False)
