"""The shared state file: atomic, locked, reloaded on change, corrupt files moved aside."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from pathlib import Path

from tui.engine.state import file_store as state_store
from tui.engine.state.file_store import VERSION, FileStore


def test_update_persists_and_another_store_sees_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    a, b = FileStore(path), FileStore(path)
    a.update(lambda d: d["models"].update(x={"trips": 1}))
    assert b.changed_on_disk()
    assert b.data["models"] == {"x": {"trips": 1}}
    assert not b.changed_on_disk()
    assert json.loads(path.read_text())["version"] == VERSION


def test_a_noop_update_does_not_write(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = FileStore(path)
    store.update(lambda d: None)
    assert not path.exists()


def test_corrupt_file_is_moved_aside_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"version": 1, "models": {"x"')
    store = FileStore(path)
    assert store.data["models"] == {}
    assert len(store.warnings) == 1 and "moved it to" in store.warnings[0]
    aside = list(tmp_path.glob("state.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text().startswith('{"version"')


def test_an_unknown_older_version_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 0, "models": {}}))
    store = FileStore(path)
    assert store.data["version"] == VERSION and "moved it to" in store.warnings[0]
    assert len(list(tmp_path.glob("state.json.corrupt-*"))) == 1


def test_a_file_from_a_newer_version_is_never_moved_nor_overwritten(tmp_path: Path) -> None:
    """An older install must not drop a newer one's disables: it works in memory and says so."""
    path = tmp_path / "state.json"
    newer = json.dumps({"version": VERSION + 1, "models": {"m": {"disabled": {"source": "manual"}}}, "x": [1]})
    path.write_text(newer)
    store = FileStore(path)
    assert store.data["models"] == {}
    assert len(store.warnings) == 1 and "written by a newer modelfallback" in store.warnings[0]
    store.update(lambda d: d["models"].setdefault("auto", {"trips": 1}), durable=False)  # kept in memory
    assert store.data["models"] == {"auto": {"trips": 1}}
    with pytest.raises(state_store.StateFileError, match="newer modelfallback"):
        store.update(lambda d: d["models"].setdefault("manual", {}))
    store.flush()
    drain_writer()
    assert path.read_text() == newer and not list(tmp_path.glob("state.json.corrupt-*"))
    assert len(store.warnings) == 1  # said once


def test_a_newer_version_written_while_running_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = FileStore(path)
    store.update(lambda d: d["models"].setdefault("a", {"trips": 1}))
    newer = json.dumps({"version": VERSION + 1, "models": {}})
    path.write_text(newer)
    store.update(lambda d: d["models"].setdefault("b", {"trips": 1}), durable=False)
    store.flush()
    drain_writer()
    with pytest.raises(state_store.StateFileError):
        store.update(lambda d: d["models"].pop("a", None))
    assert path.read_text() == newer


def drain_writer() -> None:
    """Wait until the writer thread has done everything submitted so far (it runs jobs in order)."""
    state_store._writer().submit(lambda: None).result(timeout=10)


def hold_writer() -> threading.Event:
    """Block the writer thread until the returned event is set."""
    release = threading.Event()
    state_store._writer().submit(release.wait, 10)
    return release


def _bump(name: str):
    """A counter kept as a model's trips (the document holds state entries only): catches a change
    applied twice or lost."""
    def mutate(data: dict) -> None:
        rec = data["models"].setdefault(name, {"trips": 0})
        rec["trips"] += 1
    return mutate


def _set(model: str, value: object):
    def mutate(data: dict) -> None:
        data["models"][model] = value
    return mutate


def test_write_behind_is_visible_at_once_and_on_disk_after_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    store = FileStore(path)
    release = hold_writer()  # the file must wait
    store.update(_set("m", {"trips": 1}), durable=False)
    assert store.data["models"]["m"] == {"trips": 1}  # this process sees it at once
    assert not path.exists()  # ... before the writer wrote it
    release.set()
    drain_writer()
    assert FileStore(path).data["models"]["m"] == {"trips": 1}
    assert store.data["models"]["m"] == {"trips": 1} and not store.changed_on_disk()


def test_pending_changes_survive_another_process_write_and_keep_their_order(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    store, other = FileStore(path), FileStore(path)
    release = hold_writer()
    store.update(_set("auto", {"trips": 1}), durable=False)
    other.update(_set("manual", {"disabled": {"source": "manual"}}))  # another process, meanwhile
    assert set(store.data["models"]) == {"auto", "manual"}  # reloaded, the pending change laid over it
    store.update(lambda data: data["models"].pop("auto"), durable=True)  # a manual change after it
    on_disk = json.loads(path.read_text())
    assert set(on_disk["models"]) == {"manual"}  # the pending write went first, then the manual one
    release.set()
    drain_writer()
    assert set(FileStore(path).data["models"]) == {"manual"}


def test_many_write_behind_updates_are_all_written(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    store = FileStore(path)
    for n in range(200):
        store.update(_set(f"m{n}", {"trips": n}), durable=False)
    drain_writer()
    assert FileStore(path).data["models"] == {f"m{n}": {"trips": n} for n in range(200)}


def test_a_process_that_exits_normally_writes_what_was_pending(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    code = (f"from tui.engine.state.file_store import FileStore\n"
            f"FileStore({str(path)!r}).update(lambda d: d['models'].update(m={{'trips': 3}}), durable=False)\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert FileStore(path).data["models"] == {"m": {"trips": 3}}


def test_memory_store_needs_no_file() -> None:
    store = FileStore(None)
    store.update(lambda d: d["models"].update(x={}))
    assert store.data["models"] == {"x": {}}
    assert not store.refresh()


def _hammer(path: str, worker: int, rounds: int) -> None:
    store = FileStore(path)
    for i in range(rounds):
        key = f"w{worker}-{i}"
        store.update(lambda d, key=key: d["models"].update({key: {"trips": 1}}))
        store.update(_bump("count"))


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
    assert len(data["models"]) == 300 + 1
    assert data["models"]["count"]["trips"] == 300


def _hammer_mixed(path: str, worker: int, rounds: int) -> None:
    """Write-behind and durable updates interleaved with reads; counters catch a change applied twice."""
    store = FileStore(path)
    for i in range(rounds):
        key = f"w{worker}-{i}"
        store.update(lambda d, key=key: d["models"].update({key: {"trips": 1}}), durable=False)
        store.update(_bump("behind"), durable=False)
        assert key in store.data["models"]  # this process always sees its own pending change
        if i % 3 == 0:
            store.update(_bump("durable"))


def test_two_processes_with_write_behind_lose_no_update_and_apply_none_twice(tmp_path: Path) -> None:
    path = str(tmp_path / "state.json")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer_mixed, args=(path, w, 300)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    data = json.loads(Path(path).read_text())
    assert len(data["models"]) == 600 + 2
    assert data["models"]["behind"]["trips"] == 600
    assert data["models"]["durable"]["trips"] == 200


WRITER = """
import sys
from tui.engine.state.file_store import FileStore
store = FileStore(sys.argv[1])
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
    store = FileStore(path)
    assert store.warnings == []


def test_a_lease_is_held_by_one_owner_until_it_expires(tmp_path: Path) -> None:
    """Two processes' stores on one file: one recheck per lease; a dead holder blocks only until expiry."""
    path = tmp_path / "state.json"
    a, b = FileStore(path), FileStore(path)
    assert a.take_lease("recheck:m", "a", 15.0, now=100.0)
    assert not b.take_lease("recheck:m", "b", 15.0, now=101.0)  # a holds it (b read the file just now)
    assert a.take_lease("recheck:m", "a", 15.0, now=102.0)  # the holder may renew
    assert b.take_lease("recheck:other", "b", 30.0, now=102.0)  # another name is free
    assert not b.take_lease("recheck:m", "b", 15.0, now=116.9)
    assert b.take_lease("recheck:m", "b", 15.0, now=117.1)  # a's lease ran out (a may be dead)
    assert json.loads(path.read_text())["leases"]["recheck:m"] == {"owner": "b", "until": 132.1}
    assert set(json.loads(path.read_text())["leases"]) == {"recheck:m", "recheck:other"}
    assert b.take_lease("x", "b", 1.0, now=200.0)
    assert set(json.loads(path.read_text())["leases"]) == {"x"}  # expired ones are dropped


def test_leases_in_memory(tmp_path: Path) -> None:
    store = FileStore(None)
    assert store.take_lease("m", "a", 10.0, now=0.0) and not store.take_lease("m", "b", 10.0, now=5.0)


def test_a_manual_change_racing_an_automatic_one_from_another_thread_applies_it_once(tmp_path: Path) -> None:
    """An automatic change made while a manual one is being written (another thread of the process)
    stays pending and is written exactly once: the manual write starts from the file, not from this
    process's view that already holds the pending change."""
    path = tmp_path / "state.json"

    def bump(data: dict) -> None:
        rec = data["models"].setdefault("m", {})
        rec["trips"] = rec.get("trips", 0) + 1

    class Racing(FileStore):
        raced = False

        def _read(self, signature):
            data = super()._read(signature)
            if not self.raced and self._io.locked():  # inside the manual update: the other thread acts now
                self.raced = True
                self.update(bump, durable=False)
            return data

    store = Racing(path)
    store.update(lambda d: d["models"].setdefault("x", {"disabled": {"source": "manual"}}))
    assert store.raced and store.data["models"]["m"]["trips"] == 1  # this process sees it at once
    store.flush()
    drain_writer()
    assert json.loads(path.read_text())["models"]["m"]["trips"] == 1
    assert FileStore(path).data["models"]["x"] == {"disabled": {"source": "manual"}}
