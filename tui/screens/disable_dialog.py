"""The disable dialog: how long a model stays out (1m / 5m / 15m / 1h / until enabled) and why.

Focus starts in the reason box, so whatever the user types is the reason (a printable key
pressed while a button has focus goes there too): a plain letter never picks a duration.
One duration is highlighted, at first the config's `manual_disable` (5m unless changed); ↑ and
↓ move the highlight to a shorter or longer one without leaving the reason, and Enter disables
for it. The arrows are keys every terminal sends alike; alt+digit is not (Textual reads ESC 1
as the macOS option character `¡`, ESC f as ctrl+right), and ctrl+digit most terminals never
send. Each duration is also a button: click it, or Tab to it (focus and highlight are then one
button) and press Enter. Esc cancels. The result is a `DisableChoice`, or None.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.engine.durations import format_duration

# (button id, label, seconds); None seconds = until I enable it
CHOICES = (
    ("for-1m", "1m", 60.0),
    ("for-5m", "5m", 300.0),
    ("for-15m", "15m", 900.0),
    ("for-1h", "1h", 3600.0),
    ("for-ever", "until I enable it", None),
)
REASON_MAX = 200  # a reason is one line, shown beside a countdown


@dataclass(frozen=True)
class DisableChoice:
    seconds: float | None  # None: until enabled
    reason: str


class DisableDialog(ModalScreen[DisableChoice | None]):
    """Choose how long to disable `model`, and why."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("up", "move(-1)", "Shorter", show=False),
        Binding("down", "move(1)", "Longer", show=False),
    ]

    def __init__(self, model: str, default_seconds: float = 300.0) -> None:
        super().__init__()
        self.model = model
        self.labels = {bid: label for bid, label, _ in CHOICES}
        self.choices = {bid: seconds for bid, _, seconds in CHOICES}  # shortest first, until enabled last
        default_id = next((bid for bid, _, s in CHOICES if s == default_seconds), None)
        if default_id is None:  # a configured default that is not one of the buttons: its own, in order
            default_id = "for-default"
            self.labels[default_id] = format_duration(default_seconds)
            timed = sorted([*((b, s) for b, s in self.choices.items() if s is not None),
                            (default_id, default_seconds)], key=lambda item: item[1])
            self.choices = {**dict(timed), "for-ever": None}
        self.highlighted = default_id
        self.reason = Input(placeholder="optional, e.g. flaky today", id="reason", max_length=REASON_MAX,
                            select_on_focus=False)  # a key typed on a button goes on the reason

    def compose(self):
        with Vertical(id="disable-dialog"):
            yield Label(f"Disable {self.model}", id="disable-title", markup=False)
            yield Static("Reason (shown next to the countdown):", classes="dialog-text")
            yield self.reason
            yield Static("Take it out of every chain for:", classes="dialog-text")
            with Horizontal(id="durations"):
                for bid in self.choices:
                    yield Button(self.labels[bid], id=bid, variant="primary" if bid == self.highlighted else "default")
            yield Static("Enter: the highlighted one · ↑ ↓: shorter / longer\n"
                         "Tab: the buttons · Esc: cancel", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.reason.focus()

    def on_key(self, event: events.Key) -> None:
        """A printable key pressed on a button belongs to the reason: typing goes on there."""
        if event.is_printable and event.character and self.focused is not self.reason:
            event.stop()
            event.prevent_default()
            self.reason.focus()
            self.reason.insert_text_at_cursor(event.character)

    def action_move(self, step: int) -> None:
        """Highlight the next shorter (-1) or longer (+1) duration; the ends stay put."""
        ids = list(self.choices)
        index = min(len(ids) - 1, max(0, ids.index(self.highlighted) + step))
        self.highlight(ids[index])

    def highlight(self, button_id: str) -> None:
        """One highlighted duration; once Tab left the reason, focus and highlight are one button,
        so Enter presses what is shown."""
        if button_id != self.highlighted:
            self.query_one(f"#{self.highlighted}", Button).variant = "default"
            self.highlighted = button_id
            self.query_one(f"#{button_id}", Button).variant = "primary"
        if self.focused is not self.reason:
            self.query_one(f"#{button_id}", Button).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget.id in self.choices:  # Tab or a click onto a button highlights it
            self.highlight(event.widget.id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id in self.choices:
            self.action_choose(event.button.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_choose(self.highlighted)

    def action_choose(self, button_id: str) -> None:
        self.dismiss(DisableChoice(self.choices[button_id], " ".join(self.reason.value.split())))

    def action_cancel(self) -> None:
        self.dismiss(None)
