"""A yes/no question before an action that would drop something the user cannot get back.

Enter or `y` does it, Esc or `n` keeps things as they are; the two buttons do the same by mouse.
The result is True (do it) or False.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmDialog(ModalScreen[bool]):
    """`question`, with `detail` below it; `yes` labels the button that does it."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("escape,n", "answer(False)", "Keep"),
    ]

    def __init__(self, question: str, detail: str, yes: str) -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes = yes

    def compose(self):
        with Vertical(id="confirm-dialog"):
            yield Label(self.question, id="confirm-title", markup=False)
            yield Static(self.detail, classes="dialog-text", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(self.yes, id="confirm-yes", variant="primary")
                yield Button("Keep it", id="confirm-no")
            yield Static(f"Enter / y: {self.yes.lower()} · Esc / n: keep it", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()  # Enter presses it

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def new_chat_question(streaming: bool) -> ConfirmDialog:
    """Before ctrl+n drops the conversation on screen (and stops an answer streaming)."""
    stops = " and the answer streaming now stops" if streaming else ""
    return ConfirmDialog("Start a new chat?", f"The conversation on screen goes{stops}. ctrl+s exports it first.",
                         "New chat")
