"""The demo never touches the user's real state: the Python API and the command line share one rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.engine.api import ModelFallback
from tui.engine.config import paths as config_paths
from tui.engine.sim.demo import demo_transport


@pytest.fixture
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's state dir is a scratch folder; no config or state is named explicitly."""
    state_dir = tmp_path / "state"
    monkeypatch.setattr(config_paths, "user_state_dir", lambda: state_dir)
    monkeypatch.setattr(config_paths, "user_config_dir", lambda: tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MODELFALLBACK_STATE", raising=False)
    monkeypatch.delenv("MODELFALLBACK_CONFIG", raising=False)
    return state_dir


async def _demo_chat(**kwargs) -> ModelFallback:
    engine = ModelFallback.from_files(demo=True, transport=demo_transport(speed=50), **kwargs)
    async with engine:
        answer = await engine.ask("coding", "hello")
    assert answer.attempts[0].outcome == "failed"  # the demo's first model failed: a cooldown was recorded
    return engine


async def test_from_files_demo_writes_demo_state_not_the_real_one(user_dirs: Path) -> None:
    engine = await _demo_chat()
    assert engine.store.path == user_dirs / "demo-state.json"
    assert not (user_dirs / "state.json").exists()
    demo = json.loads((user_dirs / "demo-state.json").read_text())
    assert "anthropic/claude-3.5-sonnet" in demo["models"]


async def test_a_state_named_in_the_environment_is_not_the_demos_either(user_dirs: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "team" / "state.json"
    monkeypatch.setenv("MODELFALLBACK_STATE", str(real))
    engine = await _demo_chat()
    assert engine.store.path == real.with_name("demo-state.json")
    assert not real.exists()


async def test_an_explicit_state_path_is_used_as_given(user_dirs: Path, tmp_path: Path) -> None:
    chosen = tmp_path / "chosen.json"
    engine = await _demo_chat(state_path=chosen)
    assert engine.store.path == chosen and chosen.exists()


def test_the_command_line_demo_leaves_the_real_state_alone(tmp_path: Path) -> None:
    """As a new user would run it, with XDG dirs pointed at a scratch folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELFALLBACK") and k != "OPENROUTER_API_KEY"}
    env.update(XDG_STATE_HOME=str(tmp_path / "xdg-state"), XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
    out = subprocess.run([sys.executable, "-m", "tui", "--demo", "status", "--json"], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([sys.executable, "-m", "tui", "--demo", "disable", "openai/gpt-4-turbo"], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr
    state_dir = tmp_path / "xdg-state" / "modelfallback"
    assert not (state_dir / "state.json").exists()
    assert "openai/gpt-4-turbo" in json.loads((state_dir / "demo-state.json").read_text())["models"]
