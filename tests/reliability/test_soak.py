"""Soak: many chat requests through the chain against a loopback server injecting seeded random faults.

    python -m pytest tests/reliability/test_soak.py -m soak -s     # the long run (thousands of requests)

The short variant (a few hundred requests) runs in the default suite. Both check:
- no exception escapes a chat run, every run ends in exactly one Answered or ChainFailed;
- every Answered carries the answering model's whole text (nothing cut is presented as complete);
- no request takes longer than the chain's worst-case budget;
- no leaked connections (the server's open connections drop to 0 after `aclose`) or asyncio tasks;
- memory is flat after warm-up: traced Python memory grows by less than a small bound between the
  middle and the end of the run.
They print the numbers (requests, outcomes, failures by kind, p50/p99 elapsed, memory).
"""

from __future__ import annotations

import asyncio
from array import array
import gc
import logging
import os
import random
import statistics
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from faultserver import (Close, Hang, HeadersThenSilence, Json, RecordedRequest, Redirect, Reset, Stream,
                         error_json)

from reliability_kit import CANARY, RoutedFaultServer, assert_no_canary
from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.provider.client import FINISH_GRACE
from tui.engine.config.loader import load_config
from tui.engine.events import Answered, AttemptFailed, ChainFailed, Restarted

TTFT = STALL = 0.2
RETRY_AFTER_WAIT = 0.1
MODELS = ("m1", "m2", "m3")
YAML = """\
providers:
  p1: {base_url: URL, api_key_env: MF_SOAK_KEY}
  p2: {base_url: URL, api_key_env: MF_SOAK_KEY}
  p3: {base_url: URL, api_key_env: MF_SOAK_KEY}
default_provider: p1
groups:
  g: [m1, {id: m2, provider: p2}, {id: m3, provider: p3}]
policy: {connect_timeout: TTFTs, ttft_timeout: TTFTs, stall_timeout: STALLs, retry_after_wait: WAITs,
         cooldown: {base: 1s, factor: 2, max: 4s}}
""".replace("TTFT", str(TTFT)).replace("STALL", str(STALL)).replace("WAIT", str(RETRY_AFTER_WAIT))
# The worst a run may take: every model tried twice (a quick retry), each try using its whole first-token
# and stall budget, plus the retry pauses; and a margin for a loaded 2-core machine.
BUDGET = len(MODELS) * (2 * (TTFT + STALL + min(FINISH_GRACE, STALL)) + 0.25 + RETRY_AFTER_WAIT) + 1.0


def tokens(model: str) -> list[str]:
    return [f"{model}:", "the ", "whole ", "answer ", "of ", "five ", "words."]


def full_text(model: str) -> str:
    return "".join(tokens(model))


# (weight, name, behaviour factory(model)); the healthy share keeps most requests answerable.
FAULT_MIX = [
    (40, "healthy", lambda m: Stream(tokens=tokens(m))),
    (4, "healthy-fragmented-crlf", lambda m: Stream(tokens=tokens(m), fragment=True, crlf=True)),
    (3, "503", lambda m: error_json(503, "overloaded", type="overloaded_error")),
    (3, "500", lambda m: error_json(500, "Internal Server Error")),
    (3, "429-short", lambda m: error_json(429, "Rate limit exceeded", headers={"Retry-After": "0.05"})),
    (2, "429-long", lambda m: error_json(429, "Rate limit exceeded", headers={"Retry-After": "0.15"})),
    (3, "reset", lambda m: Reset()),
    (2, "close", lambda m: Close()),
    (1, "hang", lambda m: Hang()),
    (1, "headers-then-silence", lambda m: HeadersThenSilence()),
    (1, "slow-first-token", lambda m: Stream(tokens=tokens(m), first_delay=5)),
    (2, "stall", lambda m: Stream(tokens=tokens(m), stall_after=3)),
    (3, "cut", lambda m: Stream(tokens=tokens(m), cut_after=4)),
    (2, "malformed-1", lambda m: Stream(tokens=tokens(m), bad_after=2)),
    (2, "malformed-3", lambda m: Stream(tokens=tokens(m), bad_after=2, bad_lines=3)),
    (2, "no-done", lambda m: Stream(tokens=tokens(m), done=False, chunked=False)),
    (1, "no-done-held-open", lambda m: Stream(tokens=tokens(m), done=False, usage=False, hold_open=True)),
    (2, "error-chunk-first", lambda m: Stream(role_chunk=False, error_after=0)),
    (2, "error-chunk-mid", lambda m: Stream(tokens=tokens(m), error_after=3)),
    (1, "empty", lambda m: Stream(tokens=0)),
    (1, "200-error-body", lambda m: Json(200, {"error": {"code": 502, "message": "Provider returned error"}})),
    (1, "504", lambda m: error_json(504, "Gateway Timeout")),
    (1, "context-length", lambda m: error_json(400, "maximum context length exceeded",
                                               code="context_length_exceeded")),
    (1, "422", lambda m: error_json(422, "Unprocessable Entity")),
    (1, "redirect", lambda m: Redirect(location="http://127.0.0.1:9/v1/chat/completions")),
    (1, "content-policy", lambda m: error_json(403, "flagged", metadata={"reasons": ["x"], "flagged_input": "y"})),
    (1, "404", lambda m: error_json(404, "model not found")),  # out for 1 h: the operator enables it
    (1, "401", lambda m: error_json(401, f"Invalid key {CANARY}")),  # provider out until enabled
]


class FaultDice:
    """Seeded choice of a behaviour per request."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names = [name for _, name, _ in FAULT_MIX]
        self.weights = [w for w, _, _ in FAULT_MIX]
        self.makers = {name: make for _, name, make in FAULT_MIX}
        self.served: Counter = Counter()

    def route(self, record: RecordedRequest):
        name = self.rng.choices(self.names, self.weights)[0]
        self.served[name] += 1
        return self.makers[name](record.model or "m1")


@dataclass
class SoakReport:
    requests: int = 0
    outcomes: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # attempt failure kinds
    elapsed: array = field(default_factory=lambda: array("d"))  # preallocated: no allocation per request
    restarts: int = 0
    errors: list[str] = field(default_factory=list)  # anything that escaped, or broke an invariant
    memory: list[tuple[int, int, int, int]] = field(default_factory=list)  # (requests, gc objects, RSS, traced)
    max_open_connections: int = 0
    enables: int = 0

    def summary(self, seconds: float, served: Counter) -> str:
        el = sorted(self.elapsed[:self.requests])
        p = lambda q: el[min(len(el) - 1, int(q * len(el)))]  # noqa: E731
        mem = "; ".join(f"{n}: {objs} objects, RSS {rss / 2**20:.1f} MiB"
                        + (f", traced {traced / 1024:.0f} KiB" if traced else "")
                        for n, objs, rss, traced in self.memory)
        return (f"\nsoak: {self.requests} requests in {seconds:.1f}s; outcomes {dict(self.outcomes)}; "
                f"failed attempts by kind {dict(sorted(self.failures.items()))}; restarts {self.restarts}; "
                f"operator enables {self.enables}\n"
                f"  elapsed p50 {statistics.median(el) * 1000:.0f} ms, p99 {p(0.99) * 1000:.0f} ms, "
                f"max {el[-1] * 1000:.0f} ms (budget {BUDGET * 1000:.0f} ms); "
                f"max open connections {self.max_open_connections}\n"
                f"  memory after gc at each checkpoint (requests done: ...) {mem}\n"
                f"  server behaviours {dict(served.most_common())}")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def soak(tmp: Path, total: int, *, seed: int, concurrency: int, checkpoints: int = 4,
               trace: bool = False) -> SoakReport:
    """`total` requests by `concurrency` clients; cooldowns run on a FakeClock that moves 0.5 s per request,
    so how often a model is out depends on the seed, not on how fast this machine is."""
    logging.getLogger("modelfallback").setLevel(logging.ERROR)  # thousands of "skipped bad line" warnings
    dice = FaultDice(seed)
    server = RoutedFaultServer(dice.route)
    await server.start()
    tasks_before = asyncio.all_tasks()
    path = tmp / "groups.yaml"
    path.write_text(YAML.replace("URL", server.base_url))
    clock = FakeClock()
    engine = ModelFallback(load_config(path), state_path=tmp / "state.json", env={"MF_SOAK_KEY": CANARY},
                           clock=clock)
    report = SoakReport()
    report.elapsed = array("d", bytes(8 * total))
    queue = iter(range(total))
    started = time.monotonic()

    async def one(index: int) -> None:
        start = time.monotonic()
        finals = []
        try:
            async for event in engine.chat("g", f"request {index}"):
                if isinstance(event, AttemptFailed):
                    report.failures[event.attempt.kind] += 1
                elif isinstance(event, Restarted):
                    report.restarts += 1
                elif isinstance(event, (Answered, ChainFailed)):
                    finals.append(event)
        except Exception as exc:  # noqa: BLE001 - the point: nothing may escape
            report.errors.append(f"request {index}: {type(exc).__name__}: {exc}")
            return
        elapsed = time.monotonic() - start
        report.elapsed[index] = elapsed
        if len(finals) != 1:
            report.errors.append(f"request {index}: {len(finals)} final events")
            return
        final = finals[0]
        report.outcomes[final.model if isinstance(final, Answered) else final.kind] += 1
        if isinstance(final, Answered) and final.content != full_text(final.model):
            report.errors.append(f"request {index}: {final.model} answered {final.content!r}")
        if elapsed > BUDGET:
            report.errors.append(f"request {index}: took {elapsed:.2f}s > {BUDGET:.2f}s")

    def operator() -> None:
        """Someone who enables what is out for long (404: 1 h, 401: until enabled), now and then."""
        for name in MODELS:
            st = engine.status(name)
            if st.status in ("disabled", "blocked") and (st.remaining_s is None or st.remaining_s > 5):
                engine.enable(name)
                report.enables += 1

    async def worker() -> None:
        for index in queue:
            await one(index)
            report.requests += 1
            clock.advance(0.5)
            report.max_open_connections = max(report.max_open_connections, server.open_connections)
            if index % 20 == 0:
                operator()

    if trace:
        tracemalloc.start()
    try:
        step = total // checkpoints
        for done in range(step, total + 1, step):
            queue = iter(range(done - step, done))
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            # Close the pools at each checkpoint (the clients reopen on the next request): every
            # connection must then close, and memory is compared without idle sockets in it.
            await engine.aclose()
            if not await server.wait_connections(0, timeout=5.0):
                report.errors.append(f"after {done} requests: {server.open_connections} connections open")
            server.requests.clear()  # the test server's own log of requests is not the engine's memory
            gc.collect()
            traced = tracemalloc.get_traced_memory()[0] if trace else 0
            report.memory.append((done, len(gc.get_objects()), rss_bytes(), traced))
    finally:
        if trace:
            tracemalloc.stop()
        await engine.aclose()
        closed = await server.wait_connections(0, timeout=5.0)
        await asyncio.sleep(0.05)  # let the server's finished handlers leave the task set
        leaked = {t for t in asyncio.all_tasks() - tasks_before if not t.done()}
        await server.stop()
        logging.getLogger("modelfallback").setLevel(logging.NOTSET)
    print(report.summary(time.monotonic() - started, dice.served))
    if not closed:
        report.errors.append(f"{server.open_connections} connections still open after aclose")
    if leaked:
        report.errors.append(f"leaked tasks: {[t.get_name() for t in leaked]}")
    assert_no_canary((tmp / "state.json").read_text())
    return report


def check(report: SoakReport, total: int, *, max_new_objects: int, max_growth_bytes: int = 0) -> None:
    assert report.errors == []
    assert report.requests == total and sum(report.outcomes.values()) == total
    answered = sum(n for key, n in report.outcomes.items() if key in MODELS)
    assert answered >= 0.5 * total  # a sanity floor: ~40% of attempts fail, and some models sit out
    assert {"unavailable", "connection", "interrupted", "timeout", "protocol"} <= set(report.failures)
    # Memory: after warm-up (the first half), the end is no higher than the middle plus a small bound.
    mid, end = report.memory[len(report.memory) // 2 - 1], report.memory[-1]
    assert end[1] - mid[1] < max_new_objects, f"{end[1] - mid[1]} more live objects in the second half"
    if max_growth_bytes:
        assert end[3] - mid[3] < max_growth_bytes, f"traced memory grew by {(end[3] - mid[3]) / 1024:.0f} KiB"


async def test_short_soak(tmp_path: Path) -> None:
    total = 320
    report = await soak(tmp_path, total, seed=20240531, concurrency=4)
    check(report, total, max_new_objects=300)


@pytest.mark.soak
async def test_long_soak(tmp_path: Path) -> None:
    total = 4000
    report = await soak(tmp_path, total, seed=7, concurrency=8, checkpoints=8, trace=True)
    check(report, total, max_new_objects=300, max_growth_bytes=128 * 1024)
