"""Messages the widgets post to the main screen (dataclass style)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class GroupChosen(Message):
    """The user picked a group in the groups panel (or the palette): the chat now uses it."""

    group: str


@dataclass
class LogEvent(Message):
    """A line for the event log; `toast` (the user's own action) also shows it as a notification,
    anything else also goes to the status line for a few seconds."""

    text: str
    severity: str = "information"  # information / warning / error
    toast: bool = False


@dataclass
class ChatBusy(Message):
    """An answer started (True) or ended (False); the footer shows or hides Stop."""

    busy: bool
