"""Human durations (`90s`, `5m`, `1h30m`, `250ms`) to seconds and back."""

from __future__ import annotations

import math
import re

# The longest duration anything accepts (a manual disable, a timeout, a cooldown): a year keeps
# every timer finite and within what asyncio and threading accept, and every deadline a sane wall
# time; a model out for longer is disabled until enabled.
MAX_DURATION_S = 365 * 86400.0
# The shortest manual disable: a shorter one would be over before any screen showed it.
MIN_DISABLE_S = 1.0

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object) -> float:
    """Parse a duration; a bare number means seconds. Raises ValueError with a readable reason."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 30s, 5m or 1h")
    if isinstance(value, (int, float)):
        return _checked(float(value))
    if not isinstance(value, str):
        raise ValueError("expected a duration like 30s, 5m or 1h")
    text = value.strip().lower().replace(" ", "")
    if not text:
        raise ValueError("expected a duration like 30s, 5m or 1h, got an empty string")
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return _checked(seconds)
    pos = 0
    total = 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"expected a duration like 30s, 5m or 1h, got {value!r}")
    return _checked(total)


def _checked(seconds: float) -> float:
    """NaN and infinity parse as floats but are no duration: they would poison every deadline."""
    if not math.isfinite(seconds):
        raise ValueError("expected a finite duration like 30s, 5m or 1h")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


def disable_seconds(value: object) -> float:
    """How long a manual disable lasts, by the one rule every way of disabling follows (`--for`, the
    TUI's dialog, `ModelFallback.disable`, `policy.manual_disable` in groups.yaml): a duration
    (`90s`, `5m`, `1h30m`) or a number of seconds, from 1s to 365d. Raises ValueError saying which
    bound was missed; "until enabled" is asked for apart (None), never by a zero or a tiny value."""
    shown = repr(value) if isinstance(value, str) else repr(value) + "s"
    if isinstance(value, str) and value.strip().startswith("-"):
        raise ValueError(f"a disable must last a positive time, got {shown}")
    try:
        seconds = parse_duration(value)
    except OverflowError:
        seconds = math.inf
    if math.isinf(seconds) or seconds > MAX_DURATION_S:
        raise ValueError(f"a disable lasts at most {format_duration(MAX_DURATION_S)} (for longer, disable it "
                         "until enabled)")
    if seconds <= 0:
        raise ValueError(f"a disable must last a positive time, got {shown}")
    if seconds < MIN_DISABLE_S:
        raise ValueError(f"a disable lasts at least {format_duration(MIN_DISABLE_S)}, got {shown}")
    return seconds


def format_countdown(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`) for a countdown; never negative."""
    total = max(0, int(seconds + 0.999))  # round up: a countdown shows 0:00 only when over
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_duration(seconds: float) -> str:
    """A compact duration for messages: `250ms`, `12s`, `5m`, `1h30m`, `365d`."""
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{int(seconds // 86400)}d"
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if secs or not parts:
        parts.append(f"{secs}s")
    return "".join(parts)


def format_left(seconds: float | None) -> str:
    """`4:12 left`, or `until enabled` for a disable without an end (None)."""
    return "until enabled" if seconds is None else f"{format_countdown(seconds)} left"
