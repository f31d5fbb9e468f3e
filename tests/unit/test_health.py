"""The health monitor: concurrent sweeps, probe kinds, half-open trials, passive + active records."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.config import Config, HealthSettings, ModelConfig, Policy, ProviderConfig
from tui.engine.sim import Hang, Healthy, NotFound, SimulatorTransport, Unavailable

POLICY = Policy(cooldown_base=10, cooldown_factor=2)


def make_config(names: list[str], probe: str = "completion", timeout: float = 5.0) -> Config:
    providers = {"sim": ProviderConfig("sim", "https://sim.invalid/v1", "SIM_KEY")}
    models = {n: ModelConfig(n, n, "sim", POLICY) for n in names}
    return Config(providers, "sim", {"g": tuple(names)}, models, POLICY,
                  HealthSettings(interval=120, timeout=timeout, probe=probe))


def engine_for(names, scripts, *, probe="completion", timeout=5.0, clock=None, default=Healthy(ttft=0.001)):
    transport = SimulatorTransport(scripts, default=default)
    engine = ModelFallback(make_config(names, probe, timeout), clock=clock or FakeClock(), transport=transport,
                           env={"SIM_KEY": "k-123456"})
    return engine, transport


async def test_a_sweep_of_200_slow_models_runs_concurrently() -> None:
    names = [f"m{i}" for i in range(200)]
    engine, transport = engine_for(names, {}, default=Healthy(ttft=0.2), clock=None)
    engine.monitor.clock = engine.clock  # FakeClock: latency numbers are not measured here
    begin = time.perf_counter()
    results = await engine.check()
    elapsed = time.perf_counter() - begin
    await engine.aclose()
    assert all(r.ok for r in results) and len(results) == 200
    assert elapsed < 10  # sequential would take 40 s; the benchmark reports the real ratio
    assert transport.request_count("m0") == 1


async def test_probe_failure_disables_by_the_chat_policy() -> None:
    engine, _ = engine_for(["a", "b"], {"a": Unavailable()})
    results = {r.model: r for r in await engine.check()}
    assert results["a"].ok is False and results["a"].failure.kind.value == "unavailable"
    assert engine.status("a").status == "disabled" and engine.status("a").remaining_s == 10
    assert engine.status("b").status == "healthy"
    assert engine.health.get("a").last_error_kind == "unavailable"


async def test_probe_is_bounded_by_the_health_timeout() -> None:
    engine, _ = engine_for(["a"], {"a": Hang()}, timeout=0.3, clock=None)
    begin = time.perf_counter()
    [result] = await engine.check()
    assert time.perf_counter() - begin < 2
    assert result.ok is False and result.failure.kind.value == "timeout"


async def test_models_probe_lists_once_per_provider() -> None:
    engine, transport = engine_for(["a", "b", "c"], {n: Healthy(ttft=0.001) for n in "abc"}, probe="models")
    results = await engine.check()
    assert all(r.ok for r in results)
    assert [path for model, path in transport.requests].count("/v1/models") == 1
    assert transport.request_count("a") == 0  # no completion was spent


async def test_models_probe_marks_an_unlisted_model_not_found() -> None:
    engine, transport = engine_for(["a"], {"a": Healthy(ttft=0.001)}, probe="models")
    engine.config.models["a"] = ModelConfig("a", "not-served-id", "sim", POLICY)
    [result] = await engine.check()
    assert result.ok is False and result.failure.kind.value == "not_found"


async def test_probe_none_probes_nothing() -> None:
    engine, transport = engine_for(["a"], {}, probe="none")
    [result] = await engine.check()
    assert result.ok is None and result.skipped == "probe: none" and transport.requests == []


async def test_background_sweep_leaves_open_breakers_alone_and_trials_probe_them_when_due() -> None:
    clock = FakeClock()
    engine, transport = engine_for(["a"], {"a": Unavailable()}, clock=clock)
    await engine.check()
    assert engine.status("a").status == "disabled"
    before = transport.request_count("a")
    assert (await engine.monitor.sweep())[0].skipped == "disabled"
    assert await engine.monitor.trials() == []  # not due yet
    clock.advance(10)
    assert engine.status("a").status == "probing"
    transport.set_script("a", Healthy(ttft=0.001))
    [trial] = await engine.monitor.trials()
    assert trial.ok is True and transport.request_count("a") == before + 1
    assert engine.status("a").status == "healthy"


async def test_failed_trial_reopens_with_the_next_cooldown() -> None:
    clock = FakeClock()
    engine, _ = engine_for(["a"], {"a": Unavailable()}, clock=clock)
    await engine.check()
    clock.advance(10)
    [trial] = await engine.monitor.trials()
    assert trial.ok is False and engine.status("a").remaining_s == 20


async def test_manual_disable_is_never_probed_or_lifted() -> None:
    engine, transport = engine_for(["a"], {})
    engine.disable("a", 60)
    [result] = await engine.check()
    assert result.skipped == "disabled" and transport.requests == []
    assert engine.status("a").source == "manual"


async def test_user_check_closes_an_auto_disable_that_now_works() -> None:
    engine, transport = engine_for(["a"], {"a": Unavailable()})
    await engine.check()
    transport.set_script("a", Healthy(ttft=0.001))
    [result] = await engine.check()  # the user asked: probe it although its cooldown runs
    assert result.ok is True and engine.status("a").status == "healthy"


async def test_missing_key_is_not_probed() -> None:
    engine = ModelFallback(make_config(["a"]), clock=FakeClock(), transport=SimulatorTransport({}), env={})
    [result] = await engine.check()
    assert result.skipped == "no key" and engine.status("a").status == "no key"


async def test_health_is_persisted_for_other_processes(tmp_path) -> None:
    state = tmp_path / "s.json"
    transport = SimulatorTransport({"a": NotFound()}, default=Healthy(ttft=0.001))
    engine = ModelFallback(make_config(["a", "b"]), clock=FakeClock(), transport=transport,
                           env={"SIM_KEY": "k-123456"}, state_path=state)
    await engine.check()
    await engine.aclose()  # health rows are written behind; closing writes what is pending
    other = ModelFallback(make_config(["a", "b"]), clock=FakeClock(), transport=transport,
                          env={"SIM_KEY": "k-123456"}, state_path=state)
    assert other.status("b").status == "healthy"
    assert other.status("a").status == "disabled" and "404" in (other.status("a").error or "")


@pytest.mark.parametrize("outcomes, word", [([], "unknown"), ([True], "healthy"), ([True, False], "degraded"),
                                             ([False, False, True], "healthy"),
                                             ([False, True, False, True, False, True, False, False, True],
                                              "degraded")])
def test_health_words(outcomes, word) -> None:
    from tui.engine.state.health_record import HealthRecord

    rec = HealthRecord()
    for ok in outcomes:
        rec.record(ok, 0.0, 10.0)
    assert rec.status == word


@given(st.lists(st.integers(min_value=0, max_value=120_000), max_size=45))
def test_p50_is_the_median_of_the_kept_window(latencies):
    import statistics

    from tui.engine.state.health_record import WINDOW, HealthRecord

    record = HealthRecord()
    for i, ms in enumerate(latencies):
        record.record(True, float(i), ms)
    kept = latencies[-WINDOW:]
    assert record.p50_ms == (statistics.median(kept) if kept else None)
