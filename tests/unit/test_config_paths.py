"""Where groups.yaml and the state are found: --config / --state, the environment, the config's
own `state:` key, the working folder, the user folders and the packaged default; and the demo's
rule that it never uses a real or shared state unless --state names it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.engine.config import ConfigError
from tui.engine.config import paths as config_paths
from tui.engine.config.loader import load_config
from tui.engine.config.paths import find_config_path, find_state_path

# ------------------------------------------------------------------ lookup order


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A fake cwd, user config dir, user state dir and packaged default, so nothing real is read."""
    paths = {name: tmp_path / name for name in ("cwd", "config", "state")}
    for path in paths.values():
        path.mkdir()
    paths["packaged"] = tmp_path / "packaged-groups.yaml"
    monkeypatch.chdir(paths["cwd"])
    monkeypatch.setattr(config_paths, "user_config_dir", lambda: tmp_path / "config")
    monkeypatch.setattr(config_paths, "user_state_dir", lambda: tmp_path / "state")
    monkeypatch.setattr(config_paths, "default_config_path", lambda: paths["packaged"])
    return paths


def test_config_lookup_order(dirs: dict[str, Path]) -> None:
    env = {"MODELFALLBACK_CONFIG": "/from/env.yaml"}
    (dirs["cwd"] / "groups.yaml").write_text("x")
    (dirs["config"] / "groups.yaml").write_text("x")
    assert find_config_path("/from/flag.yaml", env) == Path("/from/flag.yaml")
    assert find_config_path(None, env) == Path("/from/env.yaml")
    assert find_config_path(None, {}) == dirs["cwd"] / "groups.yaml"
    (dirs["cwd"] / "groups.yaml").unlink()
    assert find_config_path(None, {}) == dirs["config"] / "groups.yaml"
    (dirs["config"] / "groups.yaml").unlink()
    assert find_config_path(None, {}) == dirs["packaged"]


def test_explicit_missing_config_is_returned_and_reported(dirs: dict[str, Path]) -> None:
    (dirs["cwd"] / "groups.yaml").write_text("x")
    missing = dirs["cwd"] / "missing.yaml"
    assert find_config_path(str(missing), {}) == missing
    assert find_config_path(None, {"MODELFALLBACK_CONFIG": str(missing)}) == missing
    with pytest.raises(ConfigError) as info:
        load_config(find_config_path(str(missing), {}))
    assert str(info.value) == f"{missing}: configuration file not found"


def test_empty_env_value_counts_as_unset(dirs: dict[str, Path]) -> None:
    assert find_config_path(None, {"MODELFALLBACK_CONFIG": ""}) == dirs["packaged"]
    assert find_state_path(None, {"MODELFALLBACK_STATE": ""}) == dirs["state"] / "state.json"


def test_config_path_expands_home(dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(dirs["cwd"]))
    assert find_config_path(None, {"MODELFALLBACK_CONFIG": "~/g.yaml"}) == dirs["cwd"] / "g.yaml"


def test_state_lookup_order(dirs: dict[str, Path]) -> None:
    env = {"MODELFALLBACK_STATE": "/from/env.json"}
    assert find_state_path("/from/flag.json", env) == Path("/from/flag.json")
    assert find_state_path(None, env) == Path("/from/env.json")
    assert find_state_path(None, {}) == dirs["state"] / "state.json"
    assert not (dirs["state"] / "state.json").exists()  # looking up never creates the file


def test_state_lookup_with_the_config_key_and_redis_urls(dirs: dict[str, Path]) -> None:
    url = "redis://:pw@127.0.0.1:6379/0"
    assert find_state_path(None, {}, configured="/from/config.json") == Path("/from/config.json")
    assert find_state_path(None, {"MODELFALLBACK_STATE": "/from/env.json"}, configured=url) == Path("/from/env.json")
    assert find_state_path(None, {}, configured=url) == url
    assert find_state_path(f" {url} ", {}) == url  # --state wins, as given
    # the demo never uses a shared Redis nor a real file unless --state names it
    assert find_state_path(None, {}, configured=url, demo=True) == dirs["state"] / "demo-state.json"
    assert find_state_path(None, {"MODELFALLBACK_STATE": url}, demo=True) == dirs["state"] / "demo-state.json"
    assert find_state_path(url, {}, demo=True) == url
