"""The top line: app name, the chat's group and who answers it now, models up, the conversation's
spend, whether the shared state is offline, the local endpoint's traffic (with `--serve`), and
the demo label.

What matters most stays when the terminal is narrow: the DEMO badge, the group and its model,
"shared state offline" and the spend; the demo's explanation, the app name and the words of
"6/7 models up" give way first (`header_variants`).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.content import Content
from textual.widgets import Static

from tui.wording.trail import short_name

SEP = ("  │ ", "$foreground-muted")


def header_variants(*, demo: bool, demo_notice: str | None, group: str, preferred: str | None, up: int,
                    total: int, spent: str, offline: str | None, serving: str = "") -> list[list[tuple[str, str]]]:
    """The header's parts, from the fullest version to the most compact."""
    answers = (f"→ {short_name(preferred)}", "$text-success") if preferred else ("→ no model available",
                                                                                  "$text-error")
    badge = [(" DEMO ", "bold $background on $warning")] if demo else []
    offline_part = [SEP, (f"⚠ {offline}", "bold $text-error")] if offline else []
    spent_part = [SEP, (f"spent {spent}", "$text-accent")] if spent else []
    notice = [SEP, (demo_notice, "$text-warning")] if demo_notice else []
    serving_part = [SEP, (serving, "$text-accent")] if serving else []
    variants = []
    for name, group_word, ups, extra in (
            (True, True, f"{up}/{total} models up", notice),
            (True, True, f"{up}/{total} models up", []),
            (False, True, f"{up}/{total} models up", []),
            (False, False, f"{up}/{total} up", []),
            (False, False, "", [])):
        parts = list(badge)
        if name:
            parts += [(" modelfallback ", "bold $text-primary"), ("│ ", "$foreground-muted")]
        else:
            parts.append((" ", ""))
        parts += [(f"group {group} " if group_word else f"{group} ", "bold"), answers]
        parts += offline_part
        if ups:
            parts += [SEP, (ups, "$foreground-muted")]
        parts += spent_part + (serving_part if ups else []) + extra
        variants.append(parts)
    return variants


class StatusBar(Static):
    """One line, the fullest version that fits; re-rendered only when its text changes."""

    def __init__(self, *, demo_notice: str | None = None, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.demo_notice = demo_notice
        self._shown = ""
        self._args: dict | None = None
        self.serving: Callable[[], str] | None = None  # the endpoint's line, with --serve

    def show(self, group: str, preferred: str | None, up: int, total: int, *, spent: str = "",
             offline: str | None = None) -> None:
        self._args = {"demo": bool(self.demo_notice), "demo_notice": self.demo_notice, "group": group,
                      "preferred": preferred, "up": up, "total": total, "spent": spent, "offline": offline,
                      "serving": self.serving() if self.serving is not None else ""}
        self._render_header()

    def on_resize(self) -> None:
        if self._args is not None:
            self._render_header()

    def _render_header(self) -> None:
        assert self._args is not None
        width = self.size.width or self.app.size.width
        variants = [Content.assemble(*parts) for parts in header_variants(**self._args)]
        content = next((c for c in variants if c.cell_length <= width), variants[-1])
        offline = self._args["offline"]
        if content.cell_length > width and offline:  # a long reason is cut, not what follows it
            keep = max(0, len(offline) - (content.cell_length - width) - 1)
            args = {**self._args, "offline": offline[:keep] + "…"}
            content = Content.assemble(*header_variants(**args)[-1])
        key = content.plain
        if key != self._shown:
            self._shown = key
            self.update(content, layout=False)
