"""How a model's status reads: countdowns with a bar, latencies, ages, success rates, why it is out."""

from __future__ import annotations

from tui.engine.durations import format_countdown, format_duration, format_left
from tui.engine.state.status import ModelStatus

OUT = ("disabled", "blocked")
BAR_CELLS = 5
_EIGHTHS = " ▏▎▍▌▋▊▉"


def format_ms(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f}ms"
    return f"{ms / 1000:.1f}s"


def format_age(seconds: float | None) -> str:
    """How long ago: `4s ago`, `3m ago`, `2h ago`, `5d ago` (`—` when never)."""
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


def coarse_countdown(seconds: float) -> str:
    """`0:42` in the last minute, else whole minutes rounded up (`5m`, `1h05m`).

    For the groups panel (the models panel has the exact countdown): a text that changes once a
    minute spares re-rendering every group every second.
    """
    if seconds < 60:
        return format_countdown(seconds)
    minutes = -(-int(seconds) // 60)
    return f"{minutes}m" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def bar(fraction: float, cells: int = BAR_CELLS) -> str:
    """A left-to-right bar in eighth blocks; `fraction` is clamped to 0..1."""
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * cells * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part and full < cells else "")
    return text.ljust(cells, "·")


def out_for(row: ModelStatus) -> str:
    """`for 4:12`, or `until enabled`: how much longer a model stays out, in a sentence."""
    return "until enabled" if row.remaining_s is None else f"for {format_countdown(row.remaining_s)}"


def lasting(seconds: float | None) -> str:
    """`for 5m`, or `until enabled`: how long a disable was set for, when it is set."""
    return "until enabled" if seconds is None else f"for {format_duration(seconds)}"


def time_left(row: ModelStatus) -> str:
    """`4:12 left`, or `until enabled`."""
    return format_left(row.remaining_s)


def countdown_text(row: ModelStatus) -> str:
    """`4:32 ███▌·` for a timed disable or block, `until enabled` without an end, else empty.

    The bar's full length is the whole disable (`until - since`, from the engine), so it is right
    even for a disable that began before this process started.
    """
    if row.status not in OUT:
        return ""
    if row.remaining_s is None:
        return "until enabled"
    total = (row.until - row.since) if row.until is not None and row.since is not None else row.remaining_s
    return f"{format_countdown(row.remaining_s)} {bar(row.remaining_s / max(total, 0.001))}"


def why_text(row: ModelStatus) -> str:
    """Why a model is out and by whom: `manual · flaky today`, `auto · unavailable`."""
    if row.status not in (*OUT, "probing"):
        return ""
    if row.source == "manual":
        return f"manual · {row.reason}" if row.reason else "manual"
    kind = row.kind or "auto"
    return f"provider {kind}" if row.status == "blocked" else f"auto · {kind}"
