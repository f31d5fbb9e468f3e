"""Row 4: a health sweep of 200 models, each answering after 200 ms, against one probe.

The loopback server (its own process) answers every probe (a 1-token streamed completion) after
200 ms. `ModelFallback.check()` probes a one-model group (the baseline) and then all 200 models
at once (one provider, so one pooled HTTP client, as a real config would have). Each is repeated
and the medians compared; a sequential sweep would take 200×.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.common import LoopbackServer, Result, median, open_engine

NAME = "sweep"
TITLE = "health sweep of 200 models (each answers after 200 ms)"
TARGET = "≤ 3× one probe"
LIMIT = 3.0
MODELS = [f"bench/m{i:03d}" for i in range(200)]
SCRIPT = {"scripts": {}, "default": {"type": "stream", "tokens": 1, "first_delay": 0.2}}


async def measure(base_url: str, folder: Path, repeats: int) -> tuple[list[float], list[float]]:
    engine = open_engine(folder, base_url, {"all": MODELS, "one": MODELS[:1]},
                         health="{interval: 2m, timeout: 5s, probe: completion}")
    one: list[float] = []
    sweep: list[float] = []
    async with engine:
        for i in range(repeats + 1):  # the first round is the warm-up
            t = time.perf_counter()
            results = await engine.check("one")
            t_one = time.perf_counter() - t
            assert [r.ok for r in results] == [True], results
            t = time.perf_counter()
            results = await engine.check("all")
            t_all = time.perf_counter() - t
            failed = [r for r in results if not r.ok]
            assert len(results) == 200 and not failed, failed[:3]
            if i:
                one.append(t_one)
                sweep.append(t_all)
    return one, sweep


def run(quick: bool = False) -> Result:
    repeats = 3 if quick else 7
    with LoopbackServer(SCRIPT) as server, tempfile.TemporaryDirectory(prefix="mf-bench-") as tmp:
        one, sweep = asyncio.run(measure(server.base_url, Path(tmp), repeats))
    o, s = median(one) * 1000, median(sweep) * 1000
    details = (f"{repeats} sweeps; one probe {min(one) * 1000:.0f}–{max(one) * 1000:.0f} ms, "
               f"200 models {min(sweep) * 1000:.0f}–{max(sweep) * 1000:.0f} ms")
    return Result(NAME, TITLE, s, "ms", o, TARGET, s / o <= LIMIT, details)


if __name__ == "__main__":
    print(run(quick=True))
