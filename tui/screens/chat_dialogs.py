"""Small dialogs of the chat: pick a model to ask again, write a text (title, system prompt), pick a file.

Each is a modal screen that dismisses with its answer, or None on Esc.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui.engine.state.status import GLYPHS, ModelStatus
from tui.wording.status import out_for

T = TypeVar("T")


class ChatDialog(ModalScreen[T | None]):
    """A chat dialog: Esc cancels it (dismissed with None); subclasses add their own keys."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel")]

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class AskModelDialog(ChatDialog[str]):
    """The group's models with their status; the next one after the kept answer is highlighted."""

    def __init__(self, rows: list[ModelStatus], highlight: str | None, answered_by: str | None) -> None:
        super().__init__()
        self.rows = rows
        self.highlight = highlight
        self.answered_by = answered_by

    def compose(self):
        options = []
        for row in self.rows:
            note = " (answered)" if row.model == self.answered_by else ""
            why = f" — {out_for(row)}" if not row.usable and out_for(row) else ""
            options.append(Option(f"{GLYPHS[row.status]} {row.model}  {row.status}{why}{note}", id=row.model))
        with Vertical(classes="chat-dialog"):
            yield Label("Ask the last prompt again, starting from:", classes="dialog-title")
            yield OptionList(*options, id="ask-models")
            yield Static("Enter: ask (the models after it follow if it fails) · Esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.highlight is not None:
            options.highlighted = options.get_option_index(self.highlight)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


class TextDialog(ChatDialog[str]):
    """One text: a line (Enter keeps it) or several (ctrl+s keeps them). Esc cancels."""

    BINDINGS = [Binding("ctrl+s", "keep", "Keep", priority=True)]

    def __init__(self, title: str, value: str, *, multiline: bool = False, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.multiline = multiline
        self.hint = hint

    def compose(self):
        with Vertical(classes="chat-dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            if self.multiline:
                yield TextArea(self.value, id="dialog-text", soft_wrap=True, tab_behavior="focus")
            else:
                yield Input(self.value, id="dialog-text", max_length=200)
            keys = "ctrl+s: keep" if self.multiline else "Enter: keep"
            yield Static(f"{self.hint}{' · ' if self.hint else ''}{keys} · Esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#dialog-text").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_keep(self) -> None:
        """ctrl+s is a priority binding: it runs before keys typed just before it (in one burst)
        reach the text, so the text is read once the text's widget has handled them."""
        widget = self.query_one("#dialog-text")
        widget.call_later(self.call_later, self._keep_now)  # behind its keys, then on this screen

    def _keep_now(self) -> None:
        widget = self.query_one("#dialog-text")
        self.dismiss(widget.text if isinstance(widget, TextArea) else widget.value)


class AttachDialog(ChatDialog[Path]):
    """A file for the next prompt: typed as a path, or picked in the folder tree."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def compose(self):
        with Vertical(classes="chat-dialog", id="attach-dialog"):
            yield Label("Attach a text file to the next prompt", classes="dialog-title")
            yield Input(placeholder="a path, e.g. src/main.py (Enter attaches)", id="attach-path")
            yield DirectoryTree(self.folder, id="attach-tree")
            yield Static("Enter on a file attaches it · or type @path in the prompt · Esc: cancel",
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#attach-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss((self.folder / Path(event.value.strip()).expanduser()).resolve())

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(event.path)

