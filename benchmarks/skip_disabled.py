"""Row 3: skipping a disabled model costs no request and at most 0.1 ms.

A group [off, on] where `off` is disabled by hand (state file on disk, as the CLI has it). The
timed span is from calling `ModelFallback.chat()` until the chain announces the attempt on `on`
(so it covers deciding that `off` is out, building its skip record and moving on); the generator
is closed right there, so no request is made in the timed loop. Then one complete answer goes to
the loopback server, which records every request: none may be for the disabled model.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

from benchmarks.common import LoopbackServer, Result, median, open_engine, pct

NAME = "skip"
TITLE = "skipping a disabled model"
TARGET = "no request sent, ≤ 0.1 ms"
LIMIT_MS = 0.1
OFF, ON = "bench/off", "bench/on"
SCRIPT = {"scripts": {OFF: [{"type": "stream", "tokens": 3}], ON: [{"type": "stream", "tokens": 3}]}}


async def measure(base_url: str, folder: Path, runs: int) -> list[float]:
    from tui.engine.events import AttemptSkipped, AttemptStarted

    engine = open_engine(folder, base_url, {"g": [OFF, ON]})
    engine.disable(OFF, None, reason="benchmark")
    times: list[float] = []
    async with engine:
        for _ in range(runs):
            t = time.perf_counter()
            events = engine.chat("g", "hello")
            skipped = False
            async for event in events:
                if isinstance(event, AttemptSkipped):
                    skipped = event.attempt.model == OFF
                elif isinstance(event, AttemptStarted):
                    break
            elapsed = time.perf_counter() - t
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]
            assert skipped and event.model == ON, event
            times.append(elapsed)
        answer = await engine.ask("g", "hello")  # one real answer: the server must see only `on`
        assert answer.model == ON and answer.attempts[0].outcome == "skipped"
    return times


def run(quick: bool = False) -> Result:
    runs = 2000 if quick else 20000
    with LoopbackServer(SCRIPT, record=True) as server, tempfile.TemporaryDirectory(prefix="mf-bench-") as tmp:
        times = asyncio.run(measure(server.base_url, Path(tmp), runs))
        models = [r["json"].get("model") for r in server.recorded() if isinstance(r.get("json"), dict)]
    warm = times[len(times) // 10:]  # the first tenth is the warm-up
    m = median(warm) * 1000
    sent_to_off = models.count(OFF)
    met = sent_to_off == 0 and m <= LIMIT_MS
    details = (f"{len(warm)} runs after warm-up; p90 {pct(warm, .9) * 1000:.3f} ms, p99 {pct(warm, .99) * 1000:.3f} ms;"
               f" requests to the disabled model: {sent_to_off} (server saw {models})")
    return Result(NAME, TITLE, m, "ms", None, TARGET, met, details, {"requests_to_disabled": sent_to_off})


if __name__ == "__main__":
    print(run(quick=True))
