"""Connections at concurrency: which HTTP client the engine should stand on.

One process, 1,000 streamed 20-token requests to the same loopback provider (the fault server in
its own process), at 1, 16 and 64 requests in flight, for each candidate:

- `httpx`: a bare `httpx.AsyncClient()` with its default pool (100 connections, 20 kept alive);
- `httpx-tuned`: the pool the engine builds (`make_http_client`: no cap, 64 kept alive);
- `httpx-aiohttp`: httpx over the `httpx-aiohttp` package's transport;
- `aiohttp`: a bare `aiohttp.ClientSession`;
- `engine`: `ModelFallback.ask` through a one-model group, on the client `make_http_client` builds
  by default (httpx's pool, moving to aiohttp's past a few requests in flight);
  `engine-aiohttp`: the same with `MODELFALLBACK_HTTP=aiohttp` (aiohttp's session straight, as
  `serve` runs); `engine-httpx`: with `MODELFALLBACK_HTTP=httpx` (httpx's pool only).

Every bare client sends the engine's request body and headers, reads every SSE line, parses each
chunk and joins the content, checked against the expected answer. Reported per candidate and
level: requests per second, p50 and p99 latency. The row's target: the engine at 64 in flight
reaches at least 80 % of the best bare client's requests per second at 64, in the same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from benchmarks.bare import HEADERS, request_body, stream_answer
from benchmarks.common import TWENTY_TOKENS, LoopbackServer, Result, median, open_engine, pct

NAME = "transports"
TITLE = "connections at concurrency (1,000 × 20-token streams at 1 / 16 / 64 in flight)"
TARGET = "engine at 64 in flight ≥ 80 % of the best bare client's req/s"
LIMIT = 0.80
MODEL = "bench/healthy"
PROMPT = "Say twenty tokens, please."
SCRIPT = {"scripts": {MODEL: [{"type": "stream", "tokens": 20}]}}
LEVELS = (1, 16, 64)
BARE = ("httpx", "httpx-tuned", "httpx-aiohttp", "aiohttp")
ENGINE = {"engine": "auto", "engine-aiohttp": "aiohttp", "engine-httpx": "httpx"}  # MODELFALLBACK_HTTP of each


async def aiohttp_answer(session, url: str) -> str:
    """One streamed completion with a bare aiohttp session: the concatenated content."""
    parts: list[str] = []
    async with session.post(url, data=json.dumps(request_body(MODEL, PROMPT)).encode(),
                            headers={**HEADERS, "Content-Type": "application/json"}) as response:
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        async for raw in response.content:
            line = raw.decode().rstrip("\r\n")
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            for choice in json.loads(line[6:]).get("choices") or ():
                content = (choice.get("delta") or {}).get("content")
                if content:
                    parts.append(content)
    return "".join(parts)


async def load(one: Callable[[], Awaitable[str]], total: int, inflight: int) -> tuple[float, list[float]]:
    """`total` calls of `one`, `inflight` at a time: (requests per second, latencies in seconds)."""
    latencies: list[float] = []
    left = total

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            t = time.perf_counter()
            text = await one()
            latencies.append(time.perf_counter() - t)
            if text != TWENTY_TOKENS:
                raise AssertionError(f"wrong answer: {text!r}")

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(inflight)))
    return total / (time.perf_counter() - start), latencies


async def candidate(name: str, base_url: str, folder: Path, total: int, warmup: int) -> dict[int, tuple]:
    """{level: (req/s, p50 ms, p99 ms)} for one candidate, its client made and closed here."""
    import aiohttp

    from tui.engine.provider import http_client

    url = base_url + "/chat/completions"
    closers: list[Callable[[], Awaitable[object]]] = []
    if name == "aiohttp":
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        closers.append(session.close)

        async def one() -> str:
            return await aiohttp_answer(session, url)
    elif name.startswith("engine"):
        # Budgets far above any wait here: the row measures throughput, not which request times out
        # (with httpx's pool at 64 in flight, a p99 of several seconds is near the default 10 s).
        engine = open_engine(folder / name, base_url, {"g": [MODEL]}, state=False,
                             policy="{ttft_timeout: 120s, stall_timeout: 120s, connect_timeout: 60s}")
        closers.append(engine.aclose)

        async def one() -> str:
            return (await engine.ask("g", PROMPT)).content
    else:
        if name == "httpx":
            client = httpx.AsyncClient(timeout=None)
        elif name == "httpx-tuned":
            client = http_client.make_http_client(None, False)
        else:
            from httpx_aiohttp import AiohttpTransport

            limits = httpx.Limits(max_connections=None, max_keepalive_connections=http_client.KEEPALIVE)
            client = httpx.AsyncClient(timeout=None, transport=AiohttpTransport(limits=limits))
        closers.append(client.aclose)

        async def one() -> str:
            return await stream_answer(client, base_url, MODEL, PROMPT)
    try:
        out = {}
        for level in LEVELS:
            await load(one, warmup, level)
            rate, latencies = await load(one, total, level)
            out[level] = (rate, median(latencies) * 1000, pct(latencies, 0.99) * 1000)
        return out
    finally:
        for close in closers:
            await close()


def run(quick: bool = False) -> Result:
    total, warmup = (300, 30) if quick else (1000, 64)
    results: dict[str, dict[int, tuple]] = {}
    with LoopbackServer(SCRIPT) as server, tempfile.TemporaryDirectory(prefix="mf-bench-transports-") as tmp:
        folder = Path(tmp)
        for name in (*BARE, *ENGINE):
            (folder / name).mkdir()
            os.environ["MODELFALLBACK_HTTP"] = ENGINE.get(name, "auto")
            try:
                results[name] = asyncio.run(candidate(name, server.base_url, folder, total, warmup))
            finally:
                os.environ.pop("MODELFALLBACK_HTTP", None)
    top = max(LEVELS)
    best_name = max(BARE, key=lambda n: results[n][top][0])
    best = results[best_name][top][0]
    engine = results["engine"][top][0]
    details = "; ".join(
        f"{name}: " + " / ".join(f"{results[name][lv][0]:.0f}" for lv in LEVELS) + " req/s (p99 "
        + " / ".join(f"{results[name][lv][2]:.0f}" for lv in LEVELS) + " ms)" for name in results)
    details += f"; best bare at {top}: {best_name}"
    extra = {name: {str(lv): {"req_s": r[0], "p50_ms": r[1], "p99_ms": r[2]} for lv, r in per.items()}
             for name, per in results.items()}
    return Result(NAME, TITLE, engine, "req/s", best, TARGET, engine >= LIMIT * best, details, extra)


if __name__ == "__main__":
    print(run(quick=True))
