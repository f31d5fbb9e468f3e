"""The shared state file: atomic, locked, reloaded on change, corrupt files moved aside."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tui.engine.state_store import VERSION, StateStore


def test_update_persists_and_another_store_sees_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    a, b = StateStore(path), StateStore(path)
    a.update(lambda d: d["models"].update(x={"trips": 1}))
    assert b.changed_on_disk()
    assert b.data["models"] == {"x": {"trips": 1}}
    assert not b.changed_on_disk()
    assert json.loads(path.read_text())["version"] == VERSION


def test_a_noop_update_does_not_write(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = StateStore(path)
    store.update(lambda d: None)
    assert not path.exists()


def test_corrupt_file_is_moved_aside_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"version": 1, "models": {"x"')
    store = StateStore(path)
    assert store.data["models"] == {}
    assert len(store.warnings) == 1 and "moved it to" in store.warnings[0]
    aside = list(tmp_path.glob("state.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text().startswith('{"version"')


def test_unknown_version_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 99, "models": {}}))
    store = StateStore(path)
    assert store.data["version"] == VERSION and store.warnings


def test_memory_store_needs_no_file() -> None:
    store = StateStore(None)
    store.update(lambda d: d["models"].update(x={}))
    assert store.data["models"] == {"x": {}}
    assert not store.refresh()


def _hammer(path: str, worker: int, rounds: int) -> None:
    store = StateStore(path)
    for i in range(rounds):
        key = f"w{worker}-{i}"
        store.update(lambda d, key=key: d["models"].update({key: {"trips": 1}}))
        store.update(lambda d: d["providers"].__setitem__("count", d["providers"].get("count", 0) + 1))


def test_two_processes_lose_no_update(tmp_path: Path) -> None:
    path = str(tmp_path / "state.json")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(path, w, 150)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    data = json.loads(Path(path).read_text())
    assert len(data["models"]) == 300
    assert data["providers"]["count"] == 300


WRITER = """
import sys
from tui.engine.state_store import StateStore
store = StateStore(sys.argv[1])
i = 0
while True:
    i += 1
    store.update(lambda d: d["models"].update({f"m{i % 50}": {"trips": i, "pad": "x" * (i % 500)}}))
"""


def test_sigkill_mid_write_always_leaves_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    checked = 0
    for round_ in range(15):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
        time.sleep(0.25 + (round_ % 5) * 0.02)  # let it start writing; then kill mid-stream
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if path.exists():
            data = json.loads(path.read_text())  # must parse: never a torn write
            assert data["version"] == VERSION
            checked += 1
    assert checked >= 10  # the writer really ran and was killed while writing
    store = StateStore(path)
    assert store.warnings == []
