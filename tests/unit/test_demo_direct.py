"""The demo's chain across APIs: with no groups.yaml of the user's, `--demo` plays its own configuration,
whose `direct` group fails over from Anthropic's API to Gemini's on the first chat."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.engine.api import ModelFallback
from tui.engine.config import paths as config_paths
from tui.engine.sim.demo import DEMO_CONFIG, demo_env, demo_transport


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
