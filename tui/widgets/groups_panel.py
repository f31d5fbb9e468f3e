"""The groups panel: each group as its ordered chain, a status glyph per model, and which model
would answer right now (▶). Choosing a group (Enter or a click) makes it the chat's group.

Each group is one block of a `BlockList`: a title line and one line per model. A tick rebuilds
only the lines whose text changed (told by what a line is made of, so an unchanged line costs no
Content) and repaints only their rows: fifty ticking countdowns cost fifty lines, not every group.
"""

from __future__ import annotations

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


def shown_state(row: ModelStatus, preferred: str | None) -> tuple:
    """What a model's line (`model_line`) depends on."""
    return row.model == preferred, row.model, row.status, row.usable, _left(row)


def title_line(group: str, active: bool, available: bool) -> Content:
    """A group's first line: its name, `· chat` for the chat's group, and a warning when no model
    of the chain can answer."""
    parts: list[tuple[str, str]] = [(group, "bold $text-primary" if active else "bold")]
    if active:
        parts.append((" · chat", "$foreground-muted"))
    if not available:
        parts.append(("  no model available", "$text-error"))
    return Content.assemble(*parts)


def model_line(row: ModelStatus, preferred: str | None) -> Content:
    """One model of a chain: ▶ on the model that answers now, its glyph, the countdown (or
    `probing`) before the name so a narrow panel never hides it, the name muted when unusable."""
    first = row.model == preferred
    parts: list[tuple[str, str]] = [("▶ ", "bold $text-success") if first else ("  ", "")]
    parts.append((f"{GLYPHS[row.status]} ", STATUS_STYLE[row.status]))
    if (left := _left(row)) is not None:
        parts.append((f"{left} ", STATUS_STYLE[row.status]))
    elif row.status == "probing":
        parts.append(("probing ", STATUS_STYLE[row.status]))
    parts.append((short_name(row.model), "bold" if first else ("$foreground-muted" if not row.usable else "")))
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
        self._shown: dict[str, list[tuple]] = {}  # group -> what each of its lines shows
        self.set_blocks([[Content(group)] for group in self.groups])

    def on_mount(self) -> None:
        self.highlighted = self._index[self.active]

    def text(self, group: str) -> str:
        """The group's block as plain text, one line per line."""
        return "\n".join(line.plain for line in self.block_lines(self._index[group]))

    def show(self, groups: dict[str, list[ModelStatus]], preferred: dict[str, str | None]) -> None:
        """Redraw the lines whose text changed since the last call."""
        for group, chain in groups.items():
            index, best, active = self._index[group], preferred.get(group), group == self.active
            keys = [(active, best is not None), *(shown_state(row, best) for row in chain)]
            shown = self._shown.get(group)
            if shown is None or len(shown) != len(keys):
                self._shown[group] = keys
                self.set_block(index, [title_line(group, active, best is not None),
                                       *(model_line(row, best) for row in chain)])
                continue
            for offset, key in enumerate(keys):
                if shown[offset] != key:
                    shown[offset] = key
                    self.set_line(index, offset, title_line(group, active, best is not None) if offset == 0
                                  else model_line(chain[offset - 1], best))

    def set_active(self, group: str) -> None:
        """Make `group` the chat's group: highlighted now, titled `· chat` from the next `show`."""
        self.active = group
        self.highlighted = self._index[group]

    def block_chosen(self, index: int) -> None:
        self.post_message(GroupChosen(self.groups[index]))
