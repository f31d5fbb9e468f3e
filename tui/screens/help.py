"""The help screen: every key, read from the bindings themselves so it never goes stale.

The main screen hands it the sections (title and rows); this module imports no other screen.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

MOUSE = ("Mouse: click a group to chat with it, a model row to select it, a footer key to run it, "
         "a dialog button to choose. ctrl+p opens the command palette: every action, per model and "
         "per group, plus Textual's own (theme, screenshot, quit).")


Section = tuple[str, list[tuple[str, str]]]  # (title, [(keys, description)])


def binding_rows(app, bindings) -> list[tuple[str, str]]:
    """(keys as displayed, description) for each described binding."""
    rows = []
    for b in bindings:
        if isinstance(b, Binding) and b.description:
            keys = [app.get_key_display(Binding(k.strip(), b.action)) for k in b.key.split(",")]
            rows.append((" / ".join(keys), b.tooltip or b.description))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss_help", "Close")]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self):
        parts: list = []
        for title, rows in self.sections:
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
