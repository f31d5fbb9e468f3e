"""Rechecks apart from the traffic cooldown (docs/architecture.md §6), on a FakeClock.

While a model is out automatically, a check every `health.recheck` may bring it back long before
its cooldown ends; a failed check adds no trip; a manual disable is never lifted; processes that
share a state take a lease so one of them checks per interval.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.config import Config, HealthSettings, ModelConfig, Policy, ProviderConfig
from tui.engine.events import Answered
from tui.engine.failures import FailureKind
from tui.engine.sim import Healthy, Quota, SimulatorTransport, Unavailable

POLICY = Policy(cooldown_base=60, cooldown_factor=2, cooldown_max=300)  # cooldowns longer than a recheck


def make_config(probe: str = "completion", recheck: float = 15.0) -> Config:
    providers = {"sim": ProviderConfig("sim", "https://sim.invalid/v1", "SIM_KEY")}
    models = {n: ModelConfig(n, n, "sim", POLICY) for n in ("primary", "backup")}
    return Config(providers, "sim", {"g": ("primary", "backup")}, models, POLICY,
                  HealthSettings(interval=120, timeout=2.0, probe=probe, recheck=recheck))


def engine_for(transport: SimulatorTransport, clock: FakeClock, state: Path | None = None, **config) -> ModelFallback:
    return ModelFallback(make_config(**config), state_path=state, clock=clock, transport=transport,
                         env={"SIM_KEY": "k-123456"})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_a_passing_recheck_closes_the_breaker_long_before_the_cooldown_ends(clock: FakeClock) -> None:
    transport = SimulatorTransport({"primary": Unavailable()}, default=Healthy(ttft=0.0, tokens_per_s=1e6))
    engine = engine_for(transport, clock)
    answer = await engine.ask("g", "hi")
    assert answer.model == "backup" and answer.attempts[0].cooldown_s == 60
    status = engine.status("primary")
    assert status.status == "disabled" and status.next_check_s == 15
    assert status.to_json()["next_check_s"] == 15
    clock.advance(10)
    assert engine.status("primary").next_check_s == 5
    assert await engine.rechecks() == []  # not due: nothing is checked
    clock.advance(5)
    [still_down] = await engine.rechecks()
    assert still_down.ok is False and still_down.failure.kind is FailureKind.UNAVAILABLE
    status = engine.status("primary")
    # a failed recheck only says "still out": no new trip, the same cooldown, the next check in 15 s
    assert (status.status, status.trips, round(status.remaining_s), status.next_check_s) == ("disabled", 1, 45, 15)
    assert status.error.startswith("503 unavailable")
    transport.set_script("primary", Healthy(ttft=0.0, tokens_per_s=1e6))
    clock.advance(15)
    [back] = await engine.rechecks()
    assert back.ok is True
    status = engine.status("primary")
    assert (status.status, status.trips, status.next_check_s) == ("healthy", 1, None)  # 30 s, not 60
    assert (await engine.ask("g", "hi")).model == "primary"
    assert engine.status("primary").trips == 0  # a real request's success resets the trips
    await engine.aclose()


async def test_a_flapping_model_still_gets_longer_cooldowns_for_traffic(clock: FakeClock) -> None:
    transport = SimulatorTransport({"primary": Unavailable()}, default=Healthy(ttft=0.0, tokens_per_s=1e6))
    engine = engine_for(transport, clock)
    await engine.ask("g", "hi")
    transport.set_script("primary", Healthy(ttft=0.0, tokens_per_s=1e6))
    clock.advance(15)
    assert [r.ok for r in await engine.rechecks()] == [True]
    transport.set_script("primary", Unavailable())
    flap = await engine.ask("g", "hi")  # back in service, fails again at once
    assert flap.attempts[0].cooldown_s == 120  # trip 2: the check closed the breaker, it did not reset it
    await engine.aclose()


async def test_no_recheck_lifts_a_manual_disable_or_a_provider_block(clock: FakeClock) -> None:
    transport = SimulatorTransport({"backup": Quota()}, default=Healthy(ttft=0.0, tokens_per_s=1e6))
    engine = engine_for(transport, clock)
    engine.disable("primary", 600, reason="maintenance")
    async for _ in engine.chat("g", "hi"):  # primary skipped (manual), backup: quota blocks the provider
        pass
    clock.advance(120)
    assert engine.status("primary").next_check_s is None and engine.status("backup").next_check_s is None
    assert await engine.rechecks() == []
    assert engine.status("primary").status == "disabled" and engine.status("backup").status == "blocked"
    assert transport.request_count("primary") == 0
    await engine.aclose()


async def test_probe_none_means_no_rechecks(clock: FakeClock) -> None:
    transport = SimulatorTransport({"primary": Unavailable()}, default=Healthy(ttft=0.0, tokens_per_s=1e6))
    engine = engine_for(transport, clock, probe="none")
    await engine.ask("g", "hi")
    clock.advance(30)
    assert engine.status("primary").next_check_s is None and await engine.rechecks() == []
    await engine.aclose()


async def test_processes_sharing_a_state_take_turns_with_a_lease(clock: FakeClock, tmp_path: Path) -> None:
    """Five engines on one state file, all ticking: one check per interval, not five."""
    transport = SimulatorTransport({"primary": Unavailable()}, default=Healthy(ttft=0.0, tokens_per_s=1e6))
    engines = [engine_for(transport, clock, tmp_path / "state.json") for _ in range(5)]
    await engines[0].ask("g", "hi")  # the first request pays the failure
    engines[0].store.flush()
    chats = transport.request_count("primary")
    for _ in range(3):  # 45 s of the 60 s cooldown, every engine trying every second
        for _ in range(15):
            clock.advance(1)
            for engine in engines:
                await engine.rechecks()
                engine.store.flush()
    assert transport.request_count("primary") - chats == 3  # at 15, 30 and 45 s
    for engine in engines:
        await engine.aclose()


async def test_a_lease_left_by_a_dead_process_blocks_checks_only_until_it_expires(clock: FakeClock,
                                                                                    tmp_path: Path) -> None:
    transport = SimulatorTransport({"primary": Unavailable()}, default=Healthy(ttft=0.0, tokens_per_s=1e6))
    engine = engine_for(transport, clock, tmp_path / "state.json")
    await engine.ask("g", "hi")
    clock.advance(15)
    assert engine.store.take_lease("recheck:primary", "a-process-that-died", 15, clock.wall())
    before = transport.request_count("primary")
    assert await engine.rechecks() == []  # the lease is held
    clock.advance(14.9)
    assert await engine.rechecks() == []
    clock.advance(0.2)
    assert [r.ok for r in await engine.rechecks()] == [False]  # expired: this process checks
    assert transport.request_count("primary") == before + 1
    await engine.aclose()


async def test_a_skip_starts_a_due_recheck_beside_the_request(clock: FakeClock) -> None:
    """No loop needed: the chat that skips a due model checks it; the answer does not wait for it."""
    transport = SimulatorTransport({"primary": Unavailable()}, default=Healthy(ttft=0.0, tokens_per_s=1e6))
    engine = engine_for(transport, clock)
    await engine.ask("g", "hi")
    transport.set_script("primary", Healthy(ttft=0.0, tokens_per_s=1e6))
    clock.advance(5)
    answer = await engine.ask("g", "hi")  # not due yet: no check
    assert answer.model == "backup" and not engine.monitor._inline
    clock.advance(10)
    transport.set_script("primary", Healthy(ttft=1.0, tokens_per_s=1e6))  # a check that takes a while
    answer = await engine.ask("g", "hi")
    assert answer.model == "backup" and [a.outcome for a in answer.attempts] == ["skipped", "ok"]
    [check] = engine.monitor._inline.values()
    assert not check.done()  # the answer came first
    await engine.settle()
    assert check.done() and engine.status("primary").status == "healthy"
    assert (await engine.ask("g", "hi")).model == "primary"
    await engine.aclose()


async def test_recheck_results_and_the_lease_are_shared_through_the_state_file(clock: FakeClock,
                                                                             tmp_path: Path) -> None:
    transport = SimulatorTransport({"primary": Unavailable()}, default=Healthy(ttft=0.0, tokens_per_s=1e6))
    first = engine_for(transport, clock, tmp_path / "state.json")
    await first.ask("g", "hi")
    transport.set_script("primary", Healthy(ttft=0.0, tokens_per_s=1e6))
    clock.advance(15)
    assert [r.ok for r in await first.rechecks()] == [True]
    await first.aclose()
    second = engine_for(transport, clock, tmp_path / "state.json")  # the next CLI process
    answer = await second.ask("g", "hi")
    assert isinstance(answer, Answered) and answer.model == "primary"
    await second.aclose()



def sleeper(clock: FakeClock):
    """An injected sleep that moves the FakeClock instead of waiting."""
    async def sleep(seconds: float) -> None:
        clock.advance(seconds)
    return sleep


async def test_waiting_for_the_first_model_back_by_recheck_or_cooldown(clock: FakeClock) -> None:
    transport = SimulatorTransport({"primary": Unavailable()}, default=Healthy(ttft=0.0, tokens_per_s=1e6))
    engine = ModelFallback(make_config(), clock=clock, transport=transport, env={"SIM_KEY": "k-123456"},
                           sleep=sleeper(clock))
    await engine.ask("g", "hi")  # primary out for 60 s (recheck in 15 s)
    engine.disable("backup", 40)
    assert engine.first_return("g") == ("primary", 15.0)  # its recheck is sooner than any end
    start = clock.monotonic()
    assert await engine.wait_for_return("g", 120) == "backup"  # rechecks at 15 and 30 fail; backup's 40 s end
    assert clock.monotonic() - start == pytest.approx(40, abs=1)
    engine.disable("backup", 40)
    transport.set_script("primary", Healthy(ttft=0.0, tokens_per_s=1e6))
    start = clock.monotonic()
    assert await engine.wait_for_return("g", 120) == "primary"  # back by its next recheck, before backup
    assert clock.monotonic() - start <= 15 + 1
    await engine.aclose()


async def test_waiting_is_bounded_and_never_for_a_model_disabled_until_enabled(clock: FakeClock) -> None:
    transport = SimulatorTransport({}, default=Healthy(ttft=0.0, tokens_per_s=1e6))
    engine = ModelFallback(make_config(), clock=clock, transport=transport, env={"SIM_KEY": "k-123456"},
                           sleep=sleeper(clock))
    engine.disable("primary", None)
    engine.disable("backup", None)
    assert engine.first_return("g") is None
    start = clock.monotonic()
    assert await engine.wait_for_return("g", 60) is None and clock.monotonic() == start  # nothing to wait for
    engine.disable("backup", 600)
    assert engine.first_return("g") == ("backup", 600)
    assert await engine.wait_for_return("g", 30) is None and clock.monotonic() - start == pytest.approx(30)
    await engine.aclose()
