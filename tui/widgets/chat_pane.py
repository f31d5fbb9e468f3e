"""The chat pane: a multi-turn conversation sent through the selected group's chain.

The pane is a consumer of the engine's events (no chain logic here): each answer gets an
`AnswerView`, each part of it an `AnswerMarkdown` that takes text as fast as it arrives and draws
it once a frame, and the transcript stays anchored to the bottom while text streams in. The
conversation is resent in full on every turn, so the model that answers sees the earlier turns
whichever model gave them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, UTC
from pathlib import Path
from typing import TYPE_CHECKING

from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, Input, Static

from tui.engine.events import (
    Answered, AttemptCancelled, AttemptFailed, AttemptSkipped, AttemptStarted, ChainFailed, ChatMessage, Restarted,
    Token, Waiting,
)
from tui.wording.trail import (attempt_text, format_trail, hedge_text, known_cost, return_text, short_name, spend_note,
                               spend_text)
from tui.messages import ChatBusy, LogEvent
from tui.widgets.answer import AnswerView
from tui.widgets.prompt import PromptInput

if TYPE_CHECKING:
    from tui.engine.api import ModelFallback

WELCOME = "Type a prompt below and press Enter. It goes to the first available model of the group."
# Turns kept on screen. A long answer is hundreds of widgets (every Markdown block is one) and each
# costs memory and layout time for as long as it is mounted; older turns leave the screen but stay
# in the conversation sent to the model and in the export.
MAX_SHOWN_TURNS = 6
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


class ChatPane(Vertical):
    """Transcript and prompt; `group` is the chain the next prompt goes through."""

    def __init__(self, engine: ModelFallback, group: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.engine = engine
        self.group = group
        self.history: list[ChatMessage] = []
        self.busy = False
        self._retry: tuple[str, str] | None = None  # (prompt, model that stopped) for "try next model"
        self._archived: list[str] = []  # the export's Markdown of turns no longer on screen
        self._hidden_turns = 0
        self.spent = 0.0  # what the providers reported for this conversation's answers (USD)
        self.priced = 0  # answers that came with a cost
        self.unpriced = 0  # answers that came without one (the total is then a floor)
        self.estimated = 0.0  # estimates from configured prices for answers without a cost (USD), kept apart
        self.estimates = 0  # answers counted in `estimated`
        self.hedges = 0  # hedged first tokens in this conversation (the event log counts them)
        self.transcript = VerticalScroll(Static(WELCOME, id="welcome", markup=False), id="transcript")
        self.prompt = PromptInput(group, id="prompt")
        self.border_title = f"Chat · {group}"

    def compose(self):
        yield self.transcript
        yield self.prompt

    def on_mount(self) -> None:
        self.transcript.anchor()

    # -- user actions ----------------------------------------------------------------------------
    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        # Text that is not valid Unicode (a lone surrogate from a paste of undecodable bytes) never
        # goes on to a model: it would fail every model of the chain for a problem on our side.
        text = event.value.strip().encode("utf-8", "replace").decode("utf-8")
        if not text:
            return
        if self.busy:
            self.app.notify("An answer is still coming; press Esc to stop it first.", severity="warning")
            return
        self.prompt.value = ""
        await self.transcript.query("#welcome").remove()
        await self._trim_transcript(keep=MAX_SHOWN_TURNS - 1)
        await self.transcript.mount(Static(text, classes="user", markup=False))
        self.start(text)

    def start(self, text: str, start_after: str | None = None) -> None:
        """Send `text` (already shown) with the conversation so far."""
        self._set_busy(True)
        self._close_offers()
        warm_up()  # if the app did not already (an app driven without its Ready)
        messages = [*self.history, ChatMessage("user", text)]
        self.screen.run_worker(self._converse(text, messages, start_after), name="chat", group="chat",
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
        self.stop()
        self.history.clear()
        self._retry = None
        self._archived.clear()
        self._hidden_turns = 0
        self.spent, self.priced, self.unpriced, self.hedges = 0.0, 0, 0, 0
        self.estimated, self.estimates = 0.0, 0
        await self.transcript.remove_children()
        await self.transcript.mount(Static(WELCOME, id="welcome", markup=False))
        self.prompt.focus()

    async def set_group(self, group: str) -> None:
        if group == self.group:
            return
        self.group = group
        self.border_title = f"Chat · {group}"
        self.prompt.set_group(group)
        if self.history or self.transcript.query(".user"):
            await self.transcript.mount(Static(f"— now asking group {group} —", classes="divider", markup=False))

    # -- the conversation worker -----------------------------------------------------------------
    async def _converse(self, text: str, messages: list[ChatMessage], start_after: str | None) -> None:
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
                    self.history += [ChatMessage("user", text), ChatMessage("assistant", event.content)]
                    answered = True
                    if len(event.attempts) > 1:
                        self.post_message(LogEvent(f"answered by {short_name(event.model)} in {group} after "
                                                   f"{len(event.attempts) - 1} other attempt(s)"))
                elif isinstance(event, ChainFailed):
                    chain = self.engine.config.groups[group]
                    offer = (event.kind == "content_policy" and event.stopped_at is not None
                             and event.stopped_at != chain[-1])  # no "next model" after the last one
                    self._retry = (text, event.stopped_at) if offer else None
                    answer.fail(event, format_trail(event.attempts), offer)
                    self.post_message(LogEvent(f"no answer in {group}: {event.message}", "error"))
        except asyncio.CancelledError:
            answer.stopped(format_trail(attempts))
            self.post_message(LogEvent(f"stopped by you in {group}"))
            raise
        finally:
            answer.flush()
            if not answered:
                self.prompt.restore(text)
            self._set_busy(False)

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

    async def _trim_transcript(self, keep: int) -> None:
        """Take all but the last `keep` turns off the screen (their Markdown is kept for the export)."""
        users = list(self.transcript.query(".user"))
        if len(users) <= keep:
            return
        first_kept = users[len(users) - keep] if keep else None
        gone = []
        for child in self.transcript.children:
            if child is first_kept:
                break
            if child.id != "hidden-turns":
                gone.append(child)
        self._archived += self._markdown_lines(gone)
        self._hidden_turns += len(users) - keep
        await self.transcript.remove_children(gone)
        note = f"{self._hidden_turns} earlier turn(s) are not shown; ctrl+s exports the whole conversation"
        notices = self.transcript.query("#hidden-turns")
        if notices:
            notices.first(Static).update(note)
        else:
            await self.transcript.mount(Static(note, id="hidden-turns", classes="divider", markup=False),
                                        before=0)

    # -- export ----------------------------------------------------------------------------------
    @staticmethod
    def _markdown_lines(children) -> list[str]:
        lines: list[str] = []
        for child in children:
            if isinstance(child, AnswerView):
                lines.append(child.to_markdown())
            elif child.has_class("user"):
                lines += ["## You", "", str(child.content), ""]
            elif child.has_class("divider") and child.id != "hidden-turns":
                lines += [f"*{child.content}*", ""]
        return lines

    def to_markdown(self, now: float) -> str:
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = ["# modelfallback conversation", "", f"*exported {stamp}*", ""]
        spend = spend_note(self.spent, self.priced, self.unpriced, self.estimated, self.estimates)
        if spend:
            lines += [f"*{spend}*", ""]
        lines += self._archived + self._markdown_lines(self.transcript.children)
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
