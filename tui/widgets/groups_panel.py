"""The groups panel: each group as its ordered chain, a status glyph per model, and which model
would answer right now (▶). Choosing a group (Enter or a click) makes it the chat's group.

Each group is one block of a `BlockList`: a title line and one line per model, each line given as
the few values its text is made of (`TitleLine`, `ModelLine`), so a tick compares values, and only
a line whose values changed is drawn again, when it is on screen: a ticking countdown costs its
own line, not its group or the panel.
"""

from __future__ import annotations

from typing import NamedTuple

from textual.content import Content

from tui.engine.durations import format_countdown
from tui.engine.state.status import GLYPHS, ModelStatus
from tui.messages import GroupChosen
from tui.widgets.block_list import BlockList
from tui.widgets.formatting import STATUS_STYLE
from tui.wording.status import OUT
from tui.wording.trail import short_name


def _left(row: ModelStatus) -> str | None:
    """The countdown a model that is out shows before its name, as the models table writes it
    (`9:09`, so the two panels never disagree), `∞` until enabled; None when it is not out."""
    if row.status not in OUT:
        return None
    return "∞" if row.remaining_s is None else format_countdown(row.remaining_s)


class TitleLine(NamedTuple):
    """A group's first line: its name, `· chat` for the chat's group, and a warning when no model
    of the chain can answer."""

    group: str
    active: bool
    available: bool

    def content(self) -> Content:
        parts: list[tuple[str, str]] = [(self.group, "bold $text-primary" if self.active else "bold")]
        if self.active:
            parts.append((" · chat", "$foreground-muted"))
        if not self.available:
            parts.append(("  no model available", "$text-error"))
        return Content.assemble(*parts)


class ModelLine(NamedTuple):
    """One model of a chain: ▶ on the model that answers now, its glyph, the countdown (or
    `probing`) before the name so a narrow panel never hides it, the name muted when unusable."""

    first: bool
    model: str
    status: str
    usable: bool
    left: str | None

    @classmethod
    def of(cls, row: ModelStatus, preferred: str | None) -> ModelLine:
        return cls(row.model == preferred, row.model, row.status, row.usable, _left(row))

    def content(self) -> Content:
        style = STATUS_STYLE[self.status]
        parts: list[tuple[str, str]] = [("▶ ", "bold $text-success") if self.first else ("  ", "")]
        parts.append((f"{GLYPHS[self.status]} ", style))
        if self.left is not None:
            parts.append((f"{self.left} ", style))
        elif self.status == "probing":
            parts.append(("probing ", style))
        parts.append((short_name(self.model), "bold" if self.first else ("" if self.usable else "$foreground-muted")))
        return Content.assemble(*parts)


class GroupsPanel(BlockList):
    """One block per group; the highlighted one is chosen with Enter or a click."""

    BINDING_GROUP_TITLE = "Groups"

    def __init__(self, groups: list[str], active: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Groups"
        self.groups = list(groups)
        self.active = active
        self._index = {group: index for index, group in enumerate(self.groups)}
        self.set_blocks([[TitleLine(group, group == active, True)] for group in self.groups])  # until show()

    def on_mount(self) -> None:
        self.highlighted = self._index[self.active]

    def text(self, group: str) -> str:
        """The group's block as plain text, one line per line."""
        return "\n".join(line.plain for line in self.block_lines(self._index[group]))

    def show(self, groups: dict[str, list[ModelStatus]], preferred: dict[str, str | None]) -> None:
        """Give every group its lines; only the lines whose text changed are drawn again."""
        blocks = {}
        for group, chain in groups.items():
            best = preferred.get(group)
            blocks[self._index[group]] = [TitleLine(group, group == self.active, best is not None),
                                          *(ModelLine.of(row, best) for row in chain)]
        self.update_blocks(blocks)

    def line_content(self, value: object) -> Content:
        assert isinstance(value, (TitleLine, ModelLine))
        return value.content()

    def set_active(self, group: str) -> None:
        """Make `group` the chat's group: highlighted now, titled `· chat` from the next `show`."""
        self.active = group
        self.highlighted = self._index[group]

    def block_chosen(self, index: int) -> None:
        self.post_message(GroupChosen(self.groups[index]))
