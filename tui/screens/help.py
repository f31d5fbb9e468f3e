"""The help screen: every key, read from the bindings themselves so it never goes stale."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

MOUSE = ("Mouse: click a group to chat with it, a model row to select it, a footer key to run it, "
         "a dialog button to choose. ctrl+p opens the command palette: every action, per model and "
         "per group, plus Textual's own (theme, keys, screenshot, quit).")


def _rows(app, bindings) -> list[tuple[str, str]]:
    """(keys as displayed, description) for each described binding."""
    rows = []
    for b in bindings:
        if isinstance(b, Binding) and b.description:
            keys = [app.get_key_display(Binding(k.strip(), b.action)) for k in b.key.split(",")]
            rows.append((" / ".join(keys), b.tooltip or b.description))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss_help", "Close")]

    def compose(self):
        from tui.screens.disable_dialog import DisableDialog
        from tui.screens.main import MainScreen
        from tui.widgets.models_table import ModelsTable

        sections = [
            ("Chat (the prompt has focus at start)", [("enter", "Send the prompt to the selected group"),
                                                      *_rows(self.app, MainScreen.BINDINGS)]),
            ("Models table (Tab to it, or click a row)", [("up / down", "Select a model"),
                                                          *_rows(self.app, ModelsTable.BINDINGS)]),
            ("Groups panel", [("up / down", "Highlight a group"), ("enter", "Chat with the highlighted group")]),
            ("Disable dialog", [("enter", "Disable for the highlighted duration (5m at first)"),
                                ("1 5 f h u", "1m / 5m / 15m / 1h / until I enable it"),
                                *_rows(self.app, DisableDialog.BINDINGS[:1])]),
            ("Everywhere", [("tab / shift+tab", "Move between panels"),
                            ("^p", "Command palette: every action, per model and per group, themes"),
                            ("^q", "Quit")]),
        ]
        parts: list = []
        for title, rows in sections:
            parts.append((f"{title}\n", "bold $text-primary"))
            for key, description in rows:
                parts.append((f"  {key:<18}", "bold $text-accent"))
                parts.append(f"{description}\n")
            parts.append("\n")
        parts.append((MOUSE, "$foreground-muted"))
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Keys"
            box.border_subtitle = "Esc closes"
            yield Static(Content.assemble(*parts), id="help-text")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
