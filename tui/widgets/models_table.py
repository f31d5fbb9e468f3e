"""The models panel: one keyed row per model, updated in place once a second.

Only cells whose text changed are sent to `update_cell` (never `update_width=True`); columns
have fixed widths, so a tick costs one repaint of the visible table however many rows change.
The row under the cursor is "the selected model" for disable / enable / check.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable

from tui.engine.secrets import redact_known
from tui.engine.state.status import ModelStatus
from tui.widgets.formatting import status_content
from tui.wording.status import countdown_text, format_age, format_ms, format_rate, why_text

# (key, label, width); the model column is sized to the config's longest name once, at start
# The last column carries why a model is out (and by whom) or, for a model in service, its last
# error: one column instead of two keeps the table inside 120 columns with the note readable.
COLUMNS = (
    ("status", "Status", 10),
    ("model", "Model", 0),
    ("out", "Out for", 13),
    ("last", "Last", 5),
    ("p50", "p50", 5),
    ("ok", "OK", 4),
    ("checked", "Checked", 7),
    ("note", "Why / last error", 70),
)
MAX_MODEL_WIDTH = 36


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class ModelsTable(DataTable):
    """Every configured model with its live health, countdown and reason."""

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
        self._model_width = min(MAX_MODEL_WIDTH, max((len(m) for m in models), default=10))
        self._shown: dict[tuple[str, str], str] = {}  # (model, column) -> text on screen

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width or self._model_width)
        for model in self._models:
            self.add_row(*("" for _ in COLUMNS), key=model)

    @property
    def selected_model(self) -> str | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key((self.cursor_row, 0))
        return row_key.value

    def select_model(self, model: str) -> None:
        if model in self.rows:
            self.move_cursor(row=self.get_row_index(model))

    def cells(self, row: ModelStatus, now: float) -> dict[str, str]:
        """The text of each column for one model (plain strings, compared to skip no-op updates)."""
        age = None if row.checked_at is None else now - row.checked_at
        error = "" if row.error is None else " ".join(redact_known(row.error).split())
        why = why_text(row)
        if row.source == "manual" or not error:
            note = why
        else:  # the error already names the kind: `auto · 503 unavailable: no endpoints`
            note = f"{why.split(' · ')[0]} · {error}" if why else error
        return {
            "status": row.status,
            "model": _clip(row.model, self._model_width),
            "out": countdown_text(row),
            "last": format_ms(row.latency_ms),
            "p50": format_ms(row.p50_ms),
            "ok": format_rate(row.success_rate),
            "checked": format_age(age),
            "note": _clip(note, 70),
        }

    def show(self, rows: list[ModelStatus], now: float) -> int:
        """Apply one tick's statuses; returns how many cells changed."""
        changed = 0
        for row in rows:
            if row.model not in self.rows:
                continue
            for column, text in self.cells(row, now).items():
                key = (row.model, column)
                if self._shown.get(key) == text:
                    continue
                self._shown[key] = text
                self.update_cell(row.model, column, self._render_cell_value(column, text))
                changed += 1
        return changed

    @staticmethod
    def _render_cell_value(column: str, text: str) -> Content | str:
        if column == "status":
            return status_content(text)
        if column == "out" and text:
            return Content.styled(text, "$text-error")
        if column == "checked":
            return Content.styled(text, "$foreground-muted")
        return Content(text)
