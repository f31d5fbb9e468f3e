"""The groups panel: each group as its ordered chain, a status glyph per model, and which model
would answer right now (▶). Selecting a group (Enter or a click) makes it the chat's group.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.engine.durations import format_countdown
from tui.engine.state.status import GLYPHS, ModelStatus
from tui.wording.trail import short_name
from tui.messages import GroupChosen
from tui.widgets.formatting import STATUS_STYLE
from tui.wording.status import OUT


def _left(row: ModelStatus) -> str | None:
    """The countdown a model that is out shows before its name, as the models table writes it
    (`9:09`, so the two panels never disagree), `∞` until enabled; None when it is not out."""
    if row.status not in OUT:
        return None
    return "∞" if row.remaining_s is None else format_countdown(row.remaining_s)


def shown_state(row: ModelStatus) -> tuple:
    """What a model's line in `group_prompt` depends on."""
    return row.model, row.status, row.usable, _left(row)


def group_prompt(group: str, chain: list[ModelStatus], preferred: str | None, active: bool) -> Content:
    """The option text of one group: a title line and one line per model of its chain."""
    title_style = "bold $text-primary" if active else "bold"
    parts: list[Content | tuple[str, str] | str] = [(group, title_style)]
    if active:
        parts.append((" · chat", "$foreground-muted"))
    if preferred is None:
        parts.append(("  no model available", "$text-error"))
    for row in chain:
        mark = "▶ " if row.model == preferred else "  "
        parts.append("\n")
        parts.append((mark, "bold $text-success" if mark.strip() else ""))
        parts.append((f"{GLYPHS[row.status]} ", STATUS_STYLE[row.status]))
        if (left := _left(row)) is not None:  # before the name, so a narrow panel never hides it
            parts.append((f"{left} ", STATUS_STYLE[row.status]))
        elif row.status == "probing":
            parts.append(("probing ", STATUS_STYLE[row.status]))
        name_style = "bold" if row.model == preferred else ("$foreground-muted" if not row.usable else "")
        parts.append((short_name(row.model), name_style))
    return Content.assemble(*parts)


class GroupsPanel(OptionList):
    """One option per group; the highlighted one is chosen with Enter or a click."""

    BINDING_GROUP_TITLE = "Groups"

    def __init__(self, groups: list[str], active: str, *, id: str | None = None) -> None:
        super().__init__(*(Option(Content(name), id=name) for name in groups), id=id)
        self.border_title = "Groups"
        self.active = active
        self._shown: dict[str, tuple] = {}

    def on_mount(self) -> None:
        self.highlighted = self.get_option_index(self.active)

    def show(self, groups: dict[str, list[ModelStatus]], preferred: dict[str, str | None]) -> None:
        """Re-render the groups whose text changed (told by what the text is made of, so an
        unchanged group costs no Content)."""
        for group, chain in groups.items():
            key = (group == self.active, preferred.get(group), *(shown_state(row) for row in chain))
            if self._shown.get(group) != key:
                self._shown[group] = key
                self.replace_option_prompt(group, group_prompt(group, chain, preferred.get(group),
                                                               group == self.active))

    def set_active(self, group: str) -> None:
        self.active = group
        self._shown.clear()  # titles change; the next show() redraws every group
        self.highlighted = self.get_option_index(group)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(GroupChosen(event.option.id))
