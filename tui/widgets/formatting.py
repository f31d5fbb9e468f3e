"""Small text helpers shared by the panels: status words with colour, latencies, ages, countdowns.

Colours are theme variables (`$text-success`, ...) inside `Content`, so a theme switch recolours
every cell without re-rendering rows by hand. Colour is never the only signal: each status has a
glyph and a word.
"""

from __future__ import annotations

from textual.content import Content

from tui.engine.durations import format_countdown
from tui.engine.status import GLYPHS, ModelStatus

STATUS_STYLE = {
    "healthy": "$text-success",
    "degraded": "$text-warning",
    "disabled": "$text-error",
    "probing": "$text-accent",
    "blocked": "$text-error",
    "no key": "$text-warning",
    "unknown": "$foreground-muted",
}
BAR_CELLS = 5
_EIGHTHS = " ▏▎▍▌▋▊▉"


def status_content(status: str, *, word: bool = True) -> Content:
    """`✕ disabled` in the status colour (glyph only with word=False)."""
    text = f"{GLYPHS[status]} {status}" if word else GLYPHS[status]
    return Content.styled(text, STATUS_STYLE[status])


def format_ms(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f}ms"
    return f"{ms / 1000:.1f}s"


def format_age(seconds: float | None) -> str:
    """How long ago: `4s`, `3m`, `2h`, `5d` (`—` when never)."""
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    return f"{seconds // 86400}d ago"


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def bar(fraction: float, cells: int = BAR_CELLS) -> str:
    """A left-to-right bar in eighth blocks; `fraction` is clamped to 0..1."""
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * cells * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part and full < cells else "")
    return text.ljust(cells, "·")


def countdown_text(row: ModelStatus) -> str:
    """`4:32 ███▌·` for a timed disable or block, `until enabled` without an end, else empty.

    The bar's full length is the whole disable (`until - since`, from the engine), so it is right
    even for a disable that began before this app started.
    """
    if row.status not in ("disabled", "blocked"):
        return ""
    if row.remaining_s is None:
        return "until enabled"
    total = (row.until - row.since) if row.until is not None and row.since is not None else row.remaining_s
    return f"{format_countdown(row.remaining_s)} {bar(row.remaining_s / max(total, 0.001))}"


def why_text(row: ModelStatus) -> str:
    """Why a model is out and by whom: `manual · flaky today`, `auto · unavailable`."""
    if row.status not in ("disabled", "blocked", "probing"):
        return ""
    if row.source == "manual":
        return f"manual · {row.reason}" if row.reason else "manual"
    kind = row.kind or "auto"
    return f"provider {kind}" if row.status == "blocked" else f"auto · {kind}"
