"""The event log panel (toggle with ctrl+l): timestamped disables, enables, failovers, probes."""

from __future__ import annotations

import time

from rich.cells import cell_len
from textual.widgets import Log

MARKS = {"information": "·", "warning": "▲", "error": "✕"}


def marked(text: str, severity: str) -> str:
    """`▲ text` on one line: the severity's mark, whitespace runs (newlines too) made single spaces."""
    return f"{MARKS.get(severity, '·')} {' '.join(text.split())}"
MAX_LINES = 1000


class EventLog(Log):
    """Plain lines, newest at the bottom, capped so a long session stays light."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, auto_scroll=True, id=id)
        self.border_title = "Event log"
        self.lines_written: list[str] = []  # the last lines, for tests and export of the log
        # Lines written while hidden are kept too; the panel shows everything when opened.

    def add(self, text: str, wall: float, severity: str = "information") -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(wall))
        line = f"{stamp} {marked(text, severity)}"
        self.lines_written.append(line)
        del self.lines_written[:-MAX_LINES]
        self.write_line(line)

    def _update_size(self, updates: int, lines: list[str]) -> None:
        """Measure new lines here instead of in Textual's thread worker.

        `Log` measures line widths in a thread that reaches `self.app`; when the app exits just
        after a line was written (a quick quit after start-up) the thread finds no app and the
        exit ends in NoActiveAppError. Our lines are short, one at a time: measuring them inline
        costs microseconds.
        """
        if lines:
            self._update_maximum_width(updates, max(cell_len(self._process_line(line)) for line in lines))
