"""What changed while Redis was out of reach is pushed when it returns, by the merge rules:
manual changes, the later one wins; cooldowns, the later end wins; an automatic change never undoes
a manual disable that still held. Stamps come from an injected wall clock: no test sleeps.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redis_kit import raw_client, wait_for
from redis_server import free_port
from tui.engine.state import shared_doc as sd

INF = None  # until enabled


def manual(reason: str, until: float | None = INF) -> dict:
    return {"disabled": {"source": "manual", "kind": "manual", "reason": reason, "since": 0, "until": until}}


def cooldown(until: float, trips: int = 1) -> dict:
    return {"trips": trips, "probing": False,
            "disabled": {"source": "auto", "kind": "unavailable", "reason": "503", "since": 0, "until": until}}


def stamp(at: float, is_manual: bool) -> dict:
    return {"at": at, "manual": is_manual}


@pytest.mark.parametrize(("local", "local_stamp", "remote", "remote_stamp", "wins"), [
    # manual against manual: the later one
    (manual("mine"), stamp(200, True), manual("theirs"), stamp(100, True), True),
    (manual("mine"), stamp(100, True), manual("theirs"), stamp(200, True), False),
    # an enable (no entry) is a manual change too
    (None, stamp(300, True), manual("theirs"), stamp(200, True), True),
    (manual("mine"), stamp(100, True), None, stamp(250, True), False),
    # two cooldowns: the later end, whichever came last
    (cooldown(5000), stamp(300, False), cooldown(4000), stamp(400, False), True),
    (cooldown(3000), stamp(300, False), cooldown(6000), stamp(200, False), False),
    # a cleared cooldown ends when it was cleared
    (None, stamp(900, False), cooldown(800), stamp(100, False), True),
    (None, stamp(100, False), cooldown(800), stamp(50, False), False),
    # an automatic change never undoes a manual disable that still held when it happened...
    (cooldown(9000), stamp(300, False), manual("theirs"), stamp(100, True), False),
    (manual("mine", until=1000), stamp(100, True), cooldown(2000), stamp(300, False), True),
    # ... but does follow one that had run out, or an enable
    (cooldown(9000), stamp(300, False), manual("theirs", until=250), stamp(100, True), True),
    (cooldown(9000), stamp(300, False), None, stamp(100, True), True),
    # the shared side never stamped it; the local side has no stamp
    (manual("mine"), stamp(1, True), manual("theirs"), None, True),
    (manual("mine"), None, manual("theirs"), stamp(1, True), False),
    # the same value: nothing to do
    (manual("same"), stamp(500, True), manual("same"), stamp(100, True), False),
])
def test_the_merge_rules_for_a_model(local, local_stamp, remote, remote_stamp, wins: bool) -> None:
    assert sd.local_wins(("models", "m"), local, local_stamp, remote, remote_stamp) is wins


def test_health_rows_the_later_one_wins() -> None:
    row = {"status": "healthy", "latency_ms": 5, "error": None, "checked_at": 1}
    assert sd.local_wins(("health", "m"), row, stamp(20, False), {**row, "status": "degraded"}, stamp(10, False))
    assert not sd.local_wins(("health", "m"), row, stamp(5, False), {**row, "status": "degraded"}, stamp(10, False))


def test_provider_blocks_follow_the_manual_rule() -> None:
    block = {"kind": "quota", "reason": "", "since": 0, "until": None, "key_fingerprint": None}
    assert sd.local_wins(("providers", "p"), block, stamp(200, True), None, stamp(100, True))
    assert not sd.local_wins(("providers", "p"), block, stamp(100, True), None, stamp(200, True))


class Wall:
    """An injected wall clock for the stamps."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _set(model: str, value: dict | None):
    def mutate(data: dict) -> None:
        if value is None:
            data["models"].pop(model, None)
        else:
            data["models"][model] = value
    return mutate


def test_changes_made_offline_are_merged_by_the_rules_when_redis_returns(url: str, prefix: str, redis_server,
                                                                         stores, tmp_path: Path) -> None:
    wall_a, wall_b = Wall(50), Wall(100)
    machine_a = tmp_path / "machine-a" / "shared.json"
    first = stores(url, "a", wall=wall_a, local_path=machine_a)  # machine A online: its file mirrors Redis
    first.update(_set("U", cooldown(100)))
    b = stores(url, "b", wall=wall_b)
    b.update(_set("X", manual("B's")))  # t=100
    b.update(_set("V", manual("B holds it")))  # t=100
    b.update(_set("Y", manual("B's")))  # t=100
    b.update(_set("W", cooldown(6000)), durable=False)
    wall_b.t = 200
    b.update(_set("Z", cooldown(4000)), durable=False)
    b.flush()
    wait_for(lambda: "Z" in first.data["models"], 1.0, "machine A to see B's changes")
    first.close()
    first.local.flush()

    # Machine A loses Redis (its next process cannot reach it) and keeps working on its file.
    wall_a.t = 300
    gone = f"redis://:x-unused-password@127.0.0.1:{free_port()}/0?prefix={prefix}"
    offline = stores(gone, "a", wall=wall_a, local_path=machine_a, timeout_s=0.3, backoff_s=(3600, 3600))
    assert offline.offline and "Connection refused" in offline.offline
    offline.update(_set("X", manual("A's later")))  # manual, later than B's: A wins
    wall_a.t = 150
    offline.update(_set("Y", manual("A's earlier")))  # B enables Y later: B wins
    wall_a.t = 300
    offline.update(_set("Z", cooldown(5000)), durable=False)  # later end than B's: A wins
    offline.update(_set("W", cooldown(3000)), durable=False)  # earlier end than B's: B wins
    offline.update(_set("V", cooldown(9000)), durable=False)  # B's manual disable holds
    offline.close()
    marks = json.loads(machine_a.read_text())["unsynced"]["models"]
    assert set(marks) == {"X", "Y", "Z", "W", "V"}

    wall_b.t = 250
    b.update(_set("Y", None))  # meanwhile, B enables Y (after A's disable)
    b.update(_set("U", cooldown(777)), durable=False)  # and changes U, which A never touched
    b.flush()

    # The next process on machine A reaches Redis and pushes.
    wall_a.t = 400
    again = stores(url, "a", wall=wall_a, local_path=machine_a)
    assert again.offline is None
    shared = json.loads(raw_client(redis_server).get(f"{prefix}:state"))["models"]
    assert shared["X"]["disabled"]["reason"] == "A's later"
    assert "Y" not in shared
    assert shared["Z"]["disabled"]["until"] == 5000
    assert shared["W"]["disabled"]["until"] == 6000
    assert shared["V"]["disabled"]["reason"] == "B holds it"
    assert shared["U"]["disabled"]["until"] == 777  # A's old mirror of U was not pushed
    wait_for(lambda: b.data["models"].get("X", {}).get("disabled", {}).get("reason") == "A's later", 1.0,
             "machine B to see the merge")
    again.local.flush()
    on_disk = json.loads(machine_a.read_text())
    assert not (on_disk.get("unsynced") or {}).get("models")  # pushed: nothing left to push
    assert on_disk["models"] == shared  # and the file mirrors the merged state
