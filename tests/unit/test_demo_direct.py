"""The demo's chain across APIs: with no groups.yaml of the user's, `--demo` plays its own configuration,
whose `direct` group fails over from Anthropic's API to Gemini's on the first chat."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim_wire import FAST, GROUPS_YAML, body, run

from tui.engine.api import ModelFallback
from tui.engine.config import paths as config_paths
from tui.engine.config.loader import load_config
from tui.engine.sim.demo import DEMO_CONFIG, DEMO_NOTICE, demo_env, demo_scripts, demo_transport


@pytest.fixture
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(config_paths, "user_state_dir", lambda: tmp_path / "state")
    monkeypatch.setattr(config_paths, "user_config_dir", lambda: tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MODELFALLBACK_STATE", raising=False)
    monkeypatch.delenv("MODELFALLBACK_CONFIG", raising=False)
    return tmp_path


async def test_the_demo_without_a_user_config_has_a_group_across_apis(no_user_config: Path) -> None:
    demo = ModelFallback.from_files(demo=True, transport=demo_transport(speed=50))
    plain = ModelFallback.from_files(state_path=no_user_config / "s.json")
    async with demo, plain:
        assert "direct" not in plain.config.groups  # the packaged default needs no vendor key
        direct = [demo.config.models[m] for m in demo.config.groups["direct"]]
        assert [(m.id, demo.config.providers[m.provider].api) for m in direct] == [
            ("claude-sonnet-4-5", "anthropic"), ("gemini-2.5-flash", "gemini"), ("openai/gpt-4o-mini", "openai")]
        assert {g: demo.config.groups[g] for g in plain.config.groups} == plain.config.groups


async def test_a_users_own_config_is_kept_in_the_demo(no_user_config: Path) -> None:
    (no_user_config / "groups.yaml").write_text("providers: {p: {base_url: 'https://x.invalid/v1'}}\n"
                                                "default_provider: p\ngroups: {mine: [m1]}\n")
    async with ModelFallback.from_files(demo=True, transport=demo_transport(speed=50)) as engine:
        assert list(engine.config.groups) == ["mine"]


async def test_the_first_direct_chat_fails_over_from_anthropic_to_gemini(tmp_path: Path) -> None:
    transport = demo_transport(speed=50)
    engine = ModelFallback.from_files(DEMO_CONFIG, tmp_path / "demo-state.json", demo=True, transport=transport,
                                      env={})
    async with engine:
        answer = await engine.ask("direct", "hello across APIs")
        again = await engine.ask("direct", "and again")
    assert [(a.model, a.outcome, a.kind, a.status) for a in answer.attempts] == [
        ("claude-sonnet-4-5", "failed", "unavailable", 529), ("gemini-2.5-flash", "ok", None, 200)]
    assert answer.model == "gemini-2.5-flash" and "gemini-2.5-flash" in answer.content
    assert ("claude-sonnet-4-5", "/v1/messages") in transport.requests  # each on its own API's wire
    assert ("gemini-2.5-flash", "/v1beta/models/gemini-2.5-flash:streamGenerateContent") in transport.requests
    assert [(a.model, a.outcome) for a in again.attempts][0] == ("claude-sonnet-4-5", "skipped")
    assert set(demo_env(engine.config)) == {"OPENROUTER_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"}


async def test_demo_covers_the_default_groups_and_env() -> None:
    config = load_config(GROUPS_YAML)
    demo_config = load_config(DEMO_CONFIG)  # the default groups and `direct`, across APIs
    assert {m.id for m in config.models.values()} < {m.id for m in demo_config.models.values()}
    assert set(demo_scripts()) == {m.id for m in demo_config.models.values()}
    assert demo_env() == {"OPENROUTER_API_KEY": "demo-no-key-needed"}
    assert demo_env(config) == {"OPENROUTER_API_KEY": "demo-no-key-needed"}
    keys = ("OPENROUTER_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY")
    assert demo_env(demo_config) == dict.fromkeys(keys, "demo-no-key-needed")
    assert "no network" in DEMO_NOTICE and "no API key" in DEMO_NOTICE
    status, events, _ = await run(demo_transport(speed=FAST), body("someone/unscripted"))
    assert status == 200 and events[-1] == "[DONE]"
