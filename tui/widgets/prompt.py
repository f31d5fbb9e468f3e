"""The prompt input: Enter sends; the text stays here if the answer fails."""

from __future__ import annotations

from textual.widgets import Input


class PromptInput(Input):
    """A single-line prompt; the placeholder names the group and the keys to leave it."""

    def __init__(self, group: str, *, id: str | None = None) -> None:
        super().__init__(placeholder="", id=id)
        self.set_group(group)

    def set_group(self, group: str) -> None:
        self.placeholder = f"Ask {group} … (Enter sends · Tab: models · F1: help)"

    def restore(self, text: str) -> None:
        """Put a prompt back (after a failed send) unless the user already typed a new one."""
        if not self.value:
            self.value = text
            self.cursor_position = len(text)
