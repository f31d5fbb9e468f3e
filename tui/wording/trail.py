"""The one-line attempt trail shown under each answer (TUI) and on stderr (CLI), and money.

    skipped gpt-4-turbo (disabled 4:12, manual) · claude-3.5-sonnet 503 → out 0:10 ·
    answered by deepseek-coder · 1.2 s · 812 tok · $0.0031

The cost is the provider's own figure (OpenRouter's `usage.cost`). Without one, a model with a
configured `price:` shows an estimate marked `~` (`~$0.0031`), always summed apart from reported
costs; with neither, nothing is shown.
"""

from __future__ import annotations

import math

from tui.engine.durations import format_countdown
from tui.engine.events import Answered, Attempt
from tui.engine.text import one_line


def short_name(model: str) -> str:
    """`anthropic/claude-3.5-sonnet` → `claude-3.5-sonnet` (the vendor prefix is noise in a trail),
    as one printable line (an id comes from a config or the state: it may hold anything)."""
    return one_line(model.rsplit("/", 1)[-1], 80)


def attempt_text(a: Attempt) -> str:
    """One step of the trail: a skip, a retried try or a failed try."""
    name = short_name(a.model)
    if a.outcome == "skipped":
        if a.kind == "no_key":
            return f"skipped {name} (no key: {one_line(a.detail or '')})"  # `$MY_KEY is not set: export MY_KEY=…`
        if a.kind in ("context_length", "unsupported"):
            return f"skipped {name} ({one_line(a.detail or '')})"  # `context 8k < ~11k`, or what its API cannot carry
        left = "until enabled" if a.remaining_s is None else format_countdown(a.remaining_s)
        why = one_line((a.detail or "").split(",")[0], 80)  # manual, the failure kind, or the provider's block reason
        return f"skipped {name} ({a.kind} {left}, {why})"
    if a.outcome == "cancelled":  # a hedged race's loser: `claude-3.5-sonnet no token in 2.0 s → hedged`
        return f"{name} {one_line(a.detail or '')}"
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
        cost = format_cost(answered.usage.cost) or estimate_text(answered.usage.estimated_cost)
        if cost:
            parts.append(cost)
    return " · ".join(parts)


def return_text(model: str, seconds: float) -> str:
    """`claude-3-haiku is back in 0:12`: the first model of an all-out group expected back (by its
    cooldown's end or its next recheck), for the chat's countdown and `chat --wait`."""
    return f"{short_name(model)} is back in {format_countdown(seconds)}"


def hedge_text(silent: str, partner: str, after_s: float) -> str:
    """`claude-3.5-sonnet no token in 2.0 s: also asking deepseek-coder`."""
    return f"{short_name(silent)} no token in {after_s:.1f} s: also asking {short_name(partner)}"


def known_cost(usd: object) -> float | None:
    """A reported cost we can show: a finite, non-negative number, else None (nothing is made up)."""
    if isinstance(usd, bool) or not isinstance(usd, (int, float)):
        return None
    return float(usd) if math.isfinite(usd) and usd >= 0 else None


def format_cost(usd: float | None) -> str:
    """Dollars as providers bill them: `$0.0031`, `$0.000012`, `$0.12`, `$1.24`, `$1,234.50`.

    Below a dollar two significant digits (answers often cost a few millionths), from a dollar up
    cents; `$0` for a reported zero (a free model), `<$0.0000001` below that; empty when unknown.
    """
    usd = known_cost(usd)
    if usd is None:
        return ""
    if usd == 0:
        return "$0"
    rounded = float(f"{usd:.2g}")
    if rounded >= 1:
        return f"${usd:,.2f}"
    decimals = 1 - math.floor(math.log10(rounded))
    if decimals > 7:
        return "<$0.0000001"
    whole, fraction = f"{rounded:.{decimals}f}".split(".")
    return f"${whole}.{fraction.rstrip('0').ljust(2, '0')}"  # `$0.0001`, not `$0.00010`; cents keep 2


def estimate_text(usd: float | None) -> str:
    """An estimate from a configured price: `~$0.0031`; empty when there is none."""
    cost = format_cost(usd)
    return "~" + cost if cost else ""


def spend_text(total: float, priced: int, unpriced: int, estimated: float = 0.0, estimates: int = 0) -> str:
    """A conversation's total for the header: `$0.0042`, or `≥$0.0042` when some answers came
    without a cost (the total is then a floor); estimates from configured prices apart, after it
    (`$0.0042 + ~$0.0011`); empty when there is neither."""
    unknown = unpriced - estimates  # answers with neither a cost nor an estimate
    reported = ("≥" if unknown > 0 else "") + format_cost(total) if priced else ""
    guessed = estimate_text(estimated) if estimates else ""
    return " + ".join(part for part in (reported, guessed) if part)


def spend_note(total: float, priced: int, unpriced: int, estimated: float = 0.0, estimates: int = 0) -> str:
    """The export's line on spend: `Total cost: $0.0042 over 3 answers, as the providers reported it`,
    and the estimate from configured prices apart."""
    parts = []
    if priced:
        answers = "1 answer" if priced == 1 else f"{priced} answers"
        parts.append(f"Total cost: {format_cost(total)} over {answers}, as the providers reported it")
    if estimates:
        answers = "1 answer" if estimates == 1 else f"{estimates} answers"
        parts.append(f"about {format_cost(estimated)} more over {answers}, estimated from configured prices")
    unknown = unpriced - estimates
    if parts and unknown > 0:
        parts.append(f"{unknown} more answer{'s' if unknown > 1 else ''} came without a cost")
    return "; ".join(parts)
