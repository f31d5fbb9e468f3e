"""One answer in the chat: who answered, the attempt trail, and the streamed Markdown.

An answer can have several parts: a part cut off mid-stream stays visible, marked *interrupted*,
and the restarted answer streams into a new part below it. The widget only displays; the chat
pane feeds it from the chain's events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Vertical
from textual.widgets import Button, Static

from tui.engine.events import Answered, ChainFailed
from tui.engine.secrets import redact_known
from tui.wording.trail import short_name

if TYPE_CHECKING:
    from tui.widgets.markdown_body import AnswerMarkdown


STATES = ("-pending", "-answered", "-failed", "-stopped")
MARKS = ("-selected", "-set-aside")  # what ctrl+b copies; an answer the conversation did not keep


class AnswerView(Vertical):
    """Header (model and state), trail, parts, and a closing note."""

    def __init__(self, group: str) -> None:
        super().__init__(classes="answer -pending")
        self.group = group
        self.model: str | None = None  # the model that answered
        self.parts: list[tuple[str, list[str], bool]] = []  # (model, text pieces, interrupted)
        self.trail = ""
        self.note = ""
        self._header = Static("", classes="answer-header", markup=False)
        self._trail = Static("", classes="answer-trail", markup=False)
        self._note = Static("", classes="answer-note", markup=False)
        self._markdowns: list[AnswerMarkdown] = []

    def compose(self):
        yield self._header
        yield self._trail
        yield self._note

    # -- live updates ----------------------------------------------------------------------------
    def _restyle(self) -> None:
        self.app.stylesheet.update_nodes([self, self._header, self._trail, self._note])

    def _set_state(self, state: str) -> None:
        """Swap the state class (-pending → -answered / -failed / -stopped), restyling only the
        nodes the state styles (this one, header, trail, note).

        A class change normally restyles the whole subtree, here every Markdown block of the
        answer: over a second of frozen UI at the end of a 5,000-token answer. No rule styles the
        answer's body by these classes.
        """
        for name in STATES:
            self.set_class(name == state, name, update=False)
        self._restyle()

    def set_selected(self, selected: bool) -> None:
        """Mark the answer ctrl+b copies (restyling only this node and its header, as `_set_state`)."""
        if self.has_class("-selected") != selected:
            self.set_class(selected, "-selected", update=False)
            self._restyle()

    def set_kept(self, kept: bool) -> None:
        """Two answers to one prompt: the one set aside is dimmed and offers to be kept instead."""
        if self.has_class("-set-aside") == (not kept):
            return
        self.set_class(not kept, "-set-aside", update=False)
        self._restyle()
        if kept:
            for button in self.query(".keep-answer"):
                button.remove()
        else:
            self.mount(Button("Keep this answer", classes="keep-answer", compact=True))

    def set_status(self, text: str) -> None:
        self._header.update(text)

    def set_trail(self, text: str) -> None:
        self.trail = text
        self._trail.update(text)
        self._trail.display = bool(text)

    async def new_part(self, model: str) -> AnswerMarkdown:
        """Mount an empty Markdown for `model`'s text, above the note (fed with `feed`)."""
        from tui.widgets.markdown_body import AnswerMarkdown  # the Markdown stack: not before the first answer

        md = AnswerMarkdown(classes="answer-body")
        self.parts.append((model, [], False))
        self._markdowns.append(md)
        await self.mount(md, before=self._note)
        self.set_status(f"● {short_name(model)} …")
        return md

    def add_text(self, text: str) -> None:
        """Streamed text: remembered, and drawn with the next frame."""
        self.parts[-1][1].append(text)
        self._markdowns[-1].feed(text)

    def flush(self) -> None:
        """Draw all the text that arrived, now (the stream ended or stopped)."""
        if self._markdowns:
            self._markdowns[-1].flush()

    async def mark_interrupted(self, model: str) -> None:
        """The last part was cut off: keep it, dimmed and labelled."""
        if not self.parts:
            return
        m, pieces, _ = self.parts[-1]
        self.parts[-1] = (m, pieces, True)
        md = self._markdowns[-1]
        md.flush()
        md.add_class("-interrupted")
        label = Static(f"⚠ interrupted — {short_name(model)} stopped mid-answer; restarting on the next model",
                       classes="interrupted-label", markup=False)
        await self.mount(label, after=md)

    # -- endings ---------------------------------------------------------------------------------
    def finish(self, answered: Answered, trail: str) -> None:
        self.flush()
        self.model = answered.model
        self._set_state("-answered")
        self.set_status(f"● {short_name(answered.model)}")
        self.set_trail(trail)

    def fail(self, failed: ChainFailed, trail: str, offer_next: bool) -> None:
        self.flush()
        self._set_state("-failed")
        self.set_status("✕ no answer")
        self.set_trail(trail)
        self.note = redact_known(failed.message)
        if failed.kind == "content_policy":
            self.note = f"Stopped by the provider's content policy: {self.note}"
        back = "" if failed.kind == "content_policy" else " — your prompt is back in the input"
        self._note.update(self.note + back)
        if offer_next:
            self.mount(Button("Try next model (ctrl+t)", id="try-next", variant="warning", compact=True))

    def stopped(self, trail: str) -> None:
        self.flush()
        self._set_state("-stopped")
        self.set_status("■ stopped")
        self.set_trail(trail)
        self.note = "You stopped this answer (Esc); it is not part of the conversation."
        self._note.update(self.note)

    def crashed(self, error: str) -> None:
        self.flush()
        self._set_state("-failed")
        self.set_status("✕ error")
        self.note = f"Something went wrong while answering: {redact_known(error)}"
        self._note.update(self.note)

    async def show_saved(self, model: str, trail: str, text: str) -> None:
        """A saved answer, shown whole (a chat reopened from the chats screen)."""
        await self.new_part(model)
        self.add_text(text)
        self.flush()
        self.model = model
        self._set_state("-answered")
        self.set_status(f"● {short_name(model)}")
        self.set_trail(trail)

    @property
    def short_model(self) -> str:
        return short_name(self.model) if self.model else "no model"

    def close_offer(self) -> None:
        for button in self.query("#try-next"):
            button.remove()

    @property
    def text(self) -> str:
        """The final answer's text (the last, uninterrupted part)."""
        if not self.parts or self.parts[-1][2]:
            return ""
        return "".join(self.parts[-1][1])

    def to_markdown(self) -> str:
        """This answer for an exported conversation."""
        title = short_name(self.model) if self.model else "no answer"
        lines = [f"### {title}", ""]
        if self.trail:
            lines += [f"*{self.trail}*", ""]
        for model, pieces, interrupted in self.parts:
            if interrupted:
                lines += [f"> *interrupted — {short_name(model)} stopped mid-answer:*", ">"]
                lines += [f"> {line}" for line in "".join(pieces).splitlines()] + [""]
            else:
                lines += ["".join(pieces), ""]
        if self.note:
            lines += [f"*{self.note}*", ""]
        return "\n".join(lines)
