"""`serve`: what the local endpoint adds over calling the provider directly, and what it holds.

The provider is the fault server in a process of its own; `modelfallback serve` runs in another
(as a user runs it), so its CPU is not the measuring client's. The client is a bare aiohttp
session, the fastest client here, for both paths: the direct path (client → provider) and the
served one (client → serve → provider), alternated (ABBA) so drift in the machine hits both alike.

Rows: latency added (p50, p99), non-streamed and to the first token, with 1 and with 64 clients;
requests per second with 64 clients against a bare aiohttp client direct to the provider; the
serve process's peak memory with 256 concurrent streams.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import (BENCH_KEY, BENCH_KEY_ENV, REPO, LoopbackServer, Result, child_env, pct,
                               write_groups_yaml)

WHOLE = {"model": "w", "messages": [{"role": "user", "content": "hi"}], "stream": False}
STREAMED = {"model": "s", "messages": [{"role": "user", "content": "hi"}], "stream": True}
SCRIPT = {"scripts": {"w": [{"type": "reply", "text": "twenty tokens of a whole answer"}],
                      "s": [{"type": "stream", "tokens": 20}],
                      "slow": [{"type": "stream", "tokens": 20, "delay": 0.1}]}}
HEADERS = {"Authorization": f"Bearer {BENCH_KEY}", "Content-Type": "application/json"}


class ServeProcess:
    """`python -m tui serve` on a free port, in front of `base_url` (uvloop when `uvloop` is true);
    with `floor`, the bare forwarder of benchmarks/serve_floor.py instead."""

    def __init__(self, folder: Path, base_url: str, uvloop: bool = False, floor: bool = False) -> None:
        config = write_groups_yaml(folder, base_url, {"w": ["w"], "s": ["s"], "slow": ["slow"]},
                                   policy="{ttft_timeout: 30s, stall_timeout: 30s}")
        argv = ["--config", str(config), "--state", str(folder / "state.json"), "serve", "--listen", "127.0.0.1:0"]
        code = ("import sys, uvloop; uvloop.install(); " if uvloop else "import sys; ") + \
            f"from tui.cli import main; sys.exit(main({argv!r}))"
        if floor:
            code = f"from benchmarks.serve_floor import main; main({base_url!r})"
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, cwd=REPO, env=child_env({BENCH_KEY_ENV: BENCH_KEY}))
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        if not line.startswith("serving "):
            self.proc.kill()
            raise RuntimeError(f"serve did not start: {line!r}")
        self.url = line.split()[1]  # http://127.0.0.1:PORT/v1

    def peak_rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
            for row in f:
                if row.startswith("VmHWM:"):
                    return int(row.split()[1]) / 1024
        raise RuntimeError("no VmHWM")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def _whole(session, url: str) -> float:
    t = time.perf_counter()
    async with session.post(url + "/chat/completions", json=WHOLE, headers=HEADERS) as response:
        body = await response.read()
    elapsed = time.perf_counter() - t
    if response.status != 200 or b"twenty tokens" not in body:
        raise RuntimeError(f"bad answer {response.status}: {body[:200]!r}")
    return elapsed


async def _ttft(session, url: str, body: dict = STREAMED) -> float:
    """Time to the first content token; the rest of the stream is read (untimed) to its end."""
    t = time.perf_counter()
    first = None
    async with session.post(url + "/chat/completions", json=body, headers=HEADERS) as response:
        async for line in response.content:
            if first is None and b'"content":"tok' in line.replace(b'": "', b'":"'):
                first = time.perf_counter() - t
        ok = response.status == 200
    if not ok or first is None:
        raise RuntimeError(f"bad stream {response.status}")
    return first


async def _phases(call, urls: list[str], clients: int, rounds: int) -> dict[str, list[float]]:
    """`rounds` phases of each path, in turn forwards and backwards (ABCCBA) so drift hits every path
    alike; each phase runs `clients` concurrent callers once. The latencies by URL."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def phase(url: str) -> list[float]:
            return list(await asyncio.gather(*(call(session, url) for _ in range(clients))))

        for url in urls * 2:  # warm-up: connections, caches
            await phase(url)
        out: dict[str, list[float]] = {url: [] for url in urls}
        for i in range(rounds):
            for url in (urls if i % 2 == 0 else urls[::-1]):
                out[url].extend(await phase(url))
    return out


async def _throughput(url: str, clients: int, seconds: float) -> float:
    """Non-streamed requests per second with `clients` callers looping for `seconds`."""
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        done = 0
        stop = time.perf_counter() + seconds

        async def loop() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                await _whole(session, url)
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(clients)))
        return done / (time.perf_counter() - start)


async def _concurrent_streams(url: str, count: int) -> None:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        body = {**STREAMED, "model": "slow"}
        await asyncio.gather(*(_ttft(session, url, body) for _ in range(count)))


async def _engine_share(folder: Path, base_url: str, rounds: int) -> tuple[list[float], list[float]]:
    """The engine alone, in this process: `ModelFallback.ask` against a bare aiohttp request, alternated.
    What serve adds beyond this is its own (the extra hop, uvicorn, the app)."""
    import aiohttp

    from benchmarks.common import alternate, open_engine
    from tui.engine.events import ChatMessage, ChatRequest

    from tui.engine.provider.http_client import DEFAULT_CHOICE

    DEFAULT_CHOICE.set("aiohttp")  # the wire `serve` stands on
    engine = open_engine(folder, base_url, {"w": ["w"]}, policy="{ttft_timeout: 30s, stall_timeout: 30s}")
    request = ChatRequest([ChatMessage("user", "hi")], stream=False)
    try:
        async with aiohttp.ClientSession() as session:
            return await alternate(lambda: _whole(session, base_url), lambda: engine.ask("w", request), rounds, 10)
    finally:
        await engine.aclose()


def _added(direct: list[float], served: list[float]) -> tuple[float, float, float, float]:
    """(p50 added, p99 added, p50 direct, p99 direct) in ms."""
    return ((pct(served, 0.5) - pct(direct, 0.5)) * 1000, (pct(served, 0.99) - pct(direct, 0.99)) * 1000,
            pct(direct, 0.5) * 1000, pct(direct, 0.99) * 1000)


def _latency_row(name: str, title: str, call, clients: int, quick: bool) -> Result:
    rounds = (30 if quick else 200) if clients == 1 else (4 if quick else 16)
    with tempfile.TemporaryDirectory(prefix="mf-bench-serve-") as tmp, LoopbackServer(SCRIPT) as provider:
        serve = ServeProcess(Path(tmp), provider.base_url)
        # the floor relays a stream as naively as it can (chunk by chunk, uncoalesced writes), so it
        # is no floor for the first token: measured for whole answers only
        floor = ServeProcess(Path(tmp), provider.base_url, floor=True) if call is _whole else None
        try:
            urls = [provider.base_url, serve.url] + ([floor.url] if floor else [])
            by_url = asyncio.run(_phases(call, urls, clients, rounds))
        finally:
            serve.close()
            if floor:
                floor.close()
        direct, served = by_url[provider.base_url], by_url[serve.url]
        engine_note = ""
        if clients == 1 and call is _whole:
            bare, asked = asyncio.run(_engine_share(Path(tmp), provider.base_url, rounds))
            engine_note = (f"; of which the engine alone (ModelFallback.ask in-process vs the same bare request) "
                           f"adds p50 {(pct(asked, 0.5) - pct(bare, 0.5)) * 1000:.2f} ms")
    p50, p99, d50, d99 = _added(direct, served)
    floor_note, floor_numbers = "", {}
    if floor is not None:
        f50, f99, _, _ = _added(direct, by_url[floor.url])
        floor_note = (f"; the floor (a bare uvicorn + aiohttp forwarder, benchmarks/serve_floor.py) adds "
                      f"p50 {f50:.2f} ms, p99 {f99:.2f} ms")
        floor_numbers = {"floor_added_p50_ms": f50, "floor_added_p99_ms": f99}
    met = p50 <= 1.0 and p99 <= 5.0
    details = (f"{clients} client(s), {len(direct)} requests per path: added p50 {p50:.2f} ms, p99 {p99:.2f} ms "
               f"(direct p50 {d50:.2f} ms, p99 {d99:.2f} ms; served p50 {pct(served, 0.5) * 1000:.2f} ms, "
               f"p99 {pct(served, 0.99) * 1000:.2f} ms){engine_note}{floor_note}")
    return Result(name, title, p50, "ms", d50, "added p50 ≤ 1 ms, p99 ≤ 5 ms", met, details,
                  {"added_p50_ms": p50, "added_p99_ms": p99, "direct_p50_ms": d50, "direct_p99_ms": d99,
                   **floor_numbers})


def run_whole_1(quick: bool = False) -> Result:
    return _latency_row("serve-1", "serve: latency added, non-streamed, 1 client", _whole, 1, quick)


def run_ttft_1(quick: bool = False) -> Result:
    return _latency_row("serve-ttft-1", "serve: time to first token added, 1 client", _ttft, 1, quick)


def run_whole_64(quick: bool = False) -> Result:
    return _latency_row("serve-64", "serve: latency added, non-streamed, 64 clients", _whole, 64, quick)


def run_ttft_64(quick: bool = False) -> Result:
    return _latency_row("serve-ttft-64", "serve: time to first token added, 64 clients", _ttft, 64, quick)


def run_rps(quick: bool = False) -> Result:
    seconds = 3.0 if quick else 10.0
    # uvloop is a comparison only (not a dependency of any extra): measured when it is installed
    loops = ("asyncio", "uvloop") if importlib.util.find_spec("uvloop") is not None else ("asyncio",)
    with tempfile.TemporaryDirectory(prefix="mf-bench-serve-") as tmp, LoopbackServer(SCRIPT) as provider:
        rates: dict[str, float] = {}
        for name in (*loops, "floor"):
            folder = Path(tmp) / name
            folder.mkdir()
            serve = ServeProcess(folder, provider.base_url, uvloop=name == "uvloop", floor=name == "floor")
            try:
                rates[name] = asyncio.run(_throughput(serve.url, 64, seconds))
                rates["direct"] = max(rates.get("direct", 0.0), asyncio.run(_throughput(provider.base_url, 64,
                                                                                         seconds)))
            finally:
                serve.close()
    served, direct = rates["asyncio"], rates["direct"]
    on_uvloop = f"serve on uvloop {rates['uvloop']:.0f} req/s" if "uvloop" in rates else "uvloop not installed"
    details = (f"64 clients looping non-streamed requests for {seconds:.0f} s: through serve {served:.0f} req/s "
               f"({served / direct:.2f}×; {on_uvloop}); the floor (a bare uvicorn + aiohttp forwarder, "
               f"benchmarks/serve_floor.py) {rates['floor']:.0f} req/s ({rates['floor'] / direct:.2f}×); bare aiohttp "
               f"direct to the provider {direct:.0f} req/s (best of {len(loops) + 1} runs, each right after a "
               f"forwarding run)")
    return Result("serve-rps", "serve: requests per second, 64 clients", served, "req/s", direct,
                  "≥ half of bare aiohttp direct", served >= direct / 2, details, rates)


def run_memory(quick: bool = False) -> Result:
    count = 256
    with tempfile.TemporaryDirectory(prefix="mf-bench-serve-") as tmp, LoopbackServer(SCRIPT) as provider:
        serve = ServeProcess(Path(tmp), provider.base_url)
        try:
            idle = serve.peak_rss_mb()
            asyncio.run(_concurrent_streams(serve.url, count))
            peak = serve.peak_rss_mb()
        finally:
            serve.close()
    details = (f"{count} concurrent streams of 20 tokens 0.1 s apart (all open together for about 2 s): peak RSS "
               f"{peak:.1f} MB; the serve process at rest {idle:.1f} MB")
    return Result("serve-memory", "serve: peak memory, 256 concurrent streams", peak, "MB", idle, "≤ 150 MB",
                  peak <= 150, details)


def _typed_while_served(base_url: str, seconds: float, clients: int) -> dict:
    """Key presses into the TUI with --serve while `clients` callers loop requests against it."""
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.serve_tui", "--base-url", base_url, "--seconds",
                             str(seconds)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
                            env=child_env())
    assert proc.stdin is not None and proc.stdout is not None
    try:
        url = json.loads(proc.stdout.readline())["url"]
        proc.stdin.write("go\n")
        proc.stdin.flush()
        rate = asyncio.run(_throughput(url, clients, seconds)) if clients else 0.0
        result = json.loads(proc.stdout.readline())
        proc.stdin.write("done\n")
        proc.stdin.flush()
    finally:
        proc.wait(60)
    return {**result, "rate": rate}


def run_tui_keys(quick: bool = False) -> Result:
    seconds = 3.0 if quick else 6.0
    with LoopbackServer(SCRIPT) as provider:
        idle = _typed_while_served(provider.base_url, seconds, 0)
        busy = _typed_while_served(provider.base_url, seconds, 64)
    met = busy["key_presses"] > 0 and busy["key_max_ms"] < 100
    details = (f"a key every 25 ms for {seconds:.0f} s into the TUI with --serve while 64 clients loop non-streamed "
               f"requests through its endpoint ({busy['served']} served, {busy['rate']:.0f} req/s): "
               f"{busy['key_presses']} keys, median {busy['key_median_ms']:.1f} ms, p90 {busy['key_p90_ms']:.1f} ms, "
               f"max {busy['key_max_ms']:.1f} ms; with no clients: median {idle['key_median_ms']:.1f} ms, "
               f"max {idle['key_max_ms']:.1f} ms")
    return Result("serve-tui-keys", "serve: a key press in the TUI with --serve under 64 clients (max)",
                  busy["key_max_ms"], "ms", idle["key_max_ms"], "< 100 ms", met, details,
                  {"busy": busy, "idle": idle})


class _Row:
    def __init__(self, name: str, title: str, target: str, runner) -> None:
        self.NAME, self.TITLE, self.TARGET, self.run = name, title, target, runner


ROWS = [
    _Row("serve-1", "serve: latency added, non-streamed, 1 client", "p50 ≤ 1 ms, p99 ≤ 5 ms", run_whole_1),
    _Row("serve-ttft-1", "serve: time to first token added, 1 client", "p50 ≤ 1 ms, p99 ≤ 5 ms", run_ttft_1),
    _Row("serve-64", "serve: latency added, non-streamed, 64 clients", "p50 ≤ 1 ms, p99 ≤ 5 ms", run_whole_64),
    _Row("serve-ttft-64", "serve: time to first token added, 64 clients", "p50 ≤ 1 ms, p99 ≤ 5 ms", run_ttft_64),
    _Row("serve-rps", "serve: requests per second, 64 clients", "≥ half of bare aiohttp", run_rps),
    _Row("serve-memory", "serve: peak memory, 256 concurrent streams", "≤ 150 MB", run_memory),
    _Row("serve-tui-keys", "serve: a key press in the TUI with --serve, 64 clients", "< 100 ms", run_tui_keys),
]

