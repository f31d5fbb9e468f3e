"""The one-line attempt trail shown under each answer (TUI) and on stderr (CLI).

    skipped gpt-4-turbo (disabled 4:12, manual) · claude-3.5-sonnet 503 → out 0:10 ·
    answered by deepseek-coder · 1.2 s · 812 tok
"""

from __future__ import annotations

from tui.engine.durations import format_countdown
from tui.engine.events import Answered, Attempt


def short_name(model: str) -> str:
    """`anthropic/claude-3.5-sonnet` → `claude-3.5-sonnet` (the vendor prefix is noise in a trail)."""
    return model.rsplit("/", 1)[-1]


def attempt_text(a: Attempt) -> str:
    """One step of the trail: a skip, a retried try or a failed try."""
    name = short_name(a.model)
    if a.outcome == "skipped":
        if a.kind == "no_key":
            return f"skipped {name} (no key)"
        left = "until enabled" if a.remaining_s is None else format_countdown(a.remaining_s)
        why = (a.detail or "").split(",")[0]  # manual, the failure kind, or the provider's block reason
        return f"skipped {name} ({a.kind} {left}, {why})"
    what = str(a.status) if a.status and a.status >= 400 else (a.kind or "failed")
    if a.outcome == "retried":
        return f"{name} {what} → retried"
    if a.cooldown_s:
        return f"{name} {what} → out {format_countdown(a.cooldown_s)}"
    return f"{name} {what}"


def format_trail(attempts: list[Attempt], answered: Answered | None = None) -> str:
    """The trail for one run: every skip and failed try, then who answered, how fast and how long."""
    parts = [attempt_text(a) for a in attempts if a.outcome != "ok"]
    if answered is not None:
        parts.append(f"answered by {short_name(answered.model)}")
        parts.append(f"{answered.elapsed_ms / 1000:.1f} s")
        tokens = answered.usage.completion_tokens
        if tokens is not None:
            parts.append(f"{tokens} tok")
    return " · ".join(parts)
