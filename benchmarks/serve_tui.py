"""The child side of the `serve-tui-keys` row: the TUI with `--serve`, typed into while clients call it.

    python -m benchmarks.serve_tui --base-url URL --seconds S

Builds modelfallback's app the way `modelfallback --serve 127.0.0.1:0` does (the endpoint in the
app's event loop, on its engine), runs it headless, prints `{"url": ...}` once the endpoint
accepts, waits for a line on stdin (the parent has started its clients), then presses a key every
25 ms for S seconds from another thread, as a terminal's input thread delivers them, prints the
key-press latencies (`tui_stream.Typist`: key n is handled when the prompt first shows n x's),
and exits at the next line on stdin (the parent's clients have stopped).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from benchmarks.tui_harness import SIZE, emit, isolate, our_app, until_ready
from benchmarks.tui_stream import Typist, latency_summary


async def run(base_url: str, seconds: float) -> None:
    from tui.engine.serve.app import Limits, ServeApp
    from tui.engine.serve.server import TUI_CHATS, LocalServer
    from tui.screens.serving import Serving

    with tempfile.TemporaryDirectory(prefix="mf-bench-serve-tui-") as tmp:
        folder = Path(tmp)
        isolate(folder)
        engine, app = our_app(folder, base_url, {"w": ["w"], "s": ["s"]}, background=False)
        server = LocalServer(ServeApp(engine, limits=Limits(chats=TUI_CHATS)), "127.0.0.1", 0)
        app.serving = Serving(server)  # what make_app(server=...) sets
        task = asyncio.get_running_loop().create_task(app.run_async(headless=True, size=SIZE))
        await until_ready(app)
        while not server.server.started:
            await asyncio.sleep(0.01)
        emit({"url": f"http://{server.address}/v1"})
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # the clients are on
        typist = Typist(app, asyncio.get_running_loop(), lambda: True)
        typist.watch(app.main.chat.prompt)
        typist.start()
        await asyncio.sleep(seconds)
        latencies = await typist.finish()
        emit({**latency_summary(latencies), "served": app.serving.app.traffic.today})
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # the clients are off
        app.exit()
        await task


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(run(args.base_url, args.seconds))


if __name__ == "__main__":
    main()
