"""The top line: app name, the chat's group and who answers it now, models up, and the demo label."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui.wording.trail import short_name


class StatusBar(Static):
    """One line; re-rendered only when its text changes."""

    def __init__(self, *, demo_notice: str | None = None, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.demo_notice = demo_notice
        self._shown = ""

    def show(self, group: str, preferred: str | None, up: int, total: int) -> None:
        answers = f"→ {short_name(preferred)}" if preferred else "→ no model available"
        parts: list = [(" DEMO ", "bold $background on $warning")] if self.demo_notice else []
        parts += [(" modelfallback ", "bold $text-primary"), ("│ ", "$foreground-muted"),
                       (f"group {group} ", "bold"), (answers, "$text-success" if preferred else "$text-error"),
                       (f"  │ {up}/{total} models up", "$foreground-muted")]
        if self.demo_notice:
            parts.append((f"  │ {self.demo_notice}", "$text-warning"))
        content = Content.assemble(*parts)
        key = content.plain
        if key != self._shown:
            self._shown = key
            self.update(content, layout=False)
