"""A scripted HTTP/1.1 fault server on 127.0.0.1, for tests of real network faults.

Behaviours are socket-level facts (a reset is a real RST, a cut is a real close, a stall is an
open socket that says nothing), scripted per model (the request body's `model`, or Gemini's model
in the path) or per path (without its query). It speaks three APIs, told apart by the request's
path: OpenAI Chat Completions (`/v1/chat/completions`), Anthropic Messages (`/v1/messages`) and
Gemini (`/v1beta/models/{id}:generateContent` and `:streamGenerateContent?alt=sse`); a behaviour
is written in the shape of the API it is asked in (tests/faultwires.py).

    server.script("model-a", [Json(503), Stream(tokens=["Hi"])])   # consumed per request,
                                                                   # the last one repeats
It records every request (method, path, headers, JSON body) and counts open connections, so
tests can assert what was sent and that nothing leaked. Stdlib only: it also runs standalone,
for subprocess tests (the CLI):

    python tests/faultserver.py --port 0 --script FILE.json [--record FILE.jsonl] [--stream-log FILE.jsonl]

prints the port on the first line of stdout and serves until SIGTERM/SIGINT. The script file is
`{"scripts": {"model-a": [{"type": "json", "status": 503}, {"type": "stream", "tokens": 3}]},
"default": {...}}` (or just the `scripts` mapping); `type` is a behaviour name from BEHAVIOURS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faultbehaviours import (BEHAVIOURS, Behaviour, Close, Error, Hang, HeadersThenSilence, Json,  # noqa: F401
                             Listing, Redirect, Reply, Reset, Stream, behaviour_from_json, behaviour_to_json,
                             completion, error_json, openrouter_endpoints, openrouter_key, openrouter_models)
from faultstreams import StreamPlayer
from faultwires import (ANTHROPIC, APIS, GEMINI, OPENAI, api_of, error_response, gemini_model,  # noqa: F401
                        http_head, is_stream_request, listing_body, reply_body, route_of)


# -- the server --------------------------------------------------------------------------------

@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any  # the parsed body, or None

    @property
    def api(self) -> str:
        """openai, anthropic or gemini: the API the request speaks."""
        return api_of(self.method, self.path, self.headers)

    @property
    def route(self) -> str:
        """The path without its query."""
        return route_of(self.path)

    @property
    def model(self) -> str | None:
        if isinstance(self.json, dict) and isinstance(self.json.get("model"), str):
            return self.json["model"]
        return gemini_model(self.path) if self.api == GEMINI else None

    @property
    def stream(self) -> bool:
        """The client asked for a streamed answer."""
        return is_stream_request(self.api, self.path, self.json)


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.buf = bytearray()
        self.aborted = False

    async def read_request(self) -> tuple[str, str, dict[str, str], bytes] | None:
        while b"\r\n\r\n" not in self.buf:
            data = await self.reader.read(65536)
            if not data or len(self.buf) > 1 << 20:
                return None
            self.buf += data
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        self.buf = bytearray(rest)
        while len(self.buf) < length:
            data = await self.reader.read(65536)
            if not data:
                return None
            self.buf += data
        body = bytes(self.buf[:length])
        del self.buf[:length]
        return method, target, headers, body

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def until_client_closes(self) -> None:
        """Return when the client closes its end (EOF or reset); bytes it sends meanwhile are kept."""
        with contextlib.suppress(OSError):
            while data := await self.reader.read(65536):
                self.buf += data

    def reset(self) -> None:
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
        self.aborted = True


class FaultServer:
    """Start with `await server.start()` (or `async with`); runs inside the current event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, backlog: int = 100,
                 tls: ssl.SSLContext | None = None) -> None:
        self.host, self.port = host, port
        self.tls = tls  # serve https with this context (a self-signed certificate, for the TLS checks)
        # asyncio's default listen backlog is 100; a sweep of 200 models connects at once, and a
        # dropped SYN costs the client a 1 s retransmit, so the benchmarks ask for more.
        self.backlog = backlog
        self.default: Behaviour = error_json(404, "fault server: nothing scripted for this request")
        self.requests: list[RecordedRequest] = []
        self.on_request: Callable[[RecordedRequest], None] | None = None
        # Called with the model after a streamed answer's last byte was written (or the stream ended).
        self.on_stream_sent: Callable[[str | None], None] | None = None
        self.open_connections = 0
        self.connections_total = 0
        # A `Date` header on every JSON response, this many seconds off the real clock (None: none):
        # a provider whose clock is wrong, for the clock checks of `doctor`.
        self.date_offset: float | None = None
        self._scripts: dict[str, list[Behaviour]] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._conns: set[_Conn] = set()
        self._changed: asyncio.Condition | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What a provider's `base_url` should be: `/chat/completions` and `/models` live under it."""
        return self.url + "/v1"

    def script(self, key: str, behaviours: Behaviour | list[Behaviour]) -> None:
        """Script a model (by the body's `model`) or a path; one behaviour per request, the last repeats."""
        items = list(behaviours) if isinstance(behaviours, list) else [behaviours]
        if not items:
            raise ValueError("a script needs at least one behaviour")
        self._scripts[key] = items

    def requests_for(self, key: str) -> list[RecordedRequest]:
        return [r for r in self.requests if key in (r.model, r.path, r.route)]

    async def start(self) -> FaultServer:
        self._changed = asyncio.Condition()
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=self.backlog,
                                                  ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self._conns):
            conn.writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FaultServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_connections(self, count: int = 0, timeout: float = 2.0) -> bool:
        """Wait until at most `count` connections are open; False if that did not happen in time."""
        assert self._changed is not None
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._changed.wait_for(lambda: self.open_connections <= count)
        return self.open_connections <= count

    async def _count(self, delta: int) -> None:
        assert self._changed is not None
        async with self._changed:
            self.open_connections += delta
            self.connections_total += max(0, delta)
            self._changed.notify_all()

    def _next(self, record: RecordedRequest) -> Behaviour:
        model = record.model
        key = model if model in self._scripts else record.path if record.path in self._scripts else record.route
        queue = self._scripts.get(key)
        if not queue:
            return self.default
        return queue.pop(0) if len(queue) > 1 else queue[0]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = _Conn(reader, writer)
        self._conns.add(conn)
        await self._count(+1)
        try:
            while (request := await conn.read_request()) is not None:
                method, path, headers, body = request
                try:
                    parsed = json.loads(body) if body else None
                except ValueError:
                    parsed = None
                record = RecordedRequest(method, path, headers, body, parsed)
                self.requests.append(record)
                if self.on_request is not None:
                    self.on_request(record)
                if not await self._serve(conn, self._next(record), record):
                    break
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            if not conn.aborted:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
            self._conns.discard(conn)
            self._tasks.discard(task)
            await self._count(-1)

    async def _serve(self, conn: _Conn, behaviour: Behaviour, record: RecordedRequest) -> bool:
        """Play one behaviour; True when the connection may serve another request."""
        if isinstance(behaviour, Reset):
            conn.reset()
            return False
        if isinstance(behaviour, Close):
            return False
        if isinstance(behaviour, Hang):
            await conn.until_client_closes()
            return False
        if isinstance(behaviour, Redirect):
            await conn.send(http_head(behaviour.status, {"Location": behaviour.location, "Content-Length": "0"}))
            return True
        delay = behaviour.delay if isinstance(behaviour, (Reply, Error, Json)) else 0.0
        if delay and not await self._wait(conn, delay):
            return False
        if isinstance(behaviour, Reply):
            await self._send_json(conn, 200, reply_body(record.api, behaviour, record.model or "scripted-model"))
            return True
        if isinstance(behaviour, Error):
            status, headers, body = error_response(record.api, behaviour)
            await self._send_json(conn, status, body, headers)
            return True
        if isinstance(behaviour, Listing):
            await self._send_json(conn, 200, listing_body(record.api, behaviour, record.path))
            return True
        if isinstance(behaviour, Json):
            await self._send_json(conn, behaviour.status, behaviour.body, behaviour.headers, behaviour.content_type)
            return True
        if isinstance(behaviour, HeadersThenSilence):
            await conn.send(http_head(200, {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked",
                                        **behaviour.headers}))
            await conn.until_client_closes()
            return False
        return await self._watched(conn, self._stream(conn, behaviour, record))

    @classmethod
    async def _wait(cls, conn: _Conn, seconds: float) -> bool:
        """Wait before answering; False when the client gave up (closed) meanwhile."""
        async def pause() -> bool:
            await asyncio.sleep(seconds)
            return True

        return await cls._watched(conn, pause())

    async def _send_json(self, conn: _Conn, status: int, body: Any, headers: dict[str, str] | None = None,
                         content_type: str = "application/json") -> None:
        data = (body if isinstance(body, bytes) else body.encode() if isinstance(body, str)
                else b"" if body is None else json.dumps(body).encode())
        headers = {"Content-Type": content_type, "Content-Length": str(len(data)), **(headers or {})}
        if self.date_offset is not None:
            from email.utils import formatdate

            headers.setdefault("Date", formatdate(time.time() + self.date_offset, usegmt=True))
        await conn.send(http_head(status, headers) + data)

    async def _stream(self, conn: _Conn, spec: Stream, record: RecordedRequest) -> bool:
        try:
            return await StreamPlayer(conn.send, spec, record.api, record.model).play()
        finally:
            if self.on_stream_sent is not None:
                self.on_stream_sent(record.model)

    @staticmethod
    async def _watched(conn: _Conn, play: Any) -> bool:
        """Run a streaming body while watching for the client to close, which ends it at once."""
        body = asyncio.ensure_future(play)
        watch = asyncio.ensure_future(conn.until_client_closes())
        try:
            await asyncio.wait({body, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (body, watch):
                task.cancel()
            await asyncio.gather(body, watch, return_exceptions=True)
        if body.cancelled() or body.exception() is not None:
            return False
        return bool(body.result())


# -- standalone --------------------------------------------------------------------------------

def load_script(path: str, server: FaultServer) -> None:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    scripts = data.get("scripts", data) if isinstance(data, dict) else {}
    if isinstance(data, dict) and isinstance(data.get("default"), dict):
        server.default = behaviour_from_json(data["default"])
    for key, items in scripts.items():
        if key == "default" and "scripts" not in data:
            continue
        items = items if isinstance(items, list) else [items]
        server.script(key, [behaviour_from_json(item) for item in items])


async def _main(args: argparse.Namespace) -> None:
    server = FaultServer(args.host, args.port, backlog=args.backlog)
    server.date_offset = args.date_offset
    if args.script:
        load_script(args.script, server)
    if args.record:
        record_file = open(args.record, "a", encoding="utf-8")  # noqa: SIM115 - open for the server's life

        def record(request: RecordedRequest) -> None:
            line = {"method": request.method, "path": request.path, "headers": request.headers,
                    "json": request.json}
            record_file.write(json.dumps(line) + "\n")
            record_file.flush()

        server.on_request = record
    if args.stream_log:
        stream_log = open(args.stream_log, "a", encoding="utf-8")  # noqa: SIM115 - open for the server's life

        def sent(model: str | None) -> None:
            # perf_counter is CLOCK_MONOTONIC on Linux: comparable with the client process's own
            stream_log.write(json.dumps({"model": model, "sent": time.perf_counter()}) + "\n")
            stream_log.flush()

        server.on_stream_sent = sent
    await server.start()
    print(server.port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Scripted HTTP fault server for modelfallback tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", help="JSON script file")
    parser.add_argument("--record", help="append each request as a JSON line to this file")
    parser.add_argument("--stream-log", help="append {model, sent} when a streamed answer's last byte is sent")
    parser.add_argument("--backlog", type=int, default=100, help="the listen backlog")
    parser.add_argument("--date-offset", type=float, help="send a Date header this many seconds off the real clock")
    asyncio.run(_main(parser.parse_args()))
