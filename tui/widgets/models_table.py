"""The models panel: one keyed row per model, updated in place once a second.

Only cells whose text changed are updated, in one `update_cells` that repaints only their rows
(`RedrawTable`: a cell or line is drawn again only when its own values change), and a row whose
status is the same as last tick is not looked at again; columns have fixed widths.
Which columns there are depends on the width (`model_columns.plan`): the table re-plans when it
is resized and when the first provider-reported uptime arrives. The row under the cursor is
"the selected model" for disable / enable / check. The panel's bottom edge carries the status
line (`StatusLine`): the latest automatic event, for a few seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from operator import attrgetter

from textual.binding import Binding
from textual.content import Content

from tui.engine.secrets import redact_known
from tui.engine.state.status import ModelStatus
from tui.widgets.formatting import status_content
from tui.widgets.model_columns import Layout, plan
from tui.widgets.redraw_table import RedrawTable
from tui.wording.status import countdown_text, format_age, format_ms, format_rate, uptime_text, why_text

SCROLLBAR = 1  # room kept for the vertical scrollbar, so a long list never needs a horizontal one


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


_TIMELESS = attrgetter(*(f.name for f in fields(ModelStatus) if f.name not in ("remaining_s", "next_check_s")))


def _only_time_moved(before: ModelStatus, now: ModelStatus) -> bool:
    """The same status but for the countdowns (what a second changes for a model that is out): every
    field equal once the two countdowns are set aside, and a next check still shown or still not.
    Compared field by field, not through a copy (`dataclasses.replace` is most of a tick's cost)."""
    return (_TIMELESS(before) == _TIMELESS(now)
            and (before.next_check_s is None) == (now.next_check_s is None))


class ModelsTable(RedrawTable):
    """Every configured model with its live health, countdown, next check and reason."""

    BINDINGS = [
        Binding("d", "screen.disable_model", "Disable", id="model.disable",
                tooltip="Disable the selected model (choose how long)"),
        Binding("e", "screen.enable_model", "Enable", id="model.enable", tooltip="Bring the selected model back now"),
        Binding("c", "screen.check_model", "Check", id="model.check", tooltip="Probe the selected model's health now"),
        Binding("a", "screen.check_all", "Check all", id="model.check_all", tooltip="Probe every model now"),
    ]
    BINDING_GROUP_TITLE = "Models"

    def __init__(self, models: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, cell_padding=1,
                         cursor_foreground_priority="renderable")
        self.border_title = "Models"
        self._models = list(models)
        self._width = 0  # the width the layout was planned for
        self._uptime = False  # whether any provider reported an uptime (the column exists)
        self._apis = False  # whether the models speak more than one API (the API column exists)
        self.layout_plan: Layout | None = None
        self._out_width = 0
        self._names: dict[str, str] = {}
        self._shown: dict[tuple[str, str], str] = {}  # (model, column) -> text on screen
        self._rows_shown: dict[str, ModelStatus] = {}  # model -> the status its cells show
        self._last: tuple[list[ModelStatus], float] | None = None
        self._served: Mapping[str, int] | None = None  # answers per model from the local endpoint (--serve)

    def on_mount(self) -> None:
        self.fit(self.size.width or self.app.size.width - 2)

    def on_resize(self) -> None:
        if self.size.width:
            self.fit(self.size.width)

    def fit(self, width: int) -> None:
        """Plan the columns for `width` (the table's inner width) and rebuild them if they change."""
        self._width = width
        layout = plan(width - SCROLLBAR, self._models, uptime=self._uptime, apis=self._apis,
                      served=self._served is not None)
        if layout == self.layout_plan:
            return
        selected = self.selected_model
        self.layout_plan = layout
        self._out_width = layout.width("out")
        self._names = dict(layout.names)
        self.clear(columns=True)
        for column in layout.columns:
            self.add_column(column.label, key=column.key, width=column.width)
        for model in self._models:
            self.add_row(*("" for _ in layout.columns), key=model)
        self._shown.clear()
        self._rows_shown.clear()
        if self._last is not None:
            self.show(*self._last)
        if selected is not None:
            self.select_model(selected)

    def show_served(self, served: Mapping[str, int]) -> None:
        """Count, in a Served column, the answers each model gave through the local endpoint."""
        self._served = served
        if self._width:
            self.fit(self._width)

    @property
    def selected_model(self) -> str | None:
        if not self.row_count or not self.columns:
            return None
        row_key, _ = self.coordinate_to_cell_key((self.cursor_row, 0))
        return row_key.value

    def select_model(self, model: str) -> None:
        if model in self.rows:
            self.move_cursor(row=self.get_row_index(model))

    def cells(self, row: ModelStatus, now: float) -> dict[str, str]:
        """The text of each shown column for one model (plain strings, compared to skip no-op updates)."""
        layout = self.layout_plan
        assert layout is not None
        texts: dict[str, str] = {}
        for column in layout.columns:
            key, width = column.key, column.width
            if key == "status":
                texts[key] = row.status
            elif key == "model":
                texts[key] = _clip(self._names.get(row.model, row.model), width)
            elif key == "out":
                texts[key] = _clip(countdown_text(row, width), width)
            elif key == "last":
                texts[key] = format_ms(row.latency_ms)
            elif key == "p50":
                texts[key] = format_ms(row.p50_ms)
            elif key == "ok":
                texts[key] = format_rate(row.success_rate)
            elif key == "checked":
                texts[key] = format_age(None if row.checked_at is None else now - row.checked_at)
            elif key == "uptime":
                texts[key] = uptime_text(row.uptime)
            elif key == "api":
                texts[key] = row.api
            elif key == "note":
                texts[key] = _clip(self.note(row), width)
            elif key == "served":
                texts[key] = str(self._served.get(row.model, 0)) if self._served else "0"
        return texts

    @staticmethod
    def note(row: ModelStatus) -> str:
        """Why a model is out (and by whom) or, for a model in service, its last error."""
        error = "" if row.error is None else " ".join(redact_known(row.error).split())
        why = why_text(row)
        if row.source == "manual" or not error:
            return why
        return f"{why.split(' · ')[0]} · {error}" if why else error  # `auto · 503 unavailable: no endpoints`

    def show(self, rows: list[ModelStatus], now: float) -> int:
        """Apply one tick's statuses; returns how many cells changed."""
        self._last = (rows, now)
        uptime = any(row.uptime is not None for row in rows)
        apis = len({row.api for row in rows}) > 1
        if uptime != self._uptime or apis != self._apis:
            self._uptime, self._apis = uptime, apis
            if self._width:
                self.fit(self._width)  # calls show() again with the new columns
                return len(self._shown)
        if self.layout_plan is None:
            return 0
        updates: list[tuple[str, str, Content | str]] = []
        ages = self.layout_plan.has("checked")  # the one column that moves with the clock alone
        for row in rows:
            if row.model not in self.rows:
                continue
            kept = self._rows_shown.get(row.model)
            if kept == row and (row.checked_at is None or not ages):
                continue  # the same status as last tick: nothing it shows can have changed
            self._rows_shown[row.model] = row
            if kept is not None and (row.checked_at is None or not ages) and _only_time_moved(kept, row):
                texts = {"out": _clip(countdown_text(row, self._out_width), self._out_width)}  # a countdown
            else:
                texts = self.cells(row, now)
            for column, text in texts.items():
                key = (row.model, column)
                if self._shown.get(key) != text:
                    self._shown[key] = text
                    updates.append((row.model, column, self._render_cell_value(column, text)))
        if self._served is not None and self.layout_plan.has("served"):  # counts move without a status change
            for model in self._models:
                text = str(self._served.get(model, 0))
                if self._shown.get((model, "served")) != text:
                    self._shown[(model, "served")] = text
                    updates.append((model, "served", Content(text)))
        self.update_cells(updates)
        return len(updates)

    @staticmethod
    def _render_cell_value(column: str, text: str) -> Content | str:
        if column == "status":
            return status_content(text)
        if column == "out" and text:
            check = text.find("check")  # the next recheck reads as a probe to come, not as more time out
            if check > 0:
                return Content.assemble((text[:check], "$text-error"), (text[check:], "$text-accent"))
            return Content.styled(text, "$text-error")
        if column in ("checked", "uptime", "api"):
            return Content.styled(text, "$foreground-muted")
        return Content(text)
