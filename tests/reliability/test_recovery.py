"""A primary that goes down for a window and comes back while requests keep coming.

The breaker must open (the fallback serves, the primary is not hammered), the primary must be tried
again when its cooldown ends (half-open) and used again as soon as it answers. Two runs:

- real time, a few seconds, small cooldowns (0.2 s doubling to 0.8 s): measures how soon after the
  recovery the primary answers again (printed; the number goes in the README);
- a FakeClock run: exact, no sleeping: the primary gets no request while its cooldown runs and the
  first request after the cooldown ends goes to it; a background trial closes the breaker too;
- FakeClock runs of a 1- and a 6-minute outage with the shipped policy: rechecks every 15 s, apart
  from the growing traffic cooldown, bring it back within a recheck of its recovery.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from faultserver import RecordedRequest, Stream, error_json

from reliability_kit import CANARY, RoutedFaultServer, assert_no_canary, drive
from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.config.loader import load_config
from tui.engine.events import Answered

YAML = """\
providers:
  loop: {{base_url: {url}, api_key_env: MF_LOOP_KEY}}
groups:
  g: [primary, backup]
policy: {{ttft_timeout: 0.5s, stall_timeout: 0.5s, connect_timeout: 0.5s,
         cooldown: {{base: {base}, factor: 2, max: {max}}}}}
health: {{timeout: 1s}}
"""


def engine_for(tmp: Path, url: str, base: str, max_: str, clock=None) -> ModelFallback:
    path = tmp / "groups.yaml"
    path.write_text(YAML.format(url=url, base=base, max=max_))
    return ModelFallback(load_config(path), state_path=tmp / "state.json", env={"MF_LOOP_KEY": CANARY},
                         **({"clock": clock} if clock else {}))


class Switch:
    """The primary's health as a function of time: down inside [down_at, up_at)."""

    def __init__(self) -> None:
        self.down = False

    def route(self, record: RecordedRequest):
        if record.model == "primary" and self.down:
            return error_json(503, "overloaded", type="overloaded_error")
        return Stream(tokens=[f"{record.model} ", "answers"])


DOWN_AT, UP_AT, END_BY = 0.3, 1.8, 4.0
INTERVAL = 0.02  # a steady stream of requests, one after another, 20 ms apart
BASE, MAX = 0.2, 0.8


async def test_primary_down_then_recovers_in_real_time(tmp_path: Path) -> None:
    switch = Switch()
    server = RoutedFaultServer(switch.route)
    await server.start()
    engine = engine_for(tmp_path, server.base_url, f"{BASE}s", f"{MAX}s")
    log: list[tuple[float, str, list]] = []  # (t, answering model, attempts)
    try:
        t0 = time.monotonic()
        recovered_at = used_again_at = None
        while (now := time.monotonic() - t0) < END_BY:
            switch.down = DOWN_AT <= now < UP_AT
            if now >= UP_AT and recovered_at is None:
                recovered_at = now
            run = await drive(engine, "g")
            assert isinstance(run.final, Answered), run.final  # every request is answered
            log.append((now, run.final.model, run.rows()))
            if recovered_at is not None and run.final.model == "primary":
                used_again_at = time.monotonic() - t0
                break
            await asyncio.sleep(INTERVAL)
        assert used_again_at is not None, "the primary was never used again"
        delay = used_again_at - recovered_at
        down = [row for row in log if DOWN_AT + 0.05 <= row[0] < UP_AT]
        served_by_backup = sum(model == "backup" for _, model, _ in down)
        trials = [row for row in down if row[2][0][1] == "failed"]  # requests that tried the primary
        skipped = [row for row in down if row[2][0][1] == "skipped"]
        print(f"\nrecovery: primary down {UP_AT - DOWN_AT:.1f}s; {len(down)} requests in the window, "
              f"{served_by_backup} served by the backup, {len(trials)} trials of the primary, "
              f"{len(skipped)} skipped it; used again {delay:.2f}s after it recovered "
              f"(cooldown {BASE}s doubling to {MAX}s)")
        assert served_by_backup == len(down) and len(down) > 10
        assert len(skipped) > 3 * len(trials)  # the breaker is open most of the window: no hammering
        assert 2 <= len(trials) <= 1 + round((UP_AT - DOWN_AT) / BASE)  # half-open trials, cooldowns growing
        # Before the window the primary answers; after it the first trial closes the breaker.
        assert all(model == "primary" for t, model, _ in log if t < DOWN_AT)
        assert delay <= MAX + 0.3  # at worst one full (capped) cooldown after the recovery
        status = engine.status("primary")
        assert status.status == "healthy" and status.trips == 0
        assert_no_canary((tmp_path / "state.json").read_text(), log)
    finally:
        await engine.aclose()
        await server.stop()


async def test_primary_recovery_with_a_fake_clock(loop_server, tmp_path: Path) -> None:
    clock = FakeClock()
    engine = engine_for(tmp_path, loop_server.base_url, "10s", "5m", clock=clock)
    switch = Switch()
    loop_server.route = switch.route
    primary_requests = lambda: len(loop_server.requests_for("primary"))  # noqa: E731
    try:
        switch.down = True
        first = await drive(engine, "g")
        assert first.rows() == [("primary", "failed", "unavailable", 503), ("backup", "ok", None, 200)]
        assert first.attempts[0].cooldown_s == 10
        for _ in range(3):  # inside the cooldown: skipped, not asked
            clock.advance(3)
            run = await drive(engine, "g")
            assert run.rows()[0] == ("primary", "skipped", "disabled", None)
        assert primary_requests() == 1
        clock.advance(1.01)  # 10.01 s: the cooldown is over, the primary is probing (half-open)
        assert engine.status("primary").status == "probing"
        trial = await drive(engine, "g")  # still down: re-opened with the next, doubled cooldown
        assert trial.rows()[0] == ("primary", "failed", "unavailable", 503)
        assert trial.attempts[0].cooldown_s == 20 and primary_requests() == 2

        switch.down = False  # it recovers now, 20 s before its cooldown ends
        clock.advance(19.9)
        assert (await drive(engine, "g")).final.model == "backup" and primary_requests() == 2
        clock.advance(0.11)
        back = await drive(engine, "g")  # the first request after the cooldown: the primary again
        assert back.final.model == "primary" and back.rows() == [("primary", "ok", None, 200)]
        assert engine.status("primary").trips == 0
        # ... and the breaker is fully closed: the next failure starts again from the base cooldown.
        switch.down = True
        again = await drive(engine, "g")
        assert again.attempts[0].cooldown_s == 10
    finally:
        await engine.aclose()


async def test_background_trial_closes_the_breaker_before_any_request(loop_server, tmp_path: Path) -> None:
    clock = FakeClock()
    engine = engine_for(tmp_path, loop_server.base_url, "10s", "5m", clock=clock)
    switch = Switch()
    loop_server.route = switch.route
    try:
        switch.down = True
        await drive(engine, "g")
        switch.down = False
        clock.advance(10.5)
        results = await engine.monitor.trials()  # what the TUI's background probe does each tick
        assert [(r.model, r.ok) for r in results] == [("primary", True)]
        assert engine.status("primary").status == "healthy"
        run = await drive(engine, "g")
        assert run.rows() == [("primary", "ok", None, 200)]
    finally:
        await engine.aclose()


@pytest.mark.parametrize("outage_s", [60, 360])
async def test_a_primary_is_used_again_within_a_recheck_of_recovering_whatever_the_outage(
        loop_server, tmp_path: Path, outage_s: int) -> None:
    """One request every 4 s of FakeClock time through one long-lived engine (as the Python API is
    used; the CLI's per-process path is in benchmarks/recovery_lag.py); the primary is down for
    [8, 8 + outage). Traffic cooldowns grow 10, 20, 40 … 300 s, but a recheck every 15 s runs beside
    the requests that skip it, so it answers again within recheck + one request interval."""
    clock = FakeClock()
    engine = engine_for(tmp_path, loop_server.base_url, "10s", "5m", clock=clock)  # the shipped defaults
    switch = Switch()
    loop_server.route = switch.route
    down_at, up_at, step = 8, 8 + outage_s, 4
    used_again = None
    try:
        for t in range(0, up_at + 60, step):
            switch.down = down_at <= t < up_at
            run = await drive(engine, "g")
            assert isinstance(run.final, Answered)
            await engine.settle()  # the recheck it started (the CLI waits for it the same way at exit)
            if t >= up_at and run.final.model == "primary":
                used_again = t
                break
            clock.advance(step)
        primary = list(loop_server.requests_for("primary"))
        checks = [r for r in primary if r.json.get("max_tokens") == 1]  # a probe asks for one token
        print(f"\nrecovery, default policy: primary down {outage_s} s, used again {used_again - up_at} s after "
              f"it recovered; {len(checks)} checks and {len(primary) - len(checks)} real requests reached it")
        assert used_again is not None and used_again - up_at <= 15 + step
        # About one check per recheck interval while it was out, not one per request.
        assert len(checks) <= outage_s / 15 + 2
    finally:
        await engine.aclose()
