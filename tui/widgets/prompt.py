"""The prompt input: Enter sends; the text stays here if the answer fails."""

from __future__ import annotations

from time import monotonic

from textual.widgets import Input


class PromptInput(Input):
    """A single-line prompt; the placeholder names the group and the keys to leave it.

    The cursor blinks while the user is at it and stops, shown steady, `BLINK_FOR_S` after the
    last key, click or focus (as GTK's cursors stop after 10 s): each blink repaints the screen
    around the prompt, about 1 % of a core in an app that is otherwise quiet.
    """

    BLINK_FOR_S = 10.0

    def __init__(self, group: str, *, id: str | None = None) -> None:
        super().__init__(placeholder="", id=id)
        self.set_group(group)
        self._active_at = monotonic()  # the user's last key, click or focus here
        self._quiet = None  # the timer that stops the blink

    def on_mount(self) -> None:
        self._arm(self.BLINK_FOR_S)

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

    def set_group(self, group: str) -> None:
        self.placeholder = f"Ask {group} … (Enter sends · Tab: models · F1: help)"

    def restore(self, text: str) -> None:
        """Put a prompt back (after a failed send) unless the user already typed a new one."""
        if not self.value:
            self.value = text
            self.cursor_position = len(text)
