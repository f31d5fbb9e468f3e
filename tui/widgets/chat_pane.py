"""The chat pane: a multi-turn conversation sent through the selected group's chain.

The pane is a consumer of the engine's events (no chain logic here): each answer gets an
`AnswerView`, each part of it an `AnswerMarkdown` that takes text as fast as it arrives and draws
it once a frame, and the transcript stays anchored to the bottom while text streams in. The
conversation is resent in full on every turn, with the chat's system prompt first, so the model
that answers sees the earlier turns whichever model gave them. Each turn is handed to the saved
chats (`ChatHistory`, a thread) as it ends; nothing here waits for the disk.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, UTC
from pathlib import Path
from typing import TYPE_CHECKING

from textual.containers import Vertical
from textual.widgets import Button, Static

from tui.engine.conversation import conversation
from tui.engine.events import (
    Answered, AttemptCancelled, AttemptFailed, AttemptSkipped, AttemptStarted, ChainFailed, ChatMessage, Restarted,
    Token, Waiting,
)
from tui.engine.history import ChatHandle
from tui.wording.trail import (attempt_text, format_trail, hedge_text, known_cost, return_text, short_name, spend_note,
                               spend_text)
from tui.messages import ChatBusy, LogEvent
from tui.widgets.answer import AnswerView
from tui.widgets.chat_actions import ChatActions
from tui.widgets.prompt import PromptInput
from tui.widgets.transcript import MAX_SHOWN_TURNS, Transcript

if TYPE_CHECKING:
    from tui.engine.api import ModelFallback
    from tui.engine.history import ChatHistory

__all__ = ["ChatPane", "MAX_SHOWN_TURNS", "warm_up"]

READ_SLICE_S = 0.005  # reading the stream yields to the event loop at least this often
WAIT_POLL_S = 0.25  # while every model is out: how often the countdown and the models are looked at


_warming: threading.Thread | None = None


def warm_up() -> None:
    """Load the Markdown widgets, their parser and the code highlighter's Python lexer in a thread,
    once: the app starts without them (about 45 ms) and loads them once its first screen is up,
    while the user reads it, so the first answer does not wait for them (about 80 ms)."""
    global _warming
    if _warming is None:
        _warming = threading.Thread(target=_warm, name="markdown warm-up", daemon=True)
        _warming.start()


def _warm() -> None:
    import tui.widgets.markdown_body  # noqa: F401  (the import is the work)
    from tui.widgets.markdown_blocks import _lexer

    _lexer("python")


class ChatPane(ChatActions, Vertical):
    """Transcript and prompt; `group` is the chain the next prompt goes through."""

    def __init__(self, engine: ModelFallback, group: str, *, id: str | None = None,
                 history: ChatHistory | None = None) -> None:
        super().__init__(id=id)
        self.engine = engine
        self.group = group
        self.history: list[ChatMessage] = []  # the turns (user, assistant), without the system prompt
        self.busy = False
        self._retry: tuple[str, str] | None = None  # (prompt, model that stopped) for "try next model"
        self.spent = 0.0  # what the providers reported for this conversation's answers (USD)
        self.priced = 0  # answers that came with a cost
        self.unpriced = 0  # answers that came without one (the total is then a floor)
        self.estimated = 0.0  # estimates from configured prices for answers without a cost (USD), kept apart
        self.estimates = 0  # answers counted in `estimated`
        self.hedges = 0  # hedged first tokens in this conversation (the event log counts them)
        self.store = history  # the saved chats (None: --no-history, `history: off`, or unusable)
        self.chat = ChatHandle(group, engine.config.systems.get(group, ""))
        self.own_system = False  # the system prompt was set for this chat (a group change keeps it)
        self.attached: list[Path] = []  # files picked for the next prompt
        self.last: tuple[str, AnswerView] | None = None  # the last prompt and the answer kept for it
        self.alternatives: list[AnswerView] = []  # every answer to the last prompt
        self.transcript = Transcript(id="transcript")
        self.prompt = PromptInput(group, id="prompt")
        self.border_title = f"Chat · {group}"

    def compose(self):
        yield self.transcript
        yield self.prompt

    async def on_mount(self) -> None:
        self.transcript.anchor()
        await self.transcript.show_system(self.chat.system)

    # -- user actions ----------------------------------------------------------------------------
    async def on_prompt_input_submitted(self, event: PromptInput.Submitted) -> None:
        event.stop()
        # Text that is not valid Unicode (a lone surrogate from a paste of undecodable bytes) never
        # goes on to a model: it would fail every model of the chain for a problem on our side.
        text = event.value.strip().encode("utf-8", "replace").decode("utf-8")
        if not text:
            return
        if self.busy:
            self.app.notify("An answer is still coming; press Esc to stop it first.", severity="warning")
            return
        content = self.with_files(text)
        if content is None:
            return  # a file could not be attached: said, and the prompt stays as typed
        self.prompt.value = ""
        self.prompt.remember(text)
        shown = text + "".join(f"\n📎 {p.name}" for p in self.attached_now)
        self.attached.clear()
        await self.transcript.add_prompt(shown)
        self.start(content)

    def start(self, text: str, start_after: str | None = None, *, again: bool = False) -> None:
        """Send `text` (already shown) with the conversation so far; `again`: the last prompt, asked
        again (its earlier answer is in the conversation's last turn and is left out)."""
        self._set_busy(True)
        self._close_offers()
        warm_up()  # if the app did not already (an app driven without its Ready)
        before = self.history[:-2] if again else self.history
        messages = conversation([*before, ChatMessage("user", text)], self.chat.system or None)
        self.screen.run_worker(self._converse(text, messages, start_after, again), name="chat", group="chat",
                               exclusive=True, exit_on_error=False, description=f"answer through {self.group}")

    def try_next(self) -> bool:
        """After a content-policy stop: send the same prompt to the models after the one that stopped."""
        if self._retry is None or self.busy:
            return False
        text, stopped_at = self._retry
        self._retry = None
        self.start(text, start_after=stopped_at)
        return True

    @property
    def can_try_next(self) -> bool:
        return self._retry is not None and not self.busy

    def stop(self) -> bool:
        """Esc: cancel the running answer (the partial stays, marked stopped)."""
        if not self.busy:
            return False
        self.screen.workers.cancel_group(self.screen, "chat")
        return True

    async def new_chat(self) -> None:
        """A new conversation; the one on screen is already saved, turn by turn."""
        self.stop()
        self.history.clear()
        self._retry = None
        self.last, self.alternatives = None, []
        self.spent, self.priced, self.unpriced, self.hedges = 0.0, 0, 0, 0
        self.estimated, self.estimates = 0.0, 0
        self.chat = ChatHandle(self.group, self.engine.config.systems.get(self.group, ""))
        self.own_system = False
        self.prompt.forget()
        await self.transcript.clear()
        await self.transcript.show_system(self.chat.system)
        self.prompt.focus()

    async def set_group(self, group: str) -> None:
        if group == self.group:
            return
        self.group = group
        self.border_title = f"Chat · {group}"
        self.prompt.set_group(group)
        if not self.history:
            self.chat.group = group
        if not self.own_system and not self.history:
            await self.set_system(self.engine.config.systems.get(group, ""), own=False)
        if self.history or self.transcript.query(".user"):
            await self.transcript.mount(Static(f"— now asking group {group} —", classes="divider", markup=False))

    async def set_system(self, system: str, *, own: bool = True) -> None:
        """The chat's system prompt (sent first on every turn, shown at the top, saved with the chat)."""
        self.chat.system = system.strip()
        self.own_system = own
        await self.transcript.show_system(self.chat.system)
        if self.store is not None and self.chat.id is not None:
            self.watch_saving(self.store.set_system(self.chat))

    # -- the conversation worker -----------------------------------------------------------------
    async def _converse(self, text: str, messages: list[ChatMessage], start_after: str | None,
                        again: bool) -> None:
        """Read the chain's events at network speed. Text goes into the answer (`add_text` costs a
        list append) and reaches the screen once a frame, however fast it comes: reading never
        waits for drawing. Reading yields to the event loop every `READ_SLICE_S` all the same, so
        keys and frames are not held up by a burst that arrived at once."""
        group = self.group
        answer = AnswerView(group)
        await self.transcript.mount(answer)
        attempts = []
        answered = False
        streaming: str | None = None  # the model whose text the current part shows
        slice_end = time.perf_counter() + READ_SLICE_S
        try:
            await self._wait_for_a_model(answer, group)
            async for event in self.engine.chat(group, messages, start_after=start_after):
                if isinstance(event, Token):
                    if event.reasoning:
                        answer.set_status(f"● {short_name(event.model)} thinking …")
                        continue
                    if streaming is not None and streaming != event.model:
                        await answer.mark_interrupted(streaming)  # another model's text without a Restarted
                        streaming = None
                    if streaming is None:
                        await answer.new_part(event.model)
                        streaming = event.model
                    answer.add_text(event.text)
                    if time.perf_counter() >= slice_end:
                        await asyncio.sleep(0)
                        slice_end = time.perf_counter() + READ_SLICE_S
                    continue
                if isinstance(event, AttemptStarted):
                    if event.hedge:
                        self.hedges += 1
                        note = hedge_text(event.beside or "", event.model, event.after_s or 0.0)
                        answer.set_status(f"… {note}")
                        self.post_message(LogEvent(f"hedge {self.hedges} in {group}: {note}"))
                    else:
                        verb = "retrying" if event.retry else "asking"
                        answer.set_status(f"… {verb} {short_name(event.model)}")
                elif isinstance(event, (AttemptSkipped, AttemptCancelled)):
                    attempts.append(event.attempt)
                    answer.set_trail(format_trail(attempts))
                elif isinstance(event, Waiting):
                    answer.set_status(f"… waiting {event.seconds:.0f}s: {event.reason}")
                elif isinstance(event, AttemptFailed):
                    attempts.append(event.attempt)
                    answer.set_trail(format_trail(attempts))
                    if event.action != "retry":
                        verb = "failover" if event.action == "failover" else "stopped"
                        self.post_message(LogEvent(f"{verb} in {group}: {attempt_text(event.attempt)}", "warning"))
                elif isinstance(event, Restarted):
                    streaming = None
                    await answer.mark_interrupted(event.model)
                    self.post_message(LogEvent(f"interrupted: {short_name(event.model)} cut off mid-answer; "
                                               "restarting on the next model", "warning"))
                elif isinstance(event, Answered):
                    answer.finish(event, format_trail(event.attempts, event))
                    self._count_cost(event.usage.cost, event.usage.estimated_cost)
                    self._answered(text, answer, event, again)
                    answered = True
                    if len(event.attempts) > 1:
                        self.post_message(LogEvent(f"answered by {short_name(event.model)} in {group} after "
                                                   f"{len(event.attempts) - 1} other attempt(s)"))
                elif isinstance(event, ChainFailed):
                    chain = self.engine.config.groups[group]
                    offer = (event.kind == "content_policy" and event.stopped_at is not None
                             and event.stopped_at != chain[-1] and not again)  # no "next model" after the last
                    self._retry = (text, event.stopped_at) if offer else None
                    answer.fail(event, format_trail(event.attempts), offer)
                    self.post_message(LogEvent(f"no answer in {group}: {event.message}", "error"))
        except asyncio.CancelledError:
            answer.stopped(format_trail(attempts))
            self.post_message(LogEvent(f"stopped by you in {group}"))
            raise
        finally:
            answer.flush()
            if not answered and not again:
                self.prompt.restore(self.prompt.earlier[-1] if self.prompt.earlier else text)
            self._set_busy(False)

    def _answered(self, text: str, answer: AnswerView, event: Answered, again: bool) -> None:
        """A turn ended with an answer: into the conversation, onto the copy key, into the saved chat."""
        trail = answer.trail
        if again and self.last is not None:
            self.history[-1] = ChatMessage("assistant", event.content)
            self.last[1].set_kept(False)
            self.alternatives.append(answer)
            self.last = (text, answer)
            if self.store is not None:
                self.watch_saving(self.store.replace_last_answer(self.chat, event.content, event.model, trail,
                                                                 known_cost(event.usage.cost)))
        else:
            self.history += [ChatMessage("user", text), ChatMessage("assistant", event.content)]
            self.last, self.alternatives = (text, answer), [answer]
            if self.store is not None:
                self.watch_saving(self.store.save_turn(self.chat, text, event.content, event.model, trail,
                                                       known_cost(event.usage.cost)))
        self.transcript.newest_target()
        self.refresh_bindings()

    async def _wait_for_a_model(self, answer: AnswerView, group: str) -> None:
        """Every model of the group is out: count down to the first one back (its cooldown's end or
        its next recheck, which the screen's ticker runs) and go on when one is usable. Esc cancels
        (the worker is cancelled and the prompt comes back). A model disabled until enabled is never
        waited for: with nothing coming back by itself the prompt goes out and fails as it must."""
        engine = self.engine
        shown = ""
        while engine.preferred(group) is None:
            back = engine.first_return(group)
            if back is None:
                return
            text = f"⧗ {return_text(*back)} — sending then; Esc cancels"
            if text != shown:
                answer.set_status(text)
                shown = text
            await asyncio.sleep(WAIT_POLL_S)  # the state is read afresh: another process's enable counts
        if shown:
            answer.set_status("… sending")

    def _count_cost(self, cost: float | None, estimate: float | None = None) -> None:
        cost = known_cost(cost)
        if cost is None:
            self.unpriced += 1
            estimate = known_cost(estimate)
            if estimate is not None:
                self.estimated += estimate
                self.estimates += 1
        else:
            self.spent += cost
            self.priced += 1

    @property
    def spend_text(self) -> str:
        """The conversation's total for the header (`$0.0042`), empty when no answer had a cost."""
        return spend_text(self.spent, self.priced, self.unpriced, self.estimated, self.estimates)

    def worker_crashed(self, error: BaseException) -> None:
        """The central worker handler reports an unexpected error in the chat worker."""
        answers = self.query(AnswerView)
        if answers:
            answers.last().crashed(f"{type(error).__name__}: {error}")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.post_message(ChatBusy(busy))

    def _close_offers(self) -> None:
        for answer in self.query(AnswerView):
            answer.close_offer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "try-next":
            event.stop()
            self.try_next()
        elif event.button.has_class("keep-answer"):
            event.stop()
            answer = next((a for a in event.button.ancestors if isinstance(a, AnswerView)), None)
            if answer is not None:
                self.keep(answer)

    # -- export ----------------------------------------------------------------------------------
    def to_markdown(self, now: float) -> str:
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = ["# modelfallback conversation", "", f"*exported {stamp}*", ""]
        spend = spend_note(self.spent, self.priced, self.unpriced, self.estimated, self.estimates)
        if spend:
            lines += [f"*{spend}*", ""]
        lines += self.transcript.to_markdown_lines()
        return "\n".join(lines).rstrip() + "\n"

    def export(self, folder: Path, now: float) -> Path:
        """Write the conversation as Markdown into `folder`; returns the file."""
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d-%H%M%S")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"modelfallback-chat-{stamp}.md"
        n = 1
        while path.exists():
            n += 1
            path = folder / f"modelfallback-chat-{stamp}-{n}.md"
        path.write_text(self.to_markdown(now), encoding="utf-8")
        return path
