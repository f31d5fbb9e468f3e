"""What the chat shows: the turns on screen, the ones taken off it, and what one key copies.

A long answer is hundreds of widgets, so only the last `MAX_SHOWN_TURNS` turns stay mounted;
older ones leave the screen but their Markdown is kept for the export. The copy target is one
answer or one of its code blocks: ctrl+up / ctrl+down walk the targets of every answer shown,
and the newest answer is the target whenever an answer arrives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.wording.trail import short_name
from tui.widgets.answer import AnswerView

if TYPE_CHECKING:
    from tui.engine.history import SavedChat

WELCOME = "Type a prompt below and press Enter. It goes to the first available model of the group."
# Turns kept on screen. Every Markdown block is a widget and costs memory and layout time for as
# long as it is mounted; older turns stay in the conversation sent to the model and in the export.
MAX_SHOWN_TURNS = 6
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+#.-]*)[^\n]*\n(?P<code>.*?)^(?P=fence)[ \t]*$",
                    re.MULTILINE | re.DOTALL)


def code_blocks(text: str) -> list[tuple[str, str]]:
    """The fenced code blocks of a Markdown answer: (language, code), in order."""
    return [(m.group("lang"), m.group("code").rstrip("\n")) for m in _FENCE.finditer(text)]


@dataclass(frozen=True)
class CopyTarget:
    answer: AnswerView
    block: int | None  # None: the whole answer; else the index of its code block
    text: str
    label: str  # what the hint says: "answer by alpha", "code block 2 of 3 (python)"


class Transcript(VerticalScroll):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Static(WELCOME, id="welcome", markup=False), id=id)
        self.archived: list[str] = []  # the export's Markdown of turns no longer on screen
        self.hidden_turns = 0
        self._target: tuple[AnswerView, int | None] | None = None  # None: the newest answer, whole

    async def clear(self) -> None:
        self.archived.clear()
        self.hidden_turns = 0
        self._target = None
        await self.remove_children()
        await self.mount(Static(WELCOME, id="welcome", markup=False))

    async def add_prompt(self, text: str) -> None:
        """A prompt's turn begins: the welcome goes, old turns leave the screen, the prompt shows."""
        await self.query("#welcome").remove()
        await self.trim(keep=MAX_SHOWN_TURNS - 1)
        await self.mount(Static(text, classes="user", markup=False))

    async def trim(self, keep: int) -> None:
        """Take all but the last `keep` turns off the screen (their Markdown is kept for the export)."""
        users = list(self.query(".user"))
        if len(users) <= keep:
            return
        first_kept = users[len(users) - keep] if keep else None
        gone = []
        for child in self.children:
            if child is first_kept:
                break
            if child.id not in ("hidden-turns", "system-prompt"):
                gone.append(child)
        self.archived += markdown_lines(gone)
        self.hidden_turns += len(users) - keep
        await self.remove_children(gone)
        await self._note_hidden()

    async def _note_hidden(self) -> None:
        """The line at the top that says how many turns are off the screen."""
        note = f"{self.hidden_turns} earlier turn(s) are not shown; ctrl+s exports the whole conversation"
        notices = self.query("#hidden-turns")
        if notices:
            notices.first(Static).update(note)
            return
        notice = Static(note, id="hidden-turns", classes="divider", markup=False)
        system = self.query("#system-prompt")
        if system:
            await self.mount(notice, after=system.first())
        else:
            await self.mount(notice, before=0)

    async def show_system(self, system: str) -> None:
        """The chat's system prompt, at the top (none: nothing shown)."""
        shown = self.query("#system-prompt")
        if not system:
            await shown.remove()
            return
        text = f"System: {system}"
        if shown:
            shown.first(Static).update(text)
        else:
            await self.mount(Static(text, id="system-prompt", classes="divider", markup=False), before=0)

    async def show_saved(self, saved: SavedChat) -> None:
        """A reopened chat: its system prompt, its last turns on screen, the older ones for the export."""
        await self.query("#welcome").remove()
        await self.show_system(saved.system)
        shown = saved.turns[-MAX_SHOWN_TURNS:]
        older = saved.turns[:len(saved.turns) - len(shown)]
        for turn in older:
            self.archived += ["## You", "", turn.prompt, "", f"### {short_name(turn.model)}", ""]
            self.archived += ([f"*{turn.trail}*", ""] if turn.trail else []) + [turn.answer, ""]
        for turn in shown:
            await self.mount(Static(turn.prompt, classes="user", markup=False))
            answer = AnswerView(turn.group)
            await self.mount(answer)
            await answer.show_saved(turn.model, turn.trail, turn.answer)
        if older:
            self.hidden_turns = len(older)
            await self._note_hidden()

    def to_markdown_lines(self) -> list[str]:
        return self.archived + markdown_lines(self.children)

    # -- what one key copies ---------------------------------------------------------------------
    def targets(self) -> list[CopyTarget]:
        out: list[CopyTarget] = []
        for answer in self.query(AnswerView):
            text = answer.text
            if not text:
                continue
            out.append(CopyTarget(answer, None, text, f"answer by {answer.short_model}"))
            blocks = code_blocks(text)
            for i, (lang, code) in enumerate(blocks):
                kind = f" ({lang})" if lang else ""
                out.append(CopyTarget(answer, i, code, f"code block {i + 1} of {len(blocks)}{kind}"))
        return out

    def target(self) -> CopyTarget | None:
        """What ctrl+b copies now: the chosen one while it is on screen, else the newest answer."""
        targets = self.targets()
        if not targets:
            return None
        if self._target is not None:
            for t in targets:
                if (t.answer, t.block) == self._target:
                    return t
        return next(t for t in reversed(targets) if t.block is None)

    def move_target(self, step: int) -> CopyTarget | None:
        targets = self.targets()
        current = self.target()
        if current is None:
            return None
        index = max(0, min(len(targets) - 1, targets.index(current) + step))
        chosen = targets[index]
        self._target = (chosen.answer, chosen.block)
        self._mark(chosen.answer)
        chosen.answer.scroll_visible(animate=False)
        return chosen

    def newest_target(self) -> None:
        """An answer arrived: it is what ctrl+b copies."""
        self._target = None
        answers = self.query(AnswerView)
        self._mark(answers.last() if answers else None)

    def _mark(self, chosen: AnswerView | None) -> None:
        for answer in self.query(AnswerView):
            answer.set_selected(answer is chosen)


def markdown_lines(children) -> list[str]:
    lines: list[str] = []
    for child in children:
        if isinstance(child, AnswerView):
            lines.append(child.to_markdown())
        elif child.has_class("user"):
            lines += ["## You", "", str(child.content), ""]
        elif child.has_class("divider") and child.id != "hidden-turns":
            lines += [f"*{child.content}*", ""]
    return lines
