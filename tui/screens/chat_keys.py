"""The main screen's chat keys beyond sending: saved chats, copy, ask again, keep, attach, system prompt.

A mixin of `MainScreen`: the keys open the dialogs (screens) and call the chat pane, which does
the work. `CHAT_BINDINGS` join the screen's own, so they work wherever the focus is.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from textual.binding import Binding

from tui.engine.history import HistoryUnavailable
from tui.screens.chat_dialogs import AskModelDialog, AttachDialog, TextDialog
from tui.screens.chats import ChatsScreen, screen_name

if TYPE_CHECKING:
    from tui.engine.api import ModelFallback
    from tui.widgets.chat_pane import ChatPane

CHAT_BINDINGS = [
    Binding("ctrl+o", "chats", "Chats", id="chats.show", tooltip="Saved chats: search, open, rename, delete"),
    # one key, two descriptions: the footer says whether ctrl+b copies the answer or a code block
    Binding("ctrl+b", "copy('answer')", "Copy", id="chat.copy",
            tooltip="Copy the marked answer to the clipboard"),
    Binding("ctrl+b", "copy('code')", "Copy code", id="chat.copy_code",
            tooltip="Copy the marked code block to the clipboard"),
    Binding("ctrl+up", "copy_target(-1)", "Mark earlier", show=False, id="chat.mark_earlier",
            tooltip="Mark the answer or code block before for ctrl+b"),
    Binding("ctrl+down", "copy_target(1)", "Mark later", show=False, id="chat.mark_later",
            tooltip="Mark the answer or code block after for ctrl+b"),
    Binding("ctrl+r", "ask_again", "Ask again", show=False, id="chat.ask_again",
            tooltip="Ask the last prompt again: the next model is highlighted, or pick one"),
    Binding("f4", "keep", "Keep answer", show=False, id="chat.keep",
            tooltip="Two answers to the last prompt: carry on with the marked one"),
    Binding("ctrl+f", "attach", "Attach", show=False, id="chat.attach",
            tooltip="Attach a text file to the next prompt (or type @path in the prompt)"),
]


class ChatKeys:
    """Mixed into `MainScreen`, whose attributes and methods these are."""

    engine: ModelFallback
    chat: ChatPane
    def chat_check(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Which chat keys apply now (False hides a key from the footer)."""
        chat = self.chat
        if action == "copy":
            target = chat.copy_target
            if target is None or chat.busy:  # nothing to copy yet, or Stop needs the footer's room
                return False
            return (target.block is None) == (parameters == ("answer",))
        if action == "ask_again":
            return chat.can_ask_again
        if action == "keep":
            target = chat.copy_target
            return target is not None and len(chat.alternatives) > 1 and target.answer in chat.alternatives
        return True  # ctrl+o without saved chats says why

    # -- saved chats -------------------------------------------------------------------------------
    def action_chats(self) -> None:
        if self.chat.store is None:
            self.app.notify("Chats are not saved (--no-history, or history: off in groups.yaml).", timeout=5)
            return
        name = screen_name(self.chat.store)  # one screen per history, kept: styled and laid out once
        if not self.app.is_screen_installed(name):
            self.app.install_screen(ChatsScreen(self.chat.store, self.engine.clock.wall), name)
        self.app.push_screen(name, self._open_chat)

    def _open_chat(self, chat_id: int | None) -> None:
        if chat_id is not None:
            self.run_worker(self._load_chat(chat_id), name="open chat", group="chat-open", exit_on_error=False)

    async def _load_chat(self, chat_id: int) -> None:
        store = self.chat.store
        assert store is not None
        try:
            saved = await asyncio.wrap_future(store.load(chat_id))
        except HistoryUnavailable as exc:
            self.app.notify(str(exc), severity="error", markup=False)
            return
        if saved is None:
            self.app.notify("That chat was deleted meanwhile.", severity="warning")
            return
        if self.chat.busy:
            self.chat.stop()
        group = saved.summary.group
        if group in self.engine.config.groups:
            await self.choose_group(group)
        await self.chat.open_saved(saved)
        self.log_event(f"opened the chat “{saved.summary.title}” ({len(saved.turns)} turns)")
        self.refresh_bindings()

    # -- copy --------------------------------------------------------------------------------------
    def action_copy(self, kind: str = "answer") -> None:
        self.chat.copy()

    def action_copy_target(self, step: int) -> None:
        self.chat.move_copy_target(step)
        self.refresh_bindings()

    # -- ask again and keep ------------------------------------------------------------------------
    def action_ask_again(self) -> None:
        chat = self.chat
        if not chat.can_ask_again or chat.last is None:
            return
        rows = [self.engine.status(m) for m in self.engine.config.groups[chat.group]]

        def chosen(model: str | None) -> None:
            if model is not None:
                self.run_worker(chat.ask_again(model), name="ask again", group="chat-again", exit_on_error=False)

        self.app.push_screen(AskModelDialog(rows, chat.next_model(), chat.last[1].model), chosen)

    async def action_ask_next(self) -> None:
        """The last prompt to the next model of the group, without the list."""
        model = self.chat.next_model()
        if model is None:
            self.app.notify("The answer came from the group's last model; ctrl+r picks another.", timeout=5)
            return
        await self.chat.ask_again(model)

    def action_keep(self) -> None:
        target = self.chat.copy_target
        if target is not None:
            self.chat.keep(target.answer)
            self.refresh_bindings()

    # -- attach, system prompt ---------------------------------------------------------------------
    def action_attach(self) -> None:
        def chosen(path: Path | None) -> None:
            if path is not None:
                self.chat.attach(path)
        self.app.push_screen(AttachDialog(Path.cwd()), chosen)

    def action_system_prompt(self) -> None:
        def written(text: str | None) -> None:
            if text is not None:
                self.run_worker(self.chat.set_system(text), name="system prompt", exit_on_error=False)
                self.log_event("system prompt " + ("set" if text.strip() else "cleared") + " for this chat",
                               toast=True)

        self.app.push_screen(TextDialog("System prompt for this chat", self.chat.chat.system, multiline=True,
                                        hint="sent first on every turn, saved with the chat"), written)
