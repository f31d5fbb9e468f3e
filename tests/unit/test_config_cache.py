"""The validated groups.yaml is remembered between processes, and never wrongly."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
import pytest
from config_texts import with_groups

from tui.engine.config import ConfigError
from tui.engine.config import paths as config_paths
from tui.engine.config.cache import load_cached
from tui.engine.config.loader import load_config


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "modelfallback" / "config"


class Loads:
    """The real loader, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, path: Path):
        self.calls += 1
        return load_config(path)


def test_the_second_load_of_an_unchanged_file_parses_nothing(tmp_path: Path, cache_home: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(with_groups("  c: [m, {id: n, hedge: auto, ttft_timeout: 60s}]\n",
                                tail="health: {recheck: 5s}\nstate: shared.json\n"))
    loads = Loads()
    first = load_cached(path, loads)
    second = load_cached(path, loads)
    assert loads.calls == 1 and second == first and second.path == path
    assert second.models["n"].policy.hedge == "auto" and second.health.recheck == 5.0
    assert second.state == str(tmp_path / "shared.json")
    assert len(list(cache_home.glob("*.json"))) == 1


def test_a_models_price_and_max_tokens_survive_the_cache(tmp_path: Path, cache_home: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(with_groups("  c: [m, {id: n, price: {input: 3, output: 15}, max_tokens: 1000}]\n"))
    loads = Loads()
    first, second = load_cached(path, loads), load_cached(path, loads)
    assert loads.calls == 1 and second == first
    assert (second.models["n"].price, second.models["n"].max_tokens) == ((3.0, 15.0), 1000)


def test_an_edit_parses_the_file_again(tmp_path: Path, cache_home: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(with_groups("  c: [m]\n"))
    loads = Loads()
    load_cached(path, loads)
    path.write_text(with_groups("  c: [m, other]\n"))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert list(load_cached(path, loads).models) == ["m", "other"] and loads.calls == 2


def test_a_bad_file_is_never_remembered(tmp_path: Path, cache_home: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(with_groups("  c: [m]\n", tail="policy: {ttft_timout: 1s}\n"))
    loads = Loads()
    for _ in range(2):
        with pytest.raises(ConfigError, match="groups.yaml:7: policy.ttft_timout"):
            load_cached(path, loads)
    assert loads.calls == 2 and not cache_home.exists()


def test_a_broken_or_unwritable_cache_is_only_a_missed_shortcut(tmp_path: Path, cache_home: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(with_groups("  c: [m]\n"))
    loads = Loads()
    load_cached(path, loads)
    [cached] = cache_home.glob("*.json")
    cached.write_text('{"key": [1], "config": ')  # torn or garbage: parsed again, then rewritten
    assert list(load_cached(path, loads).models) == ["m"] and loads.calls == 2
    assert list(load_cached(path, loads).models) == ["m"] and loads.calls == 2
    for child in cache_home.iterdir():
        child.unlink()
    cache_home.rmdir()
    cache_home.write_text("a file where the cache folder should be")  # nothing can be written there
    assert list(load_cached(path, loads).models) == ["m"] and loads.calls == 3


@pytest.mark.parametrize("env", [{}, {"XDG_STATE_HOME": "/x/st", "XDG_CONFIG_HOME": "/x/cf", "XDG_CACHE_HOME": "/x/ca"},
                                 {"XDG_STATE_HOME": "relative", "XDG_CONFIG_HOME": " ", "XDG_CACHE_HOME": ""}])
def test_user_folders_are_where_platformdirs_puts_them_on_linux(monkeypatch: pytest.MonkeyPatch, env: dict) -> None:
    for name in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert config_paths.user_state_dir() == Path(platformdirs.user_state_dir("modelfallback"))
    assert config_paths.user_config_dir() == Path(platformdirs.user_config_dir("modelfallback"))
    assert config_paths.user_cache_dir() == Path(platformdirs.user_cache_dir("modelfallback"))
