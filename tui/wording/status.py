"""How a model's status reads: countdowns with a bar, the next recheck, latencies, ages, success
rates, the provider's uptime, why it is out, and whether the shared state can be reached."""

from __future__ import annotations

import re

from tui.engine.durations import format_countdown, format_duration, format_left
from tui.engine.secrets import redact_known
from tui.engine.state.status import ModelStatus
from tui.engine.text import one_line

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


def check_text(row: ModelStatus, *, short: bool = False) -> str:
    """`check in 0:09` (`check 0:09` short), `check due`, or empty when no recheck is scheduled.

    Only a model that is out automatically has a next recheck (`next_check_s`; 0 means due now).
    """
    seconds = row.next_check_s
    if seconds is None or row.status not in OUT:
        return ""
    if seconds <= 0:
        return "check due"
    return f"check {'' if short else 'in '}{format_countdown(seconds)}"


def countdown_text(row: ModelStatus, width: int | None = None) -> str:
    """`4:32 ███▌·` for a timed disable or block, `until enabled` without an end, else empty;
    with a next recheck `4:32 ███▌· check in 0:09` (`4:32 · check in 0:09` without the bar).

    Within `width` characters the bar goes first, then the word "in", then the check: the
    countdown itself always stays. The bar's full length is the whole disable (`until - since`,
    from the engine), so it is right even for a disable that began before this process started.
    """
    if row.status not in OUT:
        return ""
    if row.remaining_s is None:
        left, gauge = "until enabled", ""
    else:
        total = (row.until - row.since) if row.until is not None and row.since is not None else row.remaining_s
        left, gauge = format_countdown(row.remaining_s), " " + bar(row.remaining_s / max(total, 0.001))
    check, short_check = check_text(row), check_text(row, short=True)
    candidates = [left + gauge]
    if check:
        candidates = [f"{left}{gauge} {check}", f"{left} · {check}", f"{left} · {short_check}", left]
    if width is None:
        return candidates[0]
    return next((text for text in candidates if len(text) <= width), candidates[-1])


def uptime_text(uptime: float | None) -> str:
    """The provider-reported uptime in percent: `99.9%`, `61.7%`, `100%` (`—` when none)."""
    if uptime is None or uptime != uptime:  # None or NaN: the provider said nothing usable
        return "—"
    uptime = min(100.0, max(0.0, uptime))
    if uptime >= 99.95:
        return "100%"
    return "0%" if uptime < 0.05 else f"{uptime:.1f}%"


_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]*@")


def offline_text(reason: str) -> str:
    """`shared state offline: <reason>`; credentials in a URL are never shown (`redis://***@host`)."""
    reason = _URL_CREDENTIALS.sub(r"\1***@", redact_known(" ".join(reason.split())))
    return f"shared state offline: {reason}" if reason else "shared state offline"


def not_disabled_text(row: ModelStatus) -> str:
    """What `enable` says of a model that is not out (the CLI and the TUI alike); one without its
    key says what would bring it in: `gpt-4 is not disabled; it has no key: $MY_KEY is not set: …`."""
    name = one_line(row.model, 120)
    if row.status == "no key":
        return f"{name} is not disabled; it has no key: {row.error}"
    return f"{name} is not disabled"


def why_text(row: ModelStatus) -> str:
    """Why a model is out and by whom: `manual · flaky today`, `auto · unavailable`."""
    if row.status not in (*OUT, "probing"):
        return ""
    if row.source == "manual":
        return f"manual · {row.reason}" if row.reason else "manual"
    kind = row.kind or "auto"
    return f"provider {kind}" if row.status == "blocked" else f"auto · {kind}"
