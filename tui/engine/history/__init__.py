"""Saved chats (SQLite, WAL, FTS5): the store, and the thread that keeps it off the event loop."""

from tui.engine.history.history import UNDO_S, ChatHandle, ChatHistory, HistoryUnavailable
from tui.engine.history.records import ChatSummary, SavedChat, SavedTurn

__all__ = ["UNDO_S", "ChatHandle", "ChatHistory", "ChatSummary", "HistoryUnavailable", "SavedChat", "SavedTurn"]
