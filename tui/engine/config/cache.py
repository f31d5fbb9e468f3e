"""A validated groups.yaml remembered between processes, so a command does not parse YAML again.

Loading means importing PyYAML and the schema walk, about 25 ms of a `modelfallback chat` that
takes half a second. The result is kept as JSON in the user cache folder, keyed by the file's
path, modification time, size and inode and by the loader's own code (its files' times and the
version): any edit of the file, or a new modelfallback, parses it again. Only a configuration
that loaded cleanly is kept, so an error is always reported from the file itself, with its line.
A cache that cannot be read or written is simply not used.

`file_stamp`, `recall` and `remember` are the mechanism, shared with the TUI's theme cache.
"""

from __future__ import annotations

import dataclasses
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.engine.config.model import Config, HealthSettings, ModelConfig, Policy, ProviderConfig, ServeSettings
from tui.engine.config.paths import user_cache_dir

FORMAT = 3  # 2: the value under "value" (the shared cache layout); 3: a model's max_tokens and price
_CODE = ("model.py", "loader.py", "policy_reader.py", "yaml_nodes.py", "state_location.py")


def _code_stamp() -> list:
    import tui

    here = Path(__file__).resolve().parent
    return [tui.__version__, FORMAT, *(os.stat(here / name).st_mtime_ns for name in _CODE)]


def to_json(config: Config) -> dict:
    return {
        "providers": {n: dataclasses.asdict(p) for n, p in config.providers.items()},
        "default_provider": config.default_provider,
        "groups": {g: list(m) for g, m in config.groups.items()},
        "models": {n: {"id": m.id, "provider": m.provider, "policy": dataclasses.asdict(m.policy),
                       "max_tokens": m.max_tokens, "price": None if m.price is None else list(m.price)}
                   for n, m in config.models.items()},
        "policy": dataclasses.asdict(config.policy),
        "health": dataclasses.asdict(config.health),
        "serve": dataclasses.asdict(config.serve),
        "state": config.state,
        "history": config.history,
        "systems": config.systems,
    }


def from_json(data: dict, path: Path) -> Config:
    return Config(
        providers={n: ProviderConfig(**p) for n, p in data["providers"].items()},
        default_provider=data["default_provider"],
        groups={g: tuple(m) for g, m in data["groups"].items()},
        models={n: ModelConfig(n, m["id"], m["provider"], Policy(**m["policy"]), m["max_tokens"],
                               None if m["price"] is None else (float(m["price"][0]), float(m["price"][1])))
                for n, m in data["models"].items()},
        policy=Policy(**data["policy"]),
        health=HealthSettings(**data["health"]),
        serve=ServeSettings(**data["serve"]),
        path=path,
        state=data["state"],
        history=data["history"],
        systems=dict(data["systems"]),
    )


def file_stamp(path: Path) -> list:
    """What identifies a version of a file without reading it: its resolved path, modification
    time, size and inode. Raises OSError when it cannot be looked at."""
    st = os.stat(path)
    return [str(Path(path).resolve()), st.st_mtime_ns, st.st_size, st.st_ino]


def recall(cache: Path, key: list) -> Any:
    """The value remembered in `cache` under exactly `key`, or None (absent, other key, unreadable)."""
    try:
        doc = json.loads(cache.read_text(encoding="utf-8"))
        return doc.get("value") if doc.get("key") == key else None
    except (OSError, ValueError, AttributeError):
        return None


def remember(cache: Path, key: list, value: Any) -> None:
    """Keep `value` (JSON) in `cache` under `key`, atomically; a cache that cannot be written is
    simply not kept (a read-only home still works, just without the shortcut)."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": key, "value": value}), encoding="utf-8")
        os.replace(tmp, cache)
    except (OSError, TypeError, ValueError):
        pass


def load_cached(path: Path, load: Callable[[Path], Config]) -> Config:
    """`load(path)`, or the same configuration remembered from the last time this file loaded."""
    try:
        key = [*file_stamp(path), *_code_stamp()]
    except OSError:
        return load(path)  # the loader says what is wrong with the path
    cache = user_cache_dir() / "config" / f"{zlib.crc32(key[0].encode()):08x}.json"
    remembered = recall(cache, key)
    if remembered is not None:
        try:
            return from_json(remembered, Path(path))
        except (KeyError, TypeError, ValueError):
            pass  # a cache of another shape: load and remember again
    config = load(path)
    remember(cache, key, to_json(config))
    return config
