"""The disable dialog: how long a model stays out (1m / 5m / 15m / 1h / until enabled) and why.

Enter right away takes the default (the config's `manual_disable`, 5m unless changed). Each
duration is a button (click it, or Tab to it and press Enter) and has a key: 1, 5, f (15m),
h (1h), u (until I enable it). Esc cancels. The result is a `DisableChoice`, or None.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.engine.durations import format_duration

# (button id, label, seconds, key); None seconds = until I enable it
CHOICES = (
    ("for-1m", "1m", 60.0, "1"),
    ("for-5m", "5m", 300.0, "5"),
    ("for-15m", "15m", 900.0, "f"),
    ("for-1h", "1h", 3600.0, "h"),
    ("for-ever", "until I enable it", None, "u"),
)


@dataclass(frozen=True)
class DisableChoice:
    seconds: float | None  # None: until enabled
    reason: str


class DisableDialog(ModalScreen[DisableChoice | None]):
    """Choose how long to disable `model`."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        *(Binding(key, f"choose('{bid}')", f"{label}", show=False) for bid, label, _, key in CHOICES),
    ]

    def __init__(self, model: str, default_seconds: float = 300.0) -> None:
        super().__init__()
        self.model = model
        self.choices = {bid: seconds for bid, _, seconds, _ in CHOICES}
        self.default_id = next((bid for bid, _, s, _ in CHOICES if s == default_seconds), None)
        if self.default_id is None:  # a configured default that is not one of the buttons
            self.default_id = "for-default"
            self.choices = {"for-default": default_seconds, **self.choices}
        self.reason = Input(placeholder="optional, e.g. flaky today", id="reason", max_length=200)

    def compose(self):
        with Vertical(id="disable-dialog"):
            yield Label(f"Disable {self.model}", id="disable-title", markup=False)
            yield Static("Take it out of every chain for:", classes="dialog-text")
            with Horizontal(id="durations"):
                if self.default_id == "for-default":
                    yield Button(format_duration(self.choices["for-default"]), id="for-default",
                                 variant="primary")
                for bid, label, _, key in CHOICES:
                    yield Button(label, id=bid, variant="primary" if bid == self.default_id else "default",
                                 tooltip=f"key: {key}")
            yield Static("Reason (shown next to the countdown):", classes="dialog-text")
            yield self.reason
            yield Static("Enter: the highlighted one · keys 1 5 f h u · Esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(f"#{self.default_id}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id in self.choices:
            self.action_choose(event.button.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_choose(self.default_id)

    def action_choose(self, button_id: str) -> None:
        self.dismiss(DisableChoice(self.choices[button_id], self.reason.value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)
