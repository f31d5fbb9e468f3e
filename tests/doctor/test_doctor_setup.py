"""Which config and state doctor finds and why, a config that does not load, a state that cannot
be used or locked, the terminal, and the command line (exit codes, --json, the text)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from doctor_kit import KEY, config_text, doctor, find, provider_yaml
from faultprocess import FaultProcess
from faultserver import FaultServer, Stream, openrouter_models

from tui.engine.config import paths
from tui.engine.config.paths import locate_config, locate_state
from tui.engine.doctor import Terminal
from tui.engine.doctor.terminal import colors_from_env, terminal_check

REPO = Path(__file__).resolve().parent.parent.parent


def test_the_config_and_state_lookups_say_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(paths, "default_config_path", lambda: tmp_path / "packaged.yaml")
    assert locate_config("/a.yaml", {"MODELFALLBACK_CONFIG": "/b.yaml"}).why == "named by --config"
    assert locate_config(None, {"MODELFALLBACK_CONFIG": "/b.yaml"}).why == "named by $MODELFALLBACK_CONFIG"
    assert locate_config(None, {}).why.startswith("the packaged default")
    user = paths.user_config_dir() / "groups.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("x")
    assert locate_config(None, {}).why.startswith("the user config directory")
    (tmp_path / "groups.yaml").write_text("x")
    at = locate_config(None, {})
    assert (at.where, at.why) == (tmp_path / "groups.yaml", "groups.yaml in the working directory")
    assert locate_state("/s.json", {"MODELFALLBACK_STATE": "/e.json"}).why == "named by --state"
    assert locate_state(None, {"MODELFALLBACK_STATE": "/e.json"}, configured="/c.json").why == \
        "named by $MODELFALLBACK_STATE"
    assert locate_state(None, {}, configured="redis://h:1/0").why == "named by state: in groups.yaml"
    assert locate_state(None, {}).why.startswith("the user state directory")
    assert locate_state(None, {}, configured="redis://h:1/0", demo=True).why.startswith("the demo's own file")


async def test_a_config_that_does_not_load_is_the_first_failure(write_config) -> None:
    config = write_config("providers:\n  p: {base_url: 'http://x/v1', api_kye_env: K}\ngroups:\n  g: [m]\n")
    report = await doctor(config)
    [check] = report.checks
    assert check.status == "fail" and check.area == "config"
    assert f"{config} · named by --config · {config}:2: providers.p.api_kye_env" in check.detail
    assert "did you mean 'api_key_env'" in check.detail


async def test_a_state_that_cannot_be_written_fails_and_the_rest_is_still_checked(
        fault_server: FaultServer, write_config, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    fault_server.script("/v1/models", openrouter_models({"m1": 8000}))
    fault_server.script("m1", Stream(tokens=["ok"]))
    config = write_config(config_text(provider_yaml("p", fault_server.base_url), "  g: [m1]\n"))
    report = await doctor(config, blocker / "state.json")
    usable = find(report, "state", "", "state usable")
    assert usable.status == "fail" and "--state" in usable.fix
    assert find(report, "state", "", "state location").detail == f"{blocker / 'state.json'} · named by --state"
    assert find(report, "model", "m1", "probe").status == "ok"


async def test_a_state_lock_held_by_another_process_fails_instead_of_hanging(
        fault_server: FaultServer, write_config, tmp_path: Path) -> None:
    """A lock a stuck process holds is the state check's ✗, found beside every other check (not
    before them): the models' states are still read from the file, which needs no lock."""
    from tui.engine.api import ModelFallback

    fault_server.script("/v1/models", openrouter_models({"m1": 8000, "m2": 8000}))
    fault_server.script("m1", Stream(tokens=["ok"]))
    fault_server.script("m2", Stream(tokens=["ok"]))
    config = write_config(config_text(provider_yaml("p", fault_server.base_url), "  g: [m1, m2]\n",
                                      timeout="300ms"))
    state = tmp_path / "state.json"
    other = ModelFallback.from_files(config, state, env={"DOC_KEY": KEY})  # another terminal
    other.disable("m2", None, reason="kept out")
    other.store.close()
    assert find(await doctor(config, state), "state", "", "state file").status == "ok"
    before = state.read_bytes()
    fd = os.open(tmp_path / "state.json.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # what a stuck process holding the lock looks like
    try:
        report = await doctor(config, state)
        assert state.read_bytes() == before  # nothing was written past the lock
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    held = find(report, "state", "", "state file")
    assert held.status == "fail" and held.detail == f"{state}: its lock was not free within 0.3s"
    assert f"{state}.lock" in held.fix and "stuck" in held.fix
    assert find(report, "state", "", "state location").detail == f"{state} · named by --state"
    assert not [c for c in report.checks if c.title == "state usable"]  # the state opened: only its lock is held
    assert find(report, "model", "m1", "probe").status == "ok"  # the rest is still checked
    assert find(report, "model", "m2", "state").detail == "disabled by hand: kept out; until enabled"
    assert json.loads(state.read_text())  # the file is whole


@pytest.mark.parametrize(("terminal", "env", "status"), [
    (Terminal(120, 40, 256), {}, "ok"),
    (Terminal(79, 24, 256), {}, "warn"),
    (Terminal(80, 23, 1 << 24), {}, "warn"),
    (Terminal(100, 30, 0), {}, "warn"),
    (Terminal(0, 0, None, is_tty=False), {}, "ok"),
])
def test_the_terminal_size_and_colours(terminal: Terminal, env: dict, status: str) -> None:
    check = terminal_check(terminal, env)
    assert check.status == status, check
    assert (check.fix != "") == (status == "warn")


def test_colours_from_the_environment() -> None:
    assert colors_from_env({"COLORTERM": "truecolor", "TERM": "xterm"}) == 1 << 24
    assert colors_from_env({"TERM": "xterm-256color"}) == 256
    assert colors_from_env({"TERM": "dumb"}) == 0
    assert colors_from_env({}) is None


def _cli(tmp_path: Path, *args: str, key: str | None = KEY) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELFALLBACK_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "xdg-state"), XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
               XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
    env.pop("DOC_KEY", None)
    if key is not None:
        env["DOC_KEY"] = key
    return subprocess.run([sys.executable, "-m", "tui", *args], cwd=str(REPO), env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_the_command_line_exit_codes_json_and_text(tmp_path: Path) -> None:
    server = FaultProcess(tmp_path / "server", {
        "/v1/models": {"type": "json", "status": 200, "body": {"data": [
            {"id": "m1", "context_length": 8000, "pricing": {"prompt": "0", "completion": "0"}},
            {"id": "m2", "context_length": 8000}]}},
        "m1": {"type": "stream", "tokens": ["ok"]},
        "m2": {"type": "json", "status": 503, "body": {"error": {"message": "overloaded", "code": 503}}}})
    try:
        base = f"http://127.0.0.1:{server.port}/v1"
        config = tmp_path / "groups.yaml"
        config.write_text(config_text(provider_yaml("p", base), "  ok: [m1]\n  down: [m2]\n"))
        state = tmp_path / "state.json"
        every = _cli(tmp_path, "--config", str(config), "--state", str(state), "doctor", "--json")
        assert every.returncode == 1, every.stderr  # group `down` has no model that answers
        report = json.loads(every.stdout)
        assert (report["ok"], report["problems"]) == (False, 2)  # m2's probe and group down
        assert {c["title"] for c in report["checks"] if c["status"] == "fail"} == {"probe", "answers now"}
        assert all(set(c) == {"area", "subject", "title", "status", "detail", "fix"} for c in report["checks"])
        one = _cli(tmp_path, "--config", str(config), "--state", str(state), "doctor", "-g", "ok")
        assert one.returncode == 0, one.stdout + one.stderr
        assert "\n  ✓ probe          one token in " in one.stdout and "m2" not in one.stdout
        assert ("  ! spread         one model (m1): nothing to fall back to\n"
                f"    {'':14} fix: add a model from another provider to the group\n") in one.stdout
        assert one.stdout.rstrip().endswith("s)") and "0 problems, 1 warning" in one.stdout
        unknown = _cli(tmp_path, "--config", str(config), "doctor", "-g", "nosuch")
        assert unknown.returncode == 2 and "unknown group 'nosuch'" in unknown.stderr
        for out in (every, one, unknown):
            assert KEY not in out.stdout + out.stderr
    finally:
        server.close()
