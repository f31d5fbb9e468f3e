"""The floor under `serve`: the same server and upstream client with nothing in between.

uvicorn with httptools, set up as `serve` sets it up (`LocalServer`), takes the request; a bare
aiohttp session forwards its body to the provider; the provider's answer goes back as it came (a
whole answer read and sent with its length, a stream relayed chunk by chunk). No parsing, no
chain, no translation, no log: what any endpoint built on these two libraries in one Python
process costs at least. `benchmarks/serve_rows.py` runs it beside `serve` so the rows can say how
much of what `serve` adds is its own.

    python -m benchmarks.serve_floor UPSTREAM_BASE_URL   # prints "serving http://127.0.0.1:PORT/v1" on stderr
"""

from __future__ import annotations

import sys
from typing import Any

UPSTREAM = ""  # the provider's base URL, set by main()
_session: Any = None


async def app(scope: dict, receive, send) -> None:
    global _session
    if scope["type"] != "http":
        return
    import aiohttp

    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if _session is None:
        _session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    headers = {"Content-Type": "application/json", "Authorization": scope_header(scope, b"authorization")}
    async with _session.post(UPSTREAM + scope["path"][3:], data=body, headers=headers) as response:
        kind = response.headers.get("content-type", "").encode()
        if "text/event-stream" not in kind.decode():  # a whole answer goes back whole, with its length
            answer = await response.read()
            await send({"type": "http.response.start", "status": response.status,
                        "headers": [(b"content-type", kind), (b"content-length", str(len(answer)).encode())]})
            await send({"type": "http.response.body", "body": answer})
            return
        await send({"type": "http.response.start", "status": response.status, "headers": [(b"content-type", kind)]})
        async for chunk in response.content.iter_any():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def scope_header(scope: dict, name: bytes) -> str:
    return next((v.decode() for k, v in scope["headers"] if k == name), "")


def main(upstream: str) -> None:
    """Serve on a free port with serve's own server setup (`LocalServer`: uvicorn, httptools, a
    connection's writes in one loop turn leaving as one), so only the app differs."""
    import asyncio

    from tui.engine.serve.server import LocalServer

    global UPSTREAM
    UPSTREAM = upstream

    async def run() -> None:
        server = LocalServer(app, "127.0.0.1", 0, signals=True)
        await server.start()
        print(f"serving http://{server.address}/v1", file=sys.stderr, flush=True)
        await server.serve_forever()

    asyncio.run(run())


if __name__ == "__main__":
    main(sys.argv[1])
