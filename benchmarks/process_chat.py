"""Row: `modelfallback chat` as a whole process against a bare httpx script making the same request.

Both are fresh Python processes started the same way (`python -m tui ... chat` and `python
bare_chat.py`), alternating run by run, each streaming one 20-token answer from the loopback fault
server (in its own process); wall time from spawn to exit, median of the runs. Both run with
bytecode caching on, as a user's Python does (this sandbox sets PYTHONDONTWRITEBYTECODE; the
children do not inherit it), after one warm-up run each. The bare script is what a careful
developer writes: an `httpx.AsyncClient`, one streamed POST, the SSE lines parsed, the content
printed.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import (BENCH_KEY, BENCH_KEY_ENV, REPO, LoopbackServer, Result, child_env, median, pct,
                               write_groups_yaml)

NAME = "process"
TITLE = "`modelfallback chat` as a whole process vs a bare httpx script"
TARGET = "≤ 1.3×"
LIMIT = 1.3
MODEL = "bench/answer"
SCRIPT = {"scripts": {MODEL: [{"type": "stream", "tokens": 20}]}}

BARE = '''\
import asyncio, json, sys
import httpx

async def main(url, key):
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": True,
            "stream_options": {"include_usage": True}}
    parts = []
    async with httpx.AsyncClient() as client:
        async with client.stream("POST", url + "/chat/completions", json=body,
                                 headers={"Authorization": "Bearer " + key}) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line[6:] != "[DONE]":
                    for choice in json.loads(line[6:]).get("choices") or ():
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            parts.append(text)
    sys.stdout.write("".join(parts) + "\\n")

asyncio.run(main(sys.argv[1], sys.argv[2]))
'''.replace("MODEL", repr(MODEL))


def _timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    out = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - start
    if out.returncode != 0 or "tok19" not in out.stdout:  # both print the whole answer
        raise RuntimeError(f"{argv[1:3]} failed ({out.returncode}): {out.stderr[-800:]}")
    return elapsed


def run(quick: bool = False) -> Result:
    runs = 8 if quick else 25
    with LoopbackServer(SCRIPT) as server, tempfile.TemporaryDirectory(prefix="mf-bench-proc-") as tmp:
        folder = Path(tmp)
        config = write_groups_yaml(folder, server.base_url, {"g": [MODEL]})
        bare = folder / "bare_chat.py"
        bare.write_text(BARE, encoding="utf-8")
        env = child_env({BENCH_KEY_ENV: BENCH_KEY})
        ours = [sys.executable, "-m", "tui", "--config", str(config), "--state", str(folder / "state.json"),
                "chat", "-g", "g", "hi"]
        theirs = [sys.executable, str(bare), server.base_url, BENCH_KEY]
        _timed(ours, env, REPO)  # warm-up: bytecode written, caches filled
        _timed(theirs, env, folder)
        mf, base = [], []
        for _ in range(runs):
            mf.append(_timed(ours, env, REPO))
            base.append(_timed(theirs, env, folder))
    m, b = median(mf) * 1000, median(base) * 1000
    details = (f"{runs} alternating runs each; modelfallback median {m:.0f} ms (p90 {pct(mf, .9) * 1000:.0f}), "
               f"bare httpx script median {b:.0f} ms (p90 {pct(base, .9) * 1000:.0f})")
    return Result(NAME, TITLE, m, "ms", b, TARGET, m / b <= LIMIT, details)


if __name__ == "__main__":
    print(run(quick=True))
