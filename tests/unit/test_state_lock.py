"""The state file's lock: a lock another process holds longer than a write ever takes is an error
that names it (a command exits 2, a key press gets a message), never a wait without end; a lock
freed during the wait is taken."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tui.cli
from tui.engine.state import file_lock
from tui.engine.state.file_store import FileStore, StateFileError

CONFIG = """\
providers:
  p1: {base_url: "http://127.0.0.1:9/v1", api_key_env: MY_KEY}
groups:
  main: [openai/gpt-4-turbo]
"""


@pytest.fixture
def held(tmp_path: Path, monkeypatch) -> Iterator[Path]:
    """The state's lock held on another open file (as another process holds it), with a short wait."""
    monkeypatch.setattr(file_lock, "LOCK_WAIT_S", 0.2)
    state = tmp_path / "state.json"
    fd = os.open(tmp_path / "state.json.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield state
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def test_a_change_under_a_held_lock_fails_naming_the_lock_and_writes_nothing(held: Path) -> None:
    held.write_text('{"version": 1, "models": {}}')
    before = held.read_bytes()
    store = FileStore(held, check_writable=False)  # (opening checks the lock too: the next test)
    started = time.monotonic()
    with pytest.raises(StateFileError) as raised:
        store.update(lambda d: d["models"].update(x={"trips": 1}))
    assert time.monotonic() - started < 5  # the short wait, not forever
    message = str(raised.value)
    assert f"{held} is locked by another process" in message and f"{held}.lock" in message
    assert "held for over 0.2s" in message and "--state" in message
    assert held.read_bytes() == before


def test_opening_a_store_under_a_held_lock_fails(held: Path) -> None:
    with pytest.raises(StateFileError, match="locked by another process"):
        FileStore(held)


def test_a_lock_freed_during_the_wait_is_taken(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(file_lock, "LOCK_WAIT_S", 30.0)
    state = tmp_path / "state.json"
    store = FileStore(state)
    fd = os.open(tmp_path / "state.json.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    freed = threading.Event()

    def free() -> None:
        freed.wait()
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    thread = threading.Thread(target=free)
    thread.start()
    threading.Timer(0.05, freed.set).start()
    store.update(lambda d: d["models"].update(x={"trips": 1}))
    thread.join()
    assert FileStore(state).data["models"] == {"x": {"trips": 1}}


@pytest.mark.parametrize("argv", [["status"], ["disable", "gpt-4-turbo"]])
def test_a_command_under_a_held_lock_exits_2_with_one_line(held: Path, tmp_path: Path, monkeypatch, capsys,
                                                           argv: list[str]) -> None:
    config = tmp_path / "groups.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("MY_KEY", "k-1234567890")
    code = tui.cli.main(["--config", str(config), "--state", str(held), *argv])
    out = capsys.readouterr()
    assert code == 2 and out.out == ""
    assert out.err.startswith(f"modelfallback: state file {held} is locked by another process")
    assert len(out.err.splitlines()) == 1 and "Traceback" not in out.err
