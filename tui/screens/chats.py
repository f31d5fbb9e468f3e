"""The chats screen: every saved chat, newest first; search, open, rename, delete (with undo).

The list and the search run on the history's thread (`ChatHistory`); the screen shows what they
return. A deleted chat disappears at once and can be brought back with `u` for `UNDO_S`
seconds; it is removed for good after that (or, if the app quits first, at the next start).
Opening a chat dismisses the screen with the chat's id; the main screen loads it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from datetime import datetime
from functools import partial

from textual import on, work
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import ScreenResume
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from tui.engine.history import UNDO_S, ChatHistory, ChatSummary, HistoryUnavailable
from tui.wording.trail import short_name, spend_text
from tui.screens.chat_dialogs import TextDialog
from tui.widgets.redraw_table import RedrawTable
from tui.widgets.steady_footer import SteadyFooter

COLUMNS = ("Title", "Group", "Models", "Date", "Spend")
LISTED = 200  # the newest chats listed without a search (a search reaches every chat): the table's cost grows per row


def screen_name(history: ChatHistory) -> str:
    """The name the chats screen of `history` is installed under (one, kept between openings)."""
    return f"chats-{id(history)}"


def when(stamp: float, now: float) -> str:
    """`14:05` today, `Dec 03` this year, `2025-12-03` before."""
    at, today = datetime.fromtimestamp(stamp), datetime.fromtimestamp(now)
    if at.date() == today.date():
        return at.strftime("%H:%M")
    return at.strftime("%b %d") if at.year == today.year else at.strftime("%Y-%m-%d")


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(1, width - 1)].rstrip() + "…"


def row_for(chat: ChatSummary, now: float, width: int) -> tuple[str, ...]:
    """One row; the title (with where a search found its words, unless that is the title itself) and
    the models are cut to fit `width` columns, so Date and Spend stay on screen at 80 columns."""
    title = chat.title
    if chat.snippet and chat.snippet.rstrip("…").strip() not in chat.title:
        title = f"{title} — {chat.snippet}"
    fixed = 8 + 8 + 10 + 10  # group, date, spend and the gaps between columns
    title_width = max(20, (width - fixed) * 3 // 5)
    models = ", ".join(short_name(m) for m in chat.models)
    return (clip(title, title_width), chat.group, clip(models, max(12, width - fixed - title_width)),
            when(chat.updated, now), spend_text(chat.spent, chat.priced, chat.unpriced))


class ChatsScreen(Screen[int | None]):
    """Saved chats; dismisses with the id of the chat to open, or None."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="chats.close"),
        Binding("enter", "open", "Open", id="chats.open", show=True),
        Binding("slash", "search", "Search", id="chats.search"),
        Binding("down", "to_list", "To the list", show=False),
        Binding("r", "rename", "Rename", id="chats.rename"),
        Binding("d,delete", "delete", "Delete", id="chats.delete"),
        Binding("u", "undo", "Undo delete", id="chats.undo"),
    ]

    def __init__(self, history: ChatHistory, now) -> None:
        super().__init__()
        self.history = history
        self.now = now  # wall time, seconds
        self.chats: list[ChatSummary] = []
        self.undo: ChatSummary | None = None  # the last deleted chat, while it can come back
        self._styled_for: tuple = ()  # `_styled_by()` when it was last shown
        self._drawn: tuple = ()  # (width, day) the table's rows were made for
        self._made: dict[ChatSummary, tuple[tuple, tuple[Content, ...]]] = {}  # each listed chat's (drawn, cells)
        self.listings = 0  # how many times the list was shown (tests and benchmarks wait on it)
        self.closed = True  # not on screen since it was last dismissed: the next resume is an opening
        self.table: RedrawTable = RedrawTable(id="chats-table", cursor_type="row", zebra_stripes=True)
        self.search = Input(placeholder="search every chat (full text) … Enter: to the list", id="chats-search")
        self.empty = Static("", id="chats-empty", markup=False)

    def compose(self):
        with Vertical(id="chats-box") as box:
            box.border_title = "Chats"
            box.border_subtitle = "Enter opens · / searches · r renames · d deletes · Esc closes"
            yield self.search
            yield self.empty
            yield self.table
        yield SteadyFooter(compact=True)

    def on_mount(self) -> None:
        self.table.add_columns(*COLUMNS)

    def close(self) -> None:
        """Leaving: the next opening starts with a fresh list."""
        self.closed = True

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Each opening (the screen is kept between them, so only the list is made again) starts
        with an empty search holding the focus: what the user types is a search, never a rename or
        a delete (the list's one-letter keys work once Enter or ↓ has moved there). Coming back
        from a dialog on top changes nothing."""
        outside = self._styled_by()
        if outside == self._styled_for:
            event.refresh_styles = False  # Textual's own handler, after this one, would style it all again
        self._styled_for = outside
        if not self.closed:
            return
        self.closed = False
        self.search.value = ""
        self.search.focus()
        # Asked here, before Textual styles the screen again (its own resume handler runs after this
        # one, ~15 ms): the database's thread answers meanwhile (~3 ms), and the list is shown
        # before the screen's first frame, which then has its rows (else it comes a frame later).
        future = self.history.list(LISTED)
        self.call_next(self._listed, future)

    def _styled_by(self) -> tuple:
        """What this screen's styles depend on outside it: the app's stylesheet (a theme switch
        counts it up), its classes and pseudo-classes (dark, ansi), whether the terminal has focus.
        When none of that changed since it was last on screen, its widgets' styles are as they were."""
        app = self.app
        return app._css_update_count, app.app_focus, app.classes, app.pseudo_classes

    def _listed(self, future: Future[list[ChatSummary]]) -> None:
        """Before the opening's first frame: the list, when the database has answered. Else the
        first frame shows the last opening's rows, and the worker puts the list in their place
        (mostly the same rows: then nothing is drawn again) or says why there is none."""
        if future.done() and future.exception() is None:
            self.show(future.result(), "No saved chat yet.")
        else:
            self.load("", future)

    # -- the list ----------------------------------------------------------------------------------
    @work(exclusive=True, group="chats-list")
    async def load(self, text: str, future: Future[list[ChatSummary]] | None = None) -> None:
        """The newest chats, or those a search finds (the database works on its own thread)."""
        if future is None:
            future = self.history.search(text) if text.strip() else self.history.list(LISTED)
        try:
            chats = await asyncio.wrap_future(future)
        except HistoryUnavailable as exc:
            self.show([], str(exc))
            return
        self.show(chats, "No chat matches." if text.strip() else "No saved chat yet.")

    def show(self, chats: list[ChatSummary], empty: str) -> None:
        """The rows; the highlight stays on the chat it was on when that one is still listed. A list
        the table already shows (the same chats, as wide, the same day) keeps its rows as they are,
        and the rows drawn for them (an opening with no chat changed since the last)."""
        before = self.selected()
        row = self.table.cursor_row
        ids = [c.id for c in chats]
        if before is not None and before.id in ids:
            row = ids.index(before.id)
        now = self.now()
        width = self.size.width or self.app.size.width
        table = self.table
        drawn = (width, datetime.fromtimestamp(now).date())  # what a row's text depends on besides its chat
        if chats != self.chats or drawn != self._drawn or table.row_count != len(chats):
            self.chats, self._drawn = chats, drawn
            table.clear()
            table.add_rows(self._rows(chats, now, width))
        if chats:
            table.move_cursor(row=min(max(row, 0), len(chats) - 1), animate=False)
        if self.empty.content != empty:
            self.empty.update(empty)  # a layout of the screen: only when the words change
        self.empty.display = not chats
        table.display = True
        self.listings += 1

    def _rows(self, chats: list[ChatSummary], now: float, width: int) -> list[tuple[Content, ...]]:
        """Each chat's cells (text as typed, never markup), made once per chat, width and day: a
        search and its way back to the whole list show mostly the same chats."""
        key = self._drawn
        made = {chat: self._made[chat] for chat in chats if chat in self._made and self._made[chat][0] == key}
        for chat in chats:
            if chat not in made:
                made[chat] = (key, tuple(map(Content, row_for(chat, now, width))))
        self._made = made
        return [made[chat][1] for chat in chats]

    @on(Input.Changed, "#chats-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.load(event.value)

    @on(Input.Submitted, "#chats-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def selected(self) -> ChatSummary | None:
        row = self.table.cursor_row
        return self.chats[row] if self.chats and 0 <= row < len(self.chats) else None

    # -- actions -----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("rename", "delete", "undo") and self.search.has_focus:
            return False  # keys of the list: in the search they are letters typed (F2 is the doctor's everywhere)
        if action == "undo":
            return self.undo is not None
        if action in ("open", "rename", "delete"):
            return None if self.selected() is None else True
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # the footer shows the list's keys only while the list has focus

    def action_close(self) -> None:
        if self.search.has_focus and self.search.value:
            self.search.value = ""
            return
        self.close()
        self.dismiss(None)

    def action_search(self) -> None:
        self.search.focus()

    def action_to_list(self) -> None:
        """↓ in the search: on to the list (the list's own ↓ moves its highlight)."""
        self.table.focus()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        chat = self.selected()
        if chat is not None:
            self.close()
            self.dismiss(chat.id)

    def action_rename(self) -> None:
        chat = self.selected()
        if chat is None:
            return

        def renamed(title: str | None) -> None:
            if title and title.strip():
                self.history.rename(chat.id, title)
                self.load(self.search.value)

        self.app.push_screen(TextDialog("Rename the chat", chat.title), renamed)

    def action_delete(self) -> None:
        chat = self.selected()
        if chat is None:
            return
        self.history.delete(chat.id)
        self.undo = chat
        self.app.notify(f"Deleted “{chat.title}”. Press u within {UNDO_S:.0f} s to bring it back.",
                        markup=False, timeout=UNDO_S)
        self.app.set_timer(UNDO_S, partial(self._undo_over, chat))
        self.load(self.search.value)
        self.refresh_bindings()

    def _undo_over(self, chat: ChatSummary) -> None:
        """The undo time ran out: the chats deleted that long ago go for good."""
        self.history.purge()
        if self.undo is chat:
            self.undo = None
            if self.is_mounted:
                self.refresh_bindings()

    def action_undo(self) -> None:
        if self.undo is None:
            return
        self.history.undelete(self.undo.id)
        self.app.notify(f"“{self.undo.title}” is back.", markup=False, timeout=3)
        self.undo = None
        self.load(self.search.value)
        self.refresh_bindings()
