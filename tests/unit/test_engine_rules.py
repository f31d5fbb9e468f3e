"""Rules the CLI, the TUI and the API share: a manual disable's duration, a user's check of a model
that is out, latency statistics, the names a model goes by, text made printable."""

from __future__ import annotations

import pytest

from tui.engine.api import ModelFallback, UnknownModel
from tui.engine.clock import FakeClock
from tui.engine.config import Config, HealthSettings, ModelConfig, Policy, ProviderConfig
from tui.engine.durations import MAX_DURATION_S, disable_seconds
from tui.engine.sim import Healthy, SimulatorTransport, Unavailable
from tui.engine.state.health_record import HealthRecord
from tui.engine.text import one_line

POLICY = Policy(cooldown_base=10, cooldown_factor=2, cooldown_max=300)


@pytest.mark.parametrize("value, seconds", [("5m", 300), ("1s", 1), (90, 90), ("365d", MAX_DURATION_S),
                                            ("1h30m", 5400)])
def test_a_disable_lasts_from_1s_to_365d(value, seconds) -> None:
    assert disable_seconds(value) == seconds


@pytest.mark.parametrize("value, said", [
    ("0", "positive"), (0, "positive"), ("-5m", "positive"), (-300, "negative"), ("1ms", "at least 1s"),
    (0.5, "at least 1s"), ("99999999999999999h", "at most 365d"), ("366d", "at most 365d"), (1e308, "at most 365d"),
    ("nan", "finite"), ("soon", "expected a duration"), (True, "expected a duration")])
def test_a_disable_outside_the_rule_is_a_clear_error(value, said) -> None:
    with pytest.raises(ValueError, match=said):
        disable_seconds(value)


def make_engine(names: list[str], scripts: dict, *, providers: dict[str, list[str]] | None = None,
                clock: FakeClock | None = None) -> ModelFallback:
    providers = providers or {"sim": names}
    provider_configs = {p: ProviderConfig(p, f"https://{p}.invalid/v1", "SIM_KEY") for p in providers}
    models = {}
    for provider, ids in providers.items():
        for model_id in ids:
            name = model_id if sum(model_id in v for v in providers.values()) == 1 else f"{provider}:{model_id}"
            models[name] = ModelConfig(name, model_id, provider, POLICY)
    config = Config(provider_configs, next(iter(providers)), {"g": tuple(models)}, models, POLICY,
                    HealthSettings(interval=120, timeout=5, probe="completion"))
    transport = SimulatorTransport(scripts, default=Healthy(ttft=0.001))
    return ModelFallback(config, clock=clock or FakeClock(), transport=transport, env={"SIM_KEY": "k-123456"})


def test_the_api_follows_the_duration_rule() -> None:
    engine = make_engine(["a"], {})
    for seconds in (0, 0.001, -5, 1e308, float("inf")):
        with pytest.raises(ValueError):
            engine.disable("a", seconds)
    assert engine.status("a").status != "disabled"


async def test_checking_a_model_that_is_down_again_and_again_does_not_grow_its_cooldown() -> None:
    clock = FakeClock()
    engine = make_engine(["a"], {"a": Unavailable()}, clock=clock)
    await engine.check()  # the first failure: out for the base cooldown, one trip
    assert engine.status("a").remaining_s == 10 and engine.status("a").trips == 1
    for _ in range(3):
        clock.advance(2)
        [result] = await engine.check()  # the user checks again: a recheck, no new trip
        assert result.ok is False
    row = engine.status("a")
    assert row.trips == 1 and row.remaining_s == 10 - 6


def test_p50_counts_successes_only() -> None:
    record = HealthRecord()
    for _ in range(5):
        record.record(False, 0.0, 1.0, error="refused")
    assert record.p50_ms is None  # a refused connection's 1 ms says nothing about answers
    record.record(True, 1.0, 501.0)
    assert record.p50_ms == 501.0 and record.last_latency_ms == 501.0


def test_short_names_are_accepted_when_unambiguous() -> None:
    engine = make_engine([], {}, providers={"p": ["openai/gpt-4-turbo", "openai/gpt-4"], "q": ["openai/gpt-4"]})
    assert engine.resolve("gpt-4-turbo").name == "openai/gpt-4-turbo"
    engine.disable("gpt-4-turbo", 60)
    assert engine.status("openai/gpt-4-turbo").status == "disabled"
    engine.enable("gpt-4-turbo")
    assert engine.status("openai/gpt-4-turbo").status != "disabled"


@pytest.mark.parametrize("typed", ["gpt-4", "openai/gpt-4", "openai/gpt-4x"])
def test_one_id_on_two_providers_offers_both(typed: str) -> None:
    engine = make_engine([], {}, providers={"p": ["openai/gpt-4-turbo", "openai/gpt-4"], "q": ["openai/gpt-4"]})
    with pytest.raises(UnknownModel) as caught:
        engine.disable(typed, 60)
    assert "'p:openai/gpt-4'" in str(caught.value) and "'q:openai/gpt-4'" in str(caught.value)


def test_one_line_shows_controls_and_bounds_the_length() -> None:
    text = one_line("\x1b[31mRED\x1b[0m\nsecond\r\nline\u2028x\x9b" + "y" * 500)
    assert text.startswith("\\x1b[31mRED\\x1b[0m second line x\\x9b")
    assert len(text) == 200 and text.endswith("…")
    assert all(ch.isprintable() for ch in text)


@pytest.mark.parametrize("value, said", [("500ms", "a disable lasts at least 1s, got 0.5s"),
                                         ("366d", "expected a duration like 30s, 5m or 1h, at most 365d")])
def test_groups_yaml_manual_disable_follows_the_same_rule(value, said) -> None:
    from config_texts import error_of, with_groups

    assert error_of(with_groups("  c: [m]\n", tail=f"policy: {{manual_disable: {value}}}\n")) == (
        f"g.yaml:7: policy.manual_disable: {said}")
