"""The traffic panel: every request the local endpoint (`--serve`) handles, live.

One row per request (time, client, route, group, the model answering, state, tokens, cost, ms),
newest at the bottom, the last `KEEP` kept. The endpoint reports every change of a request at
once; the panel collects them and draws at most `FLUSH_S` apart, so 64 busy clients cost the
screen a few redraws a second, not one per event.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import DataTable

from tui.engine.serve.traffic import Served, Traffic
from tui.wording.served import clock_text, tokens_text
from tui.wording.trail import format_cost, short_name

KEEP = 200
FLUSH_S = 0.25
COLUMNS = (("time", "Time", 8), ("client", "Client", 18), ("route", "Route", 20), ("group", "Group", 10),
           ("model", "Model", 20), ("state", "State", 9), ("tokens", "Tokens", 8), ("cost", "Cost", 8),
           ("ms", "ms", 6))
STATE_STYLE = {"waiting": "$text-muted", "streaming": "$text-accent", "done": "$text-success",
               "failed": "$text-error", "cancelled": "$text-warning"}


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def row_cells(record: Served) -> dict[str, str]:
    """The text of each column for one request."""
    return {"time": clock_text(record.started), "client": record.client, "route": record.route,
            "group": record.group, "model": short_name(record.model) if record.model else "",
            "state": record.state, "tokens": tokens_text(record).removesuffix(" tok"),
            "cost": format_cost(record.cost), "ms": "" if record.ms is None else str(record.ms)}


class TrafficPanel(DataTable):
    """The served requests; `attach(traffic)` starts listening."""

    DEFAULT_CSS = """
    TrafficPanel {
        height: 8;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        background: $background;
        scrollbar-size-vertical: 1;
    }
    TrafficPanel:focus {
        border: round $primary;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, cell_padding=1, show_cursor=False)
        self.border_title = "Traffic"
        self._pending: dict[int, Served] = {}
        self._order: list[int] = []  # row keys on screen, oldest first

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)
        self.set_interval(FLUSH_S, self.flush, name="traffic-flush")

    def attach(self, traffic: Traffic) -> None:
        traffic.listeners.append(self.note)

    def note(self, record: Served) -> None:
        """A request began or changed (called by the endpoint, in the app's event loop)."""
        self._pending[record.number] = record

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        for number, record in sorted(pending.items()):
            cells = row_cells(record)
            styled = [self._cell(key, _clip(cells[key], width)) for key, _, width in COLUMNS]
            key = str(number)
            if key in self.rows:
                for (column, _, _), value in zip(COLUMNS, styled, strict=True):
                    self.update_cell(key, column, value)
                continue
            self.add_row(*styled, key=key)
            self._order.append(number)
            if len(self._order) > KEEP:
                self.remove_row(str(self._order.pop(0)))
        self.scroll_end(animate=False)

    @staticmethod
    def _cell(key: str, text: str) -> Content | str:
        if key == "state":
            return Content.styled(text, STATE_STYLE.get(text, ""))
        return Content(text)
