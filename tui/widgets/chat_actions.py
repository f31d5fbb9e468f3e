"""What the chat does besides sending a prompt: copy, ask again, keep an answer, attach, reopen.

A mixin of `ChatPane` (the attributes it reads are the pane's). The keys and dialogs that call
these live on the main screen; here is only what they change in the conversation.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from textual.widgets import Static

from tui.engine.attachments import AttachError, mentioned, read_attachment, with_attachments
from tui.engine.events import ChatMessage
from tui.engine.history import ChatHandle, HistoryUnavailable
from tui.messages import LogEvent
from tui.wording.trail import short_name
from tui.widgets.answer import AnswerView
from tui.widgets.transcript import CopyTarget

if TYPE_CHECKING:
    from tui.engine.api import ModelFallback
    from tui.engine.history import ChatHistory, SavedChat
    from tui.widgets.prompt import PromptInput
    from tui.widgets.transcript import Transcript


class ChatActions:
    """Mixed into `ChatPane`, whose attributes these are."""

    engine: ModelFallback
    group: str
    history: list[ChatMessage]
    busy: bool
    store: ChatHistory | None
    chat: ChatHandle
    own_system: bool
    attached: list[Path]
    last: tuple[str, AnswerView] | None
    alternatives: list[AnswerView]
    transcript: Transcript
    prompt: PromptInput
    spent: float
    priced: int
    unpriced: int
    attached_now: tuple[Path, ...] = ()  # the files the last prompt carried

    # -- saving ------------------------------------------------------------------------------------
    def watch_saving(self, future: Future) -> None:
        """A save runs on the history's thread; a failure is told in the event log, once it is known."""
        loop = asyncio.get_running_loop()

        def done(f: Future) -> None:
            error = f.exception()
            if error is not None and not isinstance(error, HistoryUnavailable):
                loop.call_soon_threadsafe(self.post_message,
                                          LogEvent(f"the chat could not be saved: {error}", "error", toast=True))
        future.add_done_callback(done)

    async def open_saved(self, saved: SavedChat) -> None:
        """Continue a saved chat: its turns become the conversation, its last ones are shown."""
        await self.new_chat()
        self.chat = ChatHandle(saved.summary.group, saved.system, saved.summary.id)
        self.own_system = True
        s = saved.summary
        self.spent, self.priced, self.unpriced = s.spent, s.priced, s.unpriced
        await self.transcript.show_saved(saved)
        for turn in saved.turns:
            self.history += [ChatMessage("user", turn.prompt), ChatMessage("assistant", turn.answer)]
            self.prompt.remember(turn.prompt)
        answers = self.query(AnswerView)
        if saved.turns and answers:
            self.last, self.alternatives = (saved.turns[-1].prompt, answers.last()), [answers.last()]
        self.transcript.newest_target()
        self.prompt.focus()

    # -- attachments -------------------------------------------------------------------------------
    def largest_context(self) -> tuple[str, int] | None:
        """(model, tokens): the largest context a model of the group publishes, or None."""
        known = [(short_name(m), n) for m in self.engine.config.groups[self.group]
                 if (n := self.engine.catalog.context_length(m))]
        return max(known, key=lambda pair: pair[1]) if known else None

    def attach(self, path: Path) -> bool:
        """A file picked for the next prompt: checked now, so a refusal comes before the prompt is typed."""
        try:
            read_attachment(path, self.largest_context())
        except AttachError as exc:
            self.app.notify(str(exc), severity="error", markup=False, timeout=8)
            return False
        if path not in self.attached:
            self.attached.append(path)
        self.post_message(LogEvent(f"attached {path.name} to the next prompt", toast=True))
        return True

    def with_files(self, text: str) -> str | None:
        """The prompt with the picked files and the `@path` ones; None (and a message) when one is refused."""
        paths = [*self.attached, *(p for p in mentioned(text, Path.cwd()) if p not in self.attached)]
        context = self.largest_context()
        try:
            files = [read_attachment(p, context) for p in paths]
        except AttachError as exc:
            self.app.notify(f"Not sent: {exc}", severity="error", markup=False, timeout=8)
            return None
        self.attached_now = tuple(paths)
        return with_attachments(text, files) if files else text

    # -- copy --------------------------------------------------------------------------------------
    @property
    def copy_target(self) -> CopyTarget | None:
        return self.transcript.target()

    def copy(self) -> bool:
        """The marked answer or code block to the clipboard (OSC 52: it works over SSH too)."""
        target = self.copy_target
        if target is None:
            self.app.notify("No answer to copy yet.", timeout=3)
            return False
        self.app.copy_to_clipboard(target.text)
        lines = target.text.count("\n") + 1
        self.post_message(LogEvent(f"copied the {target.label} ({lines} line{'s' if lines != 1 else ''})",
                                   toast=True))
        return True

    def move_copy_target(self, step: int) -> None:
        target = self.transcript.move_target(step)
        if target is not None:
            self.border_subtitle = f"^b copies the {target.label}"

    # -- ask again, keep ---------------------------------------------------------------------------
    @property
    def can_ask_again(self) -> bool:
        return self.last is not None and not self.busy and bool(self.history)

    def next_model(self) -> str | None:
        """The model after the one whose answer is kept, in the group's chain (None: it was the last)."""
        chain = self.engine.config.groups[self.group]
        if self.last is None or self.last[1].model not in chain:
            return chain[0]
        index = chain.index(self.last[1].model) + 1
        return chain[index] if index < len(chain) else None

    async def ask_again(self, model: str) -> None:
        """The last prompt again, from `model` on down the group's chain; both answers stay shown."""
        if not self.can_ask_again or self.last is None:
            return
        chain = self.engine.config.groups[self.group]
        index = chain.index(model) if model in chain else 0
        await self.transcript.mount(Static(f"— asked again, from {short_name(model)} —", classes="divider",
                                           markup=False))
        self.start(self.last[0], start_after=chain[index - 1] if index > 0 else None, again=True)

    def keep(self, answer: AnswerView) -> bool:
        """Carry on with `answer` (one of the last prompt's): the conversation's last turn becomes it."""
        if answer not in self.alternatives or self.last is None or answer is self.last[1] or not answer.text:
            return False
        self.last[1].set_kept(False)
        answer.set_kept(True)
        self.last = (self.last[0], answer)
        self.history[-1] = ChatMessage("assistant", answer.text)
        if self.store is not None:
            self.watch_saving(self.store.replace_last_answer(self.chat, answer.text, answer.model or "",
                                                             answer.trail, None))
        self.post_message(LogEvent(f"carrying on with the answer by {answer.short_model}", toast=True))
        return True


