"""Helpers for the Redis tests: the canary password, configs, the CLI on one "machine", polling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

PASSWORD = "mf-redis-canary-Zq7x4Kp9w2"  # a canary: it must never show up in any output or file
REPO = Path(__file__).resolve().parent.parent.parent
KEY = "sk-redis-test-key-0123456789abcdef"
MODELS = ["vendor/alpha", "vendor/beta", "vendor/gamma"]


def write_config(folder: Path, models: list[str] | None = None, base_url: str = "http://127.0.0.1:9/v1") -> Path:
    """A groups.yaml with one provider `p` (key from $MF_REDIS_KEY) and one group `g`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "groups.yaml"
    path.write_text(f'providers:\n  p: {{base_url: "{base_url}", api_key_env: MF_REDIS_KEY}}\n'
                    f"default_provider: p\ngroups:\n  g: [{', '.join(models or MODELS)}]\n", encoding="utf-8")
    return path


def cli_env(tmp_path: Path, machine: str = "a") -> dict[str, str]:
    """The environment of a `modelfallback` process on one "machine" (its own user state dir)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELFALLBACK_")}
    env.update(XDG_STATE_HOME=str(tmp_path / f"xdg-{machine}"), XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
               MF_REDIS_KEY=KEY)
    return env


def run_cli(tmp_path: Path, url: str, *args: str, machine: str = "a", timeout: float = 30
            ) -> subprocess.CompletedProcess:
    """`python -m tui --config ... --state URL ARGS` on `machine`, from the repository."""
    config = write_config(tmp_path / "config")
    return subprocess.run([sys.executable, "-m", "tui", "--config", str(config), "--state", url, *args],
                          cwd=str(REPO), env=cli_env(tmp_path, machine), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def status_json(tmp_path: Path, url: str, machine: str = "a") -> dict:
    out = run_cli(tmp_path, url, "status", "--json", machine=machine)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def rows(status: dict) -> dict[str, dict]:
    return {row["model"]: row for row in status["models"]}


def wait_for(predicate: Callable[[], object], timeout: float, what: str, step: float = 0.005) -> float:
    """Poll until `predicate()` is true; returns the seconds it took, fails after `timeout`."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)
    return time.monotonic() - start


def raw_client(server, db: int = 0):
    """A plain redis-py client on the test server, to look at the keys as they are stored."""
    import redis

    return redis.Redis(host="127.0.0.1", port=server.port, db=db, password=server.password, socket_timeout=5)
