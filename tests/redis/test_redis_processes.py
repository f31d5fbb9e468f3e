"""Many processes, several "machines" (each its own user state dir, so its own local file), one Redis."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from redis_kit import KEY, REPO, cli_env, raw_client, rows, run_cli, status_json, wait_for, write_config

HAMMER = r"""
import sys, time
from pathlib import Path
from tui.engine.api import ModelFallback
from tui.engine.config.loader import load_config
from tui.engine.failures import Failure, FailureKind

config, url, who, rounds, go = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), Path(sys.argv[5])
engine = ModelFallback(load_config(config), state_path=url, env={"MF_REDIS_KEY": sys.argv[6]})
assert engine.store.offline is None, engine.store.offline
while not go.exists():  # start together: the writes must really contend
    time.sleep(0.005)

def count(data):  # a counter kept as an entry's trips: the document holds state entries only
    data["models"].setdefault("counter", {"trips": 0})["trips"] += 1

for i in range(rounds):
    engine.availability.record_failure("shared", Failure(FailureKind.UNAVAILABLE, f"{who}-{i}", 503))  # behind
    engine.disable(f"{who}", 100 + i, reason=f"{who}-{i}")  # manual: in Redis before it returns
    engine.store.update(count)  # a manual read-modify-write of one shared counter
engine.store.close()
"""


def test_ten_processes_hammering_one_model_lose_no_update_and_apply_none_twice(url: str, prefix: str,
                                                                             redis_server, tmp_path: Path) -> None:
    workers, rounds = [f"w{n}" for n in range(10)], 30
    config = write_config(tmp_path / "config", ["shared", *workers])
    script = tmp_path / "hammer.py"
    script.write_text(HAMMER)
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, str(script), str(config), url, who, str(rounds), str(go), KEY],
                              cwd=str(REPO), env=cli_env(tmp_path, who), stderr=subprocess.PIPE, text=True)
             for who in workers]
    time.sleep(0.5)  # most have imported by now; the late ones still overlap the rest
    go.touch()
    for proc in procs:
        assert proc.wait(60) == 0, proc.stderr.read()
    doc = json.loads(raw_client(redis_server).get(f"{prefix}:state"))
    assert doc["models"]["shared"]["trips"] == len(workers) * rounds  # every write-behind trip, each once
    assert doc["models"]["counter"]["trips"] == len(workers) * rounds  # every manual increment, each once
    for who in workers:
        assert doc["models"][who]["disabled"]["reason"] == f"{who}-{rounds - 1}"
    assert doc["rev"] >= len(workers) * rounds * 2


def test_two_machines_share_one_redis_and_an_offline_change_arrives_later(own_server, stores,
                                                                          tmp_path: Path) -> None:
    url = own_server.url(prefix="two")
    watcher = stores(url, "b-running", backoff_s=(0.05, 0.3))  # a long-running process on machine B
    out = run_cli(tmp_path, url, "disable", "vendor/alpha", "--reason", "from A", machine="a")
    assert out.returncode == 0 and out.stderr == ""
    took = wait_for(lambda: "vendor/alpha" in watcher.data["models"], 1.0, "machine B's process to see it")
    assert took < 1.0
    assert rows(status_json(tmp_path, url, "b"))["vendor/alpha"]["reason"] == "from A"

    own_server.kill()  # Redis goes away (and, without persistence, its data with it)
    out = run_cli(tmp_path, url, "disable", "vendor/beta", "--reason", "A, offline", machine="a")
    assert out.returncode == 0 and "saved locally" in out.stderr
    seen_by_b = status_json(tmp_path, url, "b")
    assert seen_by_b["state"]["offline"]
    assert rows(seen_by_b)["vendor/alpha"]["status"] == "disabled"  # B's last shared picture
    assert rows(seen_by_b)["vendor/beta"]["status"] != "disabled"  # A's offline change is on A only

    own_server.start()  # empty
    wait_for(lambda: watcher.offline is None, 3.0, "machine B's process to reconnect")
    assert rows(status_json(tmp_path, url, "b"))["vendor/beta"]["status"] != "disabled"
    assert rows(status_json(tmp_path, url, "a"))["vendor/beta"]["status"] == "disabled"  # A pushes it
    wait_for(lambda: "vendor/beta" in watcher.data["models"], 1.0, "machine B's process to see A's push")
    final = rows(status_json(tmp_path, url, "b"))
    assert final["vendor/alpha"]["reason"] == "from A" and final["vendor/beta"]["reason"] == "A, offline"
