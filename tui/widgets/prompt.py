"""The prompt: several lines, Enter sends, the text stays here if the answer fails.

A `TextArea` (Textual's `Input` keeps only the first line of a paste): Enter sends through a
priority binding, shift+Enter adds a line, and so does ctrl+j for terminals that cannot tell
shift+Enter from Enter. A paste of any size goes in whole. The box grows with its text up to a
few lines (the stylesheet's `max-height`) and then scrolls. Up on an empty prompt brings back
this chat's earlier prompts, newest first; Down goes forward again.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import monotonic

from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea


class PromptInput(TextArea):
    """The chat's prompt; the placeholder names the group and the keys.

    The cursor blinks while the user is at it and stops, shown steady, `BLINK_FOR_S` after the
    last key, click or focus (as GTK's cursors stop after 10 s): each blink repaints the screen
    around the prompt, about 1 % of a core in an app that is otherwise quiet.
    """

    BLINK_FOR_S = 10.0
    BINDINGS = [
        Binding("enter", "submit", "Send", show=False, priority=True),
        Binding("shift+enter,ctrl+j", "newline", "New line", show=False, priority=True),
    ]

    @dataclass
    class Submitted(Message):
        """Enter in the prompt: `value` is its whole text."""

        prompt: PromptInput
        value: str

        @property
        def control(self) -> PromptInput:
            return self.prompt

    def __init__(self, group: str, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, highlight_cursor_line=False,
                         tab_behavior="focus")
        self.set_group(group)
        self._active_at = monotonic()  # the user's last key, click or focus here
        self._quiet = None  # the timer that stops the blink
        self.earlier: list[str] = []  # this chat's prompts, oldest first (Up brings them back)
        self._recalled: int | None = None  # the index of `earlier` shown, while it is unchanged

    def on_mount(self) -> None:
        self._arm(self.BLINK_FOR_S)

    # -- the text --------------------------------------------------------------------------------
    @property
    def value(self) -> str:
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)

    # Enter and the new-line keys are priority bindings: they run as the app receives the key, before
    # keys that arrived with them in one burst (a paste without bracketed paste, a script, dictation)
    # have reached this widget. `call_later` queues the action behind those keys.
    def action_submit(self) -> None:
        self.call_later(lambda: self.post_message(self.Submitted(self, self.text)))

    def action_newline(self) -> None:
        self._wake()
        self.call_later(self.insert, "\n")

    def restore(self, text: str) -> None:
        """Put a prompt back (after a failed send) unless the user already typed a new one."""
        if not self.text:
            self.value = text

    def set_group(self, group: str) -> None:
        self.placeholder = f"Ask {group} … (Enter sends · shift+Enter/^j new line · Tab: models · F1: help)"

    # -- recalling earlier prompts ---------------------------------------------------------------
    def remember(self, text: str) -> None:
        """A prompt that was sent: Up on an empty prompt brings it back."""
        if not self.earlier or self.earlier[-1] != text:
            self.earlier.append(text)
        self._recalled = None

    def forget(self) -> None:
        """A new chat: its prompts start afresh."""
        self.earlier.clear()
        self._recalled = None

    def _recalling(self) -> bool:
        """Up/Down walk the earlier prompts when the box is empty or shows one of them, untouched."""
        if not self.text:
            return bool(self.earlier)
        return self._recalled is not None and self.text == self.earlier[self._recalled]

    def action_cursor_up(self, select: bool = False) -> None:
        if select or not self._recalling():
            super().action_cursor_up(select)
            return
        index = len(self.earlier) - 1 if self._recalled is None else max(0, self._recalled - 1)
        self._show_recalled(index)

    def action_cursor_down(self, select: bool = False) -> None:
        if select or not self._recalling() or self._recalled is None:
            super().action_cursor_down(select)
            return
        if self._recalled + 1 < len(self.earlier):
            self._show_recalled(self._recalled + 1)
        else:
            self._recalled = None
            self.load_text("")

    def _show_recalled(self, index: int) -> None:
        self.value = self.earlier[index]
        self._recalled = index

    # -- the cursor's blink ----------------------------------------------------------------------
    def _arm(self, delay: float) -> None:
        self._quiet = self.set_timer(delay, self._quiet_time, name="cursor blink timeout")

    def _quiet_time(self) -> None:
        left = self._active_at + self.BLINK_FOR_S - monotonic()
        if left > 0:  # the user came back meanwhile
            self._arm(left)
            return
        self._quiet = None
        self.cursor_blink = False

    def _wake(self) -> None:
        """The user is here: blink (again), until `BLINK_FOR_S` after this."""
        self._active_at = monotonic()
        if not self.cursor_blink:
            self.cursor_blink = True
        if self._quiet is None and self.is_mounted:
            self._arm(self.BLINK_FOR_S)

    def on_key(self) -> None:
        self._wake()

    def on_paste(self) -> None:
        self._wake()

    def on_mouse_down(self) -> None:
        self._wake()

    def on_focus(self) -> None:
        self._wake()
