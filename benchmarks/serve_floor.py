"""The floor under `serve`: the same server library and upstream client with nothing in between.

uvicorn with httptools takes the request, a bare aiohttp session forwards its body to the provider
and the provider's answer goes back as it came (non-streamed, or relayed chunk by chunk when the
client asked for a stream). No parsing, no chain, no translation, no log: what any endpoint built
on these two libraries in one Python process costs at least. `benchmarks/serve_rows.py` runs it
beside `serve` so the rows can say how much of what `serve` adds is its own.

    python -m benchmarks.serve_floor UPSTREAM_BASE_URL   # prints "serving http://127.0.0.1:PORT/v1" on stderr
"""

from __future__ import annotations

import socket
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
        await send({"type": "http.response.start", "status": response.status,
                    "headers": [(b"content-type", response.headers.get("content-type", "").encode())]})
        async for chunk in response.content.iter_any():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def scope_header(scope: dict, name: bytes) -> str:
    return next((v.decode() for k, v in scope["headers"] if k == name), "")


def main(upstream: str) -> None:
    global UPSTREAM
    import uvicorn

    UPSTREAM = upstream
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)  # connections wait in the backlog until uvicorn accepts them
    print(f"serving http://127.0.0.1:{sock.getsockname()[1]}/v1", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level="warning", http="httptools", lifespan="off", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1])
