"""The status line: the latest automatic event, shown for a few seconds on a panel's bottom edge.

Automatic events (cooldowns, recoveries, rechecks, probe results, failovers, changes made in
another process) are told here and in the event log, never as toasts: a toast sits on top of
the panels, and at 80×24 a few of them covered most of the models table. The line is the bottom
border of the models panel (its border subtitle), so it costs no row and covers nothing; what it
said stays in the event log (ctrl+l). Time is the engine's clock: tests move a FakeClock.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from tui.widgets.event_log import marked

SHOW_SECONDS = 10.0
STYLES = {"information": "$foreground", "warning": "$text-warning", "error": "$text-error"}


class StatusLine:
    """Writes into `host.border_subtitle`; `say` shows a line, `expire` clears it when its time is up."""

    def __init__(self, host: Widget, seconds: float = SHOW_SECONDS) -> None:
        self.host = host
        self.seconds = seconds
        self.text = ""  # what the line says now (plain), "" when quiet
        self._until = 0.0
        self._earlier = 0  # lines replaced while this one's predecessors were still showing

    def say(self, text: str, severity: str, now: float) -> None:
        """Show `text` until `now + seconds`; lines it replaces before their time are counted."""
        self._earlier = self._earlier + 1 if self.text else 0
        line = marked(text, severity)
        parts = [(line, STYLES.get(severity, "$foreground"))]
        if self._earlier:
            parts.append((f"  (+{self._earlier} more · ctrl+l log)", "$foreground-muted"))
        content = Content.assemble(*parts)
        self.text = content.plain
        self._until = now + self.seconds
        self.host.border_subtitle = content

    def expire(self, now: float) -> None:
        if self.text and now >= self._until:
            self.clear()

    def clear(self) -> None:
        self.text = ""
        self._earlier = 0
        self.host.border_subtitle = None
