"""Row 2: chain overhead on failover (the first model answers 503, the second answers), non-streamed.

The chain side is `ModelFallback.ask(stream=False)` on a group [down, up] with a state file on
disk, so the timed request includes everything a failover really does (classify the 503, put the
model out for its cooldown in the shared state file, written behind, then the answer from the
next model). Between timed requests, outside the timing, the first model is re-admitted as a
passing check would, so every request fails over. The baseline is a bare `httpx.AsyncClient`
doing the same two requests: POST to the first model and read its JSON error, then POST to the
second and read its answer. Requests alternate bare / chain.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.bare import complete_answer, failed_request
from benchmarks.common import LoopbackServer, Result, median, open_engine, pct

NAME = "failover"
TITLE = "chain overhead on failover (503, then an answer; non-streamed)"
TARGET = "median ≤ 1.15× bare httpx"
LIMIT = 1.15
DOWN, UP = "bench/down", "bench/up"
PROMPT = "Say twenty tokens, please."
SCRIPT = {"scripts": {
    DOWN: [{"type": "json", "status": 503,
            "body": {"error": {"message": "The model is overloaded", "code": 503}}}],
    UP: [{"type": "json", "status": 200, "body": {
        "id": "gen-1", "object": "chat.completion", "created": 1, "model": UP,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "".join(f"tok{i} " for i in range(20))}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 20, "total_tokens": 25}}}],
}}


def reset_down_model(engine) -> None:
    """Untimed: clear the down model's cooldown so that the next request fails over again.

    As a successful health probe does (an automatic change, written behind), not with
    `engine.enable()`: a manual change is written and fsynced at once, and the disk flush it
    starts would still be running during the timed request (a harness artefact, not chain cost).
    """
    engine.availability.record_check_passed(DOWN)


async def measure(base_url: str, folder: Path, requests: int, warmup: int, state: bool = True
                  ) -> tuple[list, list]:
    engine = open_engine(folder, base_url, {"g": [DOWN, UP]}, state=state)
    bare_times: list[float] = []
    chain_times: list[float] = []
    expected = "".join(f"tok{i} " for i in range(20))
    async with httpx.AsyncClient(timeout=None) as client, engine:
        async def bare_one() -> float:
            t = time.perf_counter()
            status = await failed_request(client, base_url, DOWN, PROMPT, stream=False)
            text = await complete_answer(client, base_url, UP, PROMPT)
            elapsed = time.perf_counter() - t
            assert status == 503 and text == expected, (status, text)
            return elapsed

        async def chain_one() -> float:
            reset_down_model(engine)
            t = time.perf_counter()
            answer = await engine.ask("g", PROMPT, stream=False)
            elapsed = time.perf_counter() - t
            assert answer.model == UP and answer.content == expected, answer
            assert [a.outcome for a in answer.attempts] == ["failed", "ok"], answer.attempts
            return elapsed

        for _ in range(warmup):
            await bare_one()
            await chain_one()
        for i in range(requests):
            for fn in ((bare_one, chain_one) if i % 2 == 0 else (chain_one, bare_one)):
                (bare_times if fn is bare_one else chain_times).append(await fn())
    return bare_times, chain_times


def run(quick: bool = False) -> Result:
    requests, warmup = (100, 10) if quick else (500, 30)
    with LoopbackServer(SCRIPT) as server, tempfile.TemporaryDirectory(prefix="mf-bench-") as tmp:
        bare, chain = asyncio.run(measure(server.base_url, Path(tmp), requests, warmup))
    b, c = median(bare) * 1000, median(chain) * 1000
    details = (f"{len(chain)} failovers each; p90 bare {pct(bare, .9) * 1000:.2f} ms, chain "
               f"{pct(chain, .9) * 1000:.2f} ms")
    return Result(NAME, TITLE, c, "ms", b, TARGET, c / b <= LIMIT, details)


if __name__ == "__main__":
    print(run(quick=True))
