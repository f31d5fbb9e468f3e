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
from tui.engine.serve.server import DEFAULT_LISTEN, LocalServer, ServeError, is_loopback, parse_listen, require
from tui.engine.serve.traffic import Served
from tui.wording.served import served_line

TICK_S = 1.0


def server_token(host: str, token_env: str | None) -> str | None:
    """The token clients must send: required off loopback, read from the environment variable named."""
    if token_env is None:
        if not is_loopback(host):
            raise ServeError(f"refusing to listen on {host} without a token: add --token-env NAME (an environment "
                             "variable holding the token clients must send)")
        return None
    token = os.environ.get(token_env, "").strip()
    if not token:
        raise ServeError(f"--token-env: ${token_env} is not set or empty")
    return token


def open_server(engine: ModelFallback, listen: str, token_env: str | None, *, signals: bool) -> LocalServer:
    """The app on its bound socket (not yet accepting); ServeError as a UsageError."""
    from tui.engine.serve.app import ServeApp

    try:
        require()
        host, port = parse_listen(listen)
        token = server_token(host, token_env)
        return LocalServer(ServeApp(engine, token=token), host, port, signals=signals)
    except ServeError as exc:
        raise UsageError(str(exc)) from None


async def keep_fresh(engine: ModelFallback) -> None:
    """Once a second: another process's disables and enables, and the rechecks that are due."""
    while True:
        await asyncio.sleep(TICK_S)
        engine.refresh()
        await engine.rechecks()


def print_line(record: Served) -> None:
    if record.finished:
        print(served_line(record), flush=True)


async def run(args: argparse.Namespace) -> int:
    try:
        require()
    except ServeError as exc:
        raise UsageError(str(exc)) from None
    engine = open_engine(args)
    server = open_server(engine, args.listen or DEFAULT_LISTEN, args.token_env, signals=True)
    print_notices(engine)
    server.app.traffic.listeners.append(print_line)
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
