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
from pathlib import Path

import httpx

from benchmarks.bare import complete_answer, failed_request
from benchmarks.common import TWENTY_TOKENS, LoopbackServer, Result, alternate, median, open_engine, pct

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
                     "message": {"role": "assistant", "content": TWENTY_TOKENS}}],
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
    async with httpx.AsyncClient(timeout=None) as client, engine:
        async def bare_one() -> tuple[int, str]:
            status = await failed_request(client, base_url, DOWN, PROMPT, stream=False)
            return status, await complete_answer(client, base_url, UP, PROMPT)

        async def chain_one():
            return await engine.ask("g", PROMPT, stream=False)

        def setup(fn) -> None:
            if fn is chain_one:
                reset_down_model(engine)

        def check(fn, result) -> None:
            if fn is bare_one:
                assert result == (503, TWENTY_TOKENS), result
            else:
                assert result.model == UP and result.content == TWENTY_TOKENS, result
                assert [a.outcome for a in result.attempts] == ["failed", "ok"], result.attempts

        return await alternate(bare_one, chain_one, requests, warmup, setup=setup, check=check)


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
