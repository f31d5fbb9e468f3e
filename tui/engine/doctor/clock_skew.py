"""The clock difference between this machine and another (Redis's `TIME`, a provider's `Date`).

Cooldowns, disables and recheck leases are wall-clock deadlines shared between processes and
machines: a clock that is off makes another machine's 5-minute disable end early or late here.
A difference above 2 s is worth a warning, above 30 s it breaks countdowns outright.
"""

from __future__ import annotations

from tui.engine.doctor.result import Check, fail, ok, skip, warn

WARN_S = 2.0
FAIL_S = 30.0
FIX = ("turn on time sync on this machine (e.g. `timedatectl set-ntp true`): shared cooldowns and "
       "countdowns are wall-clock deadlines")


def clock_check(area: str, subject: str, title: str, offset_s: float | None, error_s: float, source: str) -> Check:
    """`offset_s`: the other clock minus ours (None: unknown), give or take `error_s`."""
    if offset_s is None:
        return skip(area, subject, title, f"not measured: no {source}")
    # the smallest difference the measurement allows is what counts: never warn on rounding alone
    least = max(0.0, abs(offset_s) - error_s)
    side = "ahead of" if offset_s > 0 else "behind"
    text = f"{abs(offset_s):.1f} s {side} this machine (±{error_s:.1f} s, by the {source})"
    if least > FAIL_S:
        return fail(area, subject, title, text, FIX)
    if least > WARN_S:
        return warn(area, subject, title, text, FIX)
    return ok(area, subject, title, text)
