"""The shared state file under crashes and contention, through the engine and the CLI.

tests/unit/test_state_store.py kills a raw `FileStore` writer and hammers the raw store from two
processes. Here the same is done one level up, where users are: `ModelFallback.disable/enable`
and `record_failure` (what a chat does), and the real `modelfallback disable` / `enable` commands.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tui.cli

from tui.engine.state.file_store import VERSION, FileStore

MODELS = [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(10)] + ["shared"]
CONFIG = ('providers:\n  p: {base_url: "http://127.0.0.1:9/v1", api_key_env: MF_STATE_KEY}\n'
          f"groups:\n  g: [{', '.join(MODELS)}]\n")

HAMMER = r"""
import sys
from pathlib import Path
from tui.engine.api import ModelFallback
from tui.engine.config.loader import load_config
from tui.engine.failures import Failure, FailureKind

config, state, who, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
engine = ModelFallback(load_config(config), state_path=state, env={"MF_STATE_KEY": "sk-state-test-key-000000"})
i = 0
while rounds < 0 or i < rounds:
    model = f"{who}{i % 10}"
    engine.disable(model, 100 + i, reason=f"{who}-{i} " + "x" * (i % 300))
    if i % 3 == 2:
        engine.enable(f"{who}{(i - 1) % 10}")
    engine.availability.record_failure("shared", Failure(FailureKind.UNAVAILABLE, f"{who}-{i}", 503))
    i += 1
"""


def expected_final(who: str, rounds: int) -> dict[str, str | None]:
    """What `who`'s own models must look like after `rounds`: the reason of the last disable, or None."""
    out: dict[str, str | None] = {f"{who}{k}": None for k in range(10)}
    for i in range(rounds):
        out[f"{who}{i % 10}"] = f"{who}-{i} " + "x" * (i % 300)
        if i % 3 == 2:
            out[f"{who}{(i - 1) % 10}"] = None
    return out


@pytest.fixture
def world(tmp_path: Path):
    config = tmp_path / "groups.yaml"
    config.write_text(CONFIG)
    script = tmp_path / "hammer.py"
    script.write_text(HAMMER)
    return tmp_path, config, tmp_path / "state.json", script


def valid(path: Path) -> dict:
    data = json.loads(path.read_text())  # never a torn write
    assert data["version"] == VERSION and set(data) >= {"models", "providers", "health"}
    return data


def test_two_processes_hammering_the_engine_lose_no_update(world) -> None:
    tmp, config, state, script = world
    rounds = 120
    procs = [subprocess.Popen([sys.executable, str(script), str(config), str(state), who, str(rounds)])
             for who in ("a", "b")]
    for proc in procs:
        assert proc.wait(120) == 0
    data = valid(state)
    for who in ("a", "b"):
        for model, reason in expected_final(who, rounds).items():
            rec = data["models"].get(model)
            if reason is None:
                assert rec is None, f"{model} should be enabled: {rec}"
            else:
                assert rec["disabled"]["reason"] == reason and rec["disabled"]["source"] == "manual", model
    # Every failure recorded by either process counts a trip: a lost read-modify-write would lose one.
    assert data["models"]["shared"]["trips"] == 2 * rounds
    assert not list(tmp.glob("state.json.corrupt-*"))


def written(path: Path) -> tuple[int, int] | None:
    """The state file's identity: an atomic write replaces the file, so this changes with every write."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def test_sigkill_of_the_engine_mid_write_always_leaves_a_valid_file(world) -> None:
    tmp, config, state, script = world
    rng = random.Random(5)
    kills = 0
    for _ in range(12):
        before = written(state)
        proc = subprocess.Popen([sys.executable, str(script), str(config), str(state), rng.choice("ab"), "-1"])
        # Kill only once this writer has replaced the file (it writes continuously from then on), at a
        # random moment of its writing: a kill during the imports would prove nothing.
        deadline = time.monotonic() + 60
        while written(state) == before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert written(state) != before, "the writer never wrote"
        time.sleep(rng.random() * 0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += proc.returncode == -signal.SIGKILL
        if state.exists():
            valid(state)
            store = FileStore(state)
            assert store.warnings == []  # nothing was moved aside
    assert kills == 12 and state.exists()
    data = valid(state)
    assert data["models"]["shared"]["trips"] > 12  # the writers really wrote between the kills
    # A kill between the temporary file and the rename can leave a stray temporary file; it must
    # never be mistaken for the state, and the next writer must still work.
    strays = list(tmp.glob(".state.json.*.tmp"))
    assert len(strays) <= 12
    status = subprocess.run([sys.executable, "-m", "tui", "--config", str(config), "--state", str(state), "status",
                             "--json"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "MF_STATE_KEY": "sk-state-test-key-000000"})
    assert status.returncode == 0 and "warning" not in status.stderr
    assert {row["model"] for row in json.loads(status.stdout)["models"]} == set(MODELS)


def test_killed_cli_disable_and_enable_never_corrupt_the_file(world) -> None:
    tmp, config, state, _ = world
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MODELFALLBACK_")},
           "MF_STATE_KEY": "sk-state-test-key-000000"}
    base = [sys.executable, "-m", "tui", "--config", str(config), "--state", str(state)]
    rng = random.Random(11)
    # The kill moments are drawn from the span of an unkilled `disable` on this machine now, so they
    # fall late in a run (where its write is) however loaded the machine is.
    start = time.monotonic()
    assert subprocess.run(base + ["disable", "a8", "--for", "5m"], env=env, capture_output=True).returncode == 0
    span = time.monotonic() - start
    completed = 0
    for i in range(8):
        args = ["disable", f"a{i}", "--for", "5m", "--reason", f"round {i}"] if i % 2 == 0 else ["enable", f"a{i - 1}"]
        proc = subprocess.Popen(base + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.6, 1.3) * span)  # the write comes last in a run
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        completed += proc.returncode == 0
        if state.exists():
            valid(state)
    # Whatever was killed, the commands afterwards work on the same file and agree with each other.
    assert subprocess.run(base + ["disable", "a9", "--until-enabled"], env=env, capture_output=True).returncode == 0
    out = subprocess.run(base + ["status", "--json"], env=env, capture_output=True, text=True)
    rows = {r["model"]: r for r in json.loads(out.stdout)["models"]}
    assert rows["a9"]["status"] == "disabled" and rows["a9"]["remaining_s"] is None
    assert "warning" not in out.stderr
    print(f"\nCLI kill rounds: {8 - completed} killed mid-run, {completed} finished first")


# The TUI with an unwritable-but-readable path is not a case: it starts (nothing to write yet) and
# its disable / enable report the failed write in a notification (tests/tui).
_STATE_PATH_CASES = [
    pytest.param(where, command, id=f"{name}-{where}")
    for name, command in (("status", ["status", "--json"]), ("disable", ["disable", "a1"]), ("chat", ["chat", "hi"]),
                          ("check", ["check"]), ("enable", ["enable", "a1"]), ("tui", []))
    for where in ("a-directory", "below-a-file", "unwritable")
]


@pytest.mark.parametrize(("where", "command"), _STATE_PATH_CASES)
def test_a_state_path_that_cannot_hold_the_file_is_exit_2_and_moves_nothing(world, where: str, command: list[str],
                                                                            monkeypatch, capsys) -> None:
    """`--state` naming a directory, a path below a file or an unwritable place is a setup problem,
    never moved aside and never a traceback: exit 2 with one line, for every command and the TUI."""
    tmp, config, _, _ = world
    folder = tmp / "my-folder"
    folder.mkdir()
    (folder / "keep.txt").write_text("precious")
    (tmp / "a-file").write_text("x")
    state = {"a-directory": folder, "below-a-file": tmp / "a-file" / "state.json",
             "unwritable": Path("/proc/modelfallback-test/state.json")}[where]
    argv = ["--config", str(config), "--state", str(state), *command]
    if command:  # the CLI's own main, in this process
        monkeypatch.setenv("MF_STATE_KEY", "sk-state-test-key-000000")
        code = tui.cli.main(argv)
        captured = capsys.readouterr()
        out = subprocess.CompletedProcess(argv, code, captured.out, captured.err)
    else:  # the TUI: in a subprocess, so that a regression cannot open a screen inside the test run
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MODELFALLBACK_")},
               "MF_STATE_KEY": "sk-state-test-key-000000"}
        out = subprocess.run([sys.executable, "-m", "tui", *argv], capture_output=True, text=True, env=env,
                             timeout=20, stdin=subprocess.DEVNULL)
    # One rule for every command and the TUI: a state that cannot be written is found at start,
    # before anything is sent or shown (`status` too: its next automatic change would be lost).
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith(f"modelfallback: state file {state}") and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert (folder / "keep.txt").read_text() == "precious" and not list(tmp.glob("my-folder.corrupt-*"))
