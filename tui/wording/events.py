"""The event log's lines for status changes and probe results (the main screen decides when and
where: the log and the status line for automatic events, a toast only for the user's own actions
and for a group with no model left)."""

from __future__ import annotations

from tui.engine.durations import format_countdown
from tui.engine.state.status import ModelStatus, first_back
from tui.wording.status import OUT, check_text, format_ms, out_for
from tui.wording.trail import short_name


def describe_change(row: ModelStatus, before: tuple | None, *, mine: bool) -> tuple[str, str] | None:
    """(text, severity) for one model's change since the last tick, or None to say nothing.

    `before` is (status, until, source) from the last tick; `mine` means this UI made the change
    (it was logged when the user acted, so only changes from elsewhere or automatic ones are told).
    """
    name = short_name(row.model)
    was = before[0] if before else None
    if row.status in OUT:
        if row.source == "manual":
            if mine:
                return None
            why = f": {row.reason}" if row.reason else ""
            return f"{row.model} disabled elsewhere {out_for(row)}{why}", "warning"
        if row.status == "blocked":
            return f"{name} blocked {out_for(row)}: provider {row.kind}", "error"
        trip = f", trip {row.trips}" if row.trips > 1 else ""
        check = check_text(row)
        return f"{name} out {out_for(row)}: {row.kind}{trip}" + (f" ({check})" if check else ""), "warning"
    if row.status == "probing":
        return f"{name}: time is up, probing it (half-open)", "information"
    if was in (*OUT, "probing"):
        if mine:
            return None
        if was == "disabled" and before and before[2] == "manual":
            return f"{row.model} enabled elsewhere", "information"
        return f"{name} recovered: {row.status}", "information"
    if row.status == "degraded":
        return f"{name} degraded: {row.error or 'failed'}", "warning"
    return f"{name} is {row.status}", "information"


def all_out_text(group: str, chain: list[ModelStatus]) -> str:
    """What a toast says when no model of `group` can answer: which one is back first, and when (by
    the same rule as the chat's countdown and `chat --wait`: a cooldown's end or a next recheck)."""
    back = first_back(chain)
    if back is not None:
        return f"Every model of {group} is out. First back: {short_name(back[0])} in {format_countdown(back[1])}."
    return f"Every model of {group} is out, and none comes back by itself: {bring_back_text(chain)}."


def bring_back_text(chain: list[ModelStatus]) -> str:
    """What brings a model of an all-out group back: enabling one that is disabled (e), setting a
    missing key (named, with the fix); a no-key model is never offered for enabling."""
    enable = [short_name(r.model) for r in chain if r.enableable]
    keys = sorted({r.key_env for r in chain if r.status == "no key" and r.key_env})
    ways = []
    if enable:
        ways.append(f"enable {enable[0] if len(enable) == 1 else 'one'} (e)")
    if keys:
        ways.append("set " + " or ".join(f"{k} (export {k}=…)" for k in keys))
    return " or ".join(ways) or "enable one (e)"


def check_summary(results: list) -> str:
    """`checked 7 models: 4 ok, 1 failed, 2 not probed`: the counts add up to the total (the CLI's
    `check` and the TUI's check of every model say it alike)."""
    ok = sum(1 for r in results if r.ok)
    failed = sum(1 for r in results if r.ok is False)
    skipped = len(results) - ok - failed
    return (f"checked {len(results)} model{'s' if len(results) != 1 else ''}: {ok} ok, {failed} failed"
            + (f", {skipped} not probed" if skipped else ""))


def probe_summary(results: list, kind: str) -> list[tuple[str, str]]:
    """Log lines for a sweep ('sweep'), half-open trials ('trials'), rechecks of models out
    automatically ('rechecks') or a user check ('check')."""
    probed = [r for r in results if r.ok is not None]
    if kind == "sweep":
        if not probed:
            return []
        failed = [r for r in probed if not r.ok]
        lines = [(f"health sweep: {len(probed) - len(failed)} ok, {len(failed)} failed",
                  "warning" if failed else "information")]
        return lines + [(f"probe {short_name(r.model)} failed: {r.error}", "warning") for r in failed]
    lines = []
    word = {"trials": "trial", "rechecks": "recheck"}.get(kind, "check")
    for r in results:
        if r.ok is None:
            if kind == "check":
                lines.append((f"check {short_name(r.model)} skipped: {r.skipped}", "information"))
        elif r.ok:
            lines.append((f"{word} {short_name(r.model)}: ok in {format_ms(r.latency_ms)}", "information"))
        else:
            lines.append((f"{word} {short_name(r.model)} failed: {r.error}", "warning"))
    return lines
