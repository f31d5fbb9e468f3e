"""Redis down is not the user's outage: kill -9 and a restart, a stopped (hung) server, the CLI.

Each test starts its own redis-server (tests/redis/redis_server.py) so it can kill or stop it.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

from redis_kit import KEY, MODELS, raw_client, rows, run_cli, status_json, wait_for, write_config
from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.config.loader import load_config
from tui.engine.sim import Healthy, SimulatorTransport, Unavailable

FAST = {"timeout_s": 0.3, "backoff_s": (0.05, 0.2), "poll_s": 0.5}


def _trip(data: dict) -> None:
    rec = data["models"].setdefault("hammered", {})
    rec["trips"] = rec.get("trips", 0) + 1


def test_kill_9_mid_run_and_a_restart_lose_nothing(own_server, stores, tmp_path: Path) -> None:
    url = own_server.url(prefix="kill")
    a, b = stores(url, "a", **FAST), stores(url, "b", **FAST)
    a.update(lambda d: d["models"].update(keep={"disabled": {"source": "manual", "until": None}}))
    writes = 0
    for _ in range(50):
        a.update(_trip, durable=False)
        writes += 1
    own_server.kill()  # mid-run: automatic writes are still pending or in flight
    slowest = 0.0
    for _ in range(50):
        t = time.monotonic()
        a.update(_trip, durable=False)
        writes += 1
        slowest = max(slowest, time.monotonic() - t)
    assert slowest < 0.2  # automatic changes never wait for Redis, even one that is gone
    wait_for(lambda: a.offline and b.offline, 3.0, "both stores to notice")
    assert "Connection refused" in a.offline or "Connection closed" in a.offline or "reset" in a.offline
    a.update(lambda d: d["models"].update(later={"disabled": {"source": "manual", "until": None}}))  # offline
    assert a.data["models"]["later"] and a.data["models"]["hammered"]["trips"] == writes

    own_server.start()  # same port, empty: no persistence
    wait_for(lambda: a.offline is None and b.offline is None, 5.0, "both stores to reconnect")
    wait_for(lambda: {"keep", "later"} <= set(b.data["models"]), 2.0, "B to see A's changes")
    shared = json.loads(raw_client(own_server).get("kill:state"))
    assert {"keep", "later", "hammered"} <= set(shared["models"])  # re-seeded from the local files
    def shared_trips() -> int:
        return json.loads(raw_client(own_server).get("kill:state"))["models"]["hammered"]["trips"]

    with contextlib.suppress(AssertionError):  # the assert below shows the count if it never came
        wait_for(lambda: shared_trips() == writes, 2.0, "every trip to be in Redis")
    assert shared_trips() == writes  # each once: none lost, none applied twice
    a.update(_trip)
    assert b.data is not None and wait_for(lambda: b.data["models"]["hammered"]["trips"] == writes + 1, 1.0,
                                           "the link to work again")


def _engine(tmp_path: Path, url: str) -> ModelFallback:
    config = load_config(write_config(tmp_path / "config", ["vendor/down", "vendor/up"], "http://sim.invalid/v1"))
    transport = SimulatorTransport({"vendor/down": Unavailable()}, default=Healthy(ttft=0.001, tokens_per_s=5000,
                                                                                     answer_tokens=8),
                                   clock=FakeClock())
    return ModelFallback(config, state_path=url, transport=transport, env={"MF_REDIS_KEY": KEY}, clock=FakeClock())


async def test_a_stopped_redis_never_hangs_a_chat(own_server, tmp_path: Path) -> None:
    url = own_server.url(prefix="stop")
    engine = _engine(tmp_path, url)
    try:
        assert (await engine.ask("g", "hello")).model == "vendor/up"
        engine.enable("vendor/down")
        own_server.stop()  # SIGSTOP: connections are accepted, nothing is ever answered
        for attempt in range(3):
            if attempt:
                engine.enable("vendor/down")  # manual: waits for Redis at most the timeout, once
            t = time.monotonic()
            answer = await engine.ask("g", "hello again")
            took = time.monotonic() - t
            assert answer.model == "vendor/up" and took < 0.5, took  # the down model failed: written behind
            assert [a.outcome for a in answer.attempts] == ["failed", "ok"]
        wait_for(lambda: engine.store.offline, 3.0, "the store to notice the hung server")
        assert "Timeout" in engine.store.offline or "timed out" in engine.store.offline
        t = time.monotonic()
        engine.disable("vendor/up", 600, reason="while hung")  # a manual change: saved locally at once
        assert time.monotonic() - t < 0.5
    finally:
        t = time.monotonic()
        await engine.aclose()
        assert time.monotonic() - t < 2.5
        own_server.cont()
    later = _engine(tmp_path, url)  # the next process on this machine reaches Redis and pushes
    try:
        assert later.store.offline is None
        assert later.status("vendor/up").status == "disabled"
        shared = json.loads(raw_client(own_server).get("stop:state"))
        assert shared["models"]["vendor/up"]["disabled"]["reason"] == "while hung"
        assert shared["models"]["vendor/down"]["disabled"]["source"] == "auto"
    finally:
        await later.aclose()


def test_the_cli_never_hangs_on_a_stopped_redis_and_nothing_is_lost(own_server, tmp_path: Path) -> None:
    url = own_server.url(prefix="cli")
    assert run_cli(tmp_path, url, "disable", "vendor/alpha").returncode == 0
    own_server.stop()
    try:
        # The stopped server is silent for good: a run that waited on it would last until run_cli's 30 s
        # timeout. 20 s is far below that and leaves room for a loaded machine's start-up.
        t = time.monotonic()
        out = run_cli(tmp_path, url, "disable", "vendor/beta", "--for", "1h", "--reason", "hung")
        assert time.monotonic() - t < 20 and out.returncode == 0, out.stderr
        assert out.stdout.startswith("disabled vendor/beta for 1h")
        assert len(out.stderr.splitlines()) == 1 and "saved locally" in out.stderr
        t = time.monotonic()
        status = status_json(tmp_path, url)
        assert time.monotonic() - t < 20
        assert status["state"]["offline"] and rows(status)["vendor/beta"]["status"] == "disabled"
        assert rows(status)["vendor/alpha"]["status"] == "disabled"  # the last shared picture, from the mirror
    finally:
        own_server.cont()
    shared = json.loads(raw_client(own_server).get("cli:state"))
    assert "vendor/beta" not in shared["models"]  # still only on this machine ...
    status = status_json(tmp_path, url)  # ... until the next process reaches Redis
    assert status["state"] == {"location": f"redis://***@127.0.0.1:{own_server.port}/0?prefix=cli", "offline": None}
    shared = json.loads(raw_client(own_server).get("cli:state"))
    assert shared["models"]["vendor/beta"]["disabled"]["reason"] == "hung"
    assert set(MODELS[:2]) <= set(shared["models"])
