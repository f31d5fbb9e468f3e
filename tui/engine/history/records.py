"""What a saved chat is made of, as the chats screen and the chat pane read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChatSummary:
    """One row of the chats screen."""

    id: int
    title: str
    group: str
    models: tuple[str, ...]  # the models that answered, first answer first
    created: float
    updated: float
    turns: int
    spent: float
    priced: int
    unpriced: int
    snippet: str = ""  # for a search: where the words were found


@dataclass(frozen=True, slots=True)
class SavedTurn:
    """A prompt and the answer the conversation carries on with."""

    prompt: str
    answer: str
    model: str
    group: str
    trail: str
    cost: float | None
    at: float


@dataclass(frozen=True, slots=True)
class SavedChat:
    summary: ChatSummary
    system: str
    turns: tuple[SavedTurn, ...]
