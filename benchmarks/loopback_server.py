"""`tests/faultserver.py` standalone, plus a log of when each streamed answer was fully sent.

    BENCH_STREAM_LOG=FILE python benchmarks/loopback_server.py --port 0 --script SCRIPT.json

Same command line and behaviour as the fault server (with a listen backlog of 1,024 instead of
asyncio's 100, so a 200-model sweep's connections are not dropped); for every streamed answer it appends
`{"model": ..., "sent": <time.perf_counter() after the last byte was written>}` to FILE.
`perf_counter` is CLOCK_MONOTONIC on Linux, shared by every process, so the client can tell how
long after the server finished sending its screen caught up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import faultserver  # noqa: E402

_play = faultserver._StreamPlayer.play


async def _logged_play(self) -> bool:
    try:
        return await _play(self)
    finally:
        path = os.environ.get("BENCH_STREAM_LOG")
        if path:
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"model": self.base.get("model"), "sent": time.perf_counter()}) + "\n")


faultserver._StreamPlayer.play = _logged_play

_start_server = asyncio.start_server


async def _start_server_big_backlog(*args, **kwargs):
    """asyncio's default listen backlog (100) drops SYNs when a 200-model sweep connects at once,
    and a dropped SYN costs the client a 1 s retransmit: a server artefact, not the client's."""
    kwargs.setdefault("backlog", 1024)
    return await _start_server(*args, **kwargs)


faultserver.asyncio.start_server = _start_server_big_backlog

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The fault server, logging when streams were sent.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script")
    parser.add_argument("--record")
    asyncio.run(faultserver._main(parser.parse_args()))
