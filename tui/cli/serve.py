"""`modelfallback serve`: the chains as a local OpenAI- and Anthropic-compatible endpoint, headless.

One log line per finished request on stdout; the start line and warnings on stderr. Due rechecks
run and other processes' changes to the shared state are picked up once a second, as the TUI's
ticker does. A non-loopback address needs `--token-env NAME` (clients send that variable's value
as `Authorization: Bearer …` or `x-api-key`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys

from tui.cli.common import EXIT_OK, UsageError, open_engine, print_notices
from tui.engine.api import ModelFallback
from tui.engine.provider.http_client import DEFAULT_CHOICE
from tui.engine.serve import server as serve_server
from tui.engine.serve.server import DEFAULT_LISTEN, LocalServer, ServeError, require
from tui.engine.serve.traffic import Served
from tui.wording.served import served_line

TICK_S = 1.0


def open_server(engine: ModelFallback, listen: str, token_env: str | None, *, signals: bool,
                chats: int | None = None) -> LocalServer:
    """`server.open_server` with its ServeError as a usage error (exit 2, one line)."""
    try:
        return serve_server.open_server(engine, listen, token_env, os.environ, signals=signals, chats=chats)
    except ServeError as exc:
        raise UsageError(str(exc)) from None


async def keep_fresh(engine: ModelFallback) -> None:
    """Once a second: another process's disables and enables, and the rechecks that are due."""
    while True:
        await asyncio.sleep(TICK_S)
        engine.refresh()
        await engine.rechecks()


class RequestLog:
    """One line per finished request on stdout, flushed once per turn of the event loop: a burst of
    requests ending together costs one write, and a line never waits longer than that turn."""

    def __init__(self) -> None:
        self._flush_due = False

    def __call__(self, record: Served) -> None:
        if not record.finished:
            return
        sys.stdout.write(served_line(record) + "\n")
        if not self._flush_due:
            self._flush_due = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        sys.stdout.flush()


async def run(args: argparse.Namespace) -> int:
    try:
        require()
    except ServeError as exc:
        raise UsageError(str(exc)) from None
    DEFAULT_CHOICE.set("aiohttp")  # a server's upstream pool (http_client.DEFAULT_CHOICE says why)
    engine = open_engine(args)
    server = open_server(engine, args.listen or DEFAULT_LISTEN, args.token_env, signals=True)
    print_notices(engine)
    server.app.traffic.listeners.append(RequestLog())
    fresh = asyncio.get_running_loop().create_task(keep_fresh(engine))
    try:
        await server.start()
        print(f"serving http://{server.address}/v1 · groups: {', '.join(engine.config.groups)}", file=sys.stderr,
              flush=True)
        await server.serve_forever()
    finally:
        fresh.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await fresh
        await engine.aclose(settle=False)
    return EXIT_OK
