"""Row 1: chain overhead on a healthy model.

1,000 sequential streamed requests of 20 tokens to the loopback fault server (its own process, no
artificial delay), through `ModelFallback.ask` (groups.yaml, state file on disk, the real client),
against the same requests made by a bare `httpx.AsyncClient` loop. Both run in this process,
alternating request by request (bare, chain, chain, bare, ...) so drift in the machine hits both
alike; each side is warmed up first. Reported: the median per-request latency of each and their ratio.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import httpx

from benchmarks.bare import stream_answer
from benchmarks.common import TWENTY_TOKENS, LoopbackServer, Result, alternate, median, open_engine, pct

NAME = "chain"
TITLE = "chain overhead, healthy model (1,000 × 20-token streams)"
TARGET = "median ≤ 1.10× bare httpx"
LIMIT = 1.10
MODEL = "bench/healthy"
PROMPT = "Say twenty tokens, please."
SCRIPT = {"scripts": {MODEL: [{"type": "stream", "tokens": 20}]}}


async def measure(base_url: str, folder: Path, requests: int, warmup: int) -> tuple[list, list]:
    engine = open_engine(folder, base_url, {"g": [MODEL]})
    async with httpx.AsyncClient(timeout=None) as client, engine:
        async def bare_one() -> str:
            return await stream_answer(client, base_url, MODEL, PROMPT)

        async def chain_one() -> str:
            return (await engine.ask("g", PROMPT)).content

        def check(_fn, text: str) -> None:
            assert text == TWENTY_TOKENS, text

        return await alternate(bare_one, chain_one, requests, warmup, check=check)


def run(quick: bool = False) -> Result:
    requests, warmup = (200, 20) if quick else (1000, 50)
    with LoopbackServer(SCRIPT) as server, tempfile.TemporaryDirectory(prefix="mf-bench-") as tmp:
        bare, chain = asyncio.run(measure(server.base_url, Path(tmp), requests, warmup))
    b, c = median(bare) * 1000, median(chain) * 1000
    ratio = c / b
    details = (f"{len(chain)} requests each; p90 bare {pct(bare, .9) * 1000:.2f} ms, chain "
               f"{pct(chain, .9) * 1000:.2f} ms; total bare {sum(bare):.2f} s, chain {sum(chain):.2f} s")
    return Result(NAME, TITLE, c, "ms", b, TARGET, ratio <= LIMIT, details)


if __name__ == "__main__":
    print(run(quick=True))
