"""The local endpoint as a plain ASGI app: routes, the token, body limits, and a client that leaves.

    POST /v1/chat/completions   OpenAI Chat Completions, streamed or not
    POST /v1/messages           Anthropic Messages, streamed or not
    GET  /v1/models             the groups, then the configured models (OpenAI's list shape)
    GET  /healthz               which model of each group answers now

(the same paths without `/v1` too, for clients whose base URL leaves it out). Plain ASGI rather
than a framework: four routes need no router, and every request pays for a framework's layers.
Errors use the client's own shape (Anthropic's for `/v1/messages`, OpenAI's elsewhere). A client
that goes away while its request runs cancels it at once (the upstream request is closed, no
model is blamed). The client's `Authorization` / `x-api-key` are read for the token check only
and never travel anywhere: the upstream request is built from the body alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tui.engine.api import ModelFallback
from tui.engine.failures import RequestError
from tui.engine.serve.anthropic_wire import AnthropicWire
from tui.engine.serve.openai_wire import OpenAIWire
from tui.engine.serve.relay import Relay, send_body
from tui.engine.serve.traffic import Traffic
from tui.engine.serve.wire import Wire, dumps

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
OPENAI, ANTHROPIC = OpenAIWire(), AnthropicWire()
CHAT_ROUTES: dict[str, Wire] = {"/chat/completions": OPENAI, "/messages": ANTHROPIC}
INFO_ROUTES = ("/models", "/healthz")


@dataclass(frozen=True)
class Limits:
    """How much a client may send and how slowly (headers are bounded by the server, see `server`)."""

    body_bytes: int = 32 * 1024 * 1024
    body_timeout: float = 30.0  # the whole body, once the headers are in
    header_timeout: float = 10.0  # the request line and headers (enforced by the server's protocol)
    # Chats running at once; more wait their turn (None: no limit). Inside the TUI the endpoint
    # shares the event loop with the screen: a bounded number of chats keeps each turn of the loop
    # short, so a key press is handled between them however many clients call.
    chats: int | None = None


class _Refused(Exception):
    def __init__(self, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or []


class _Gone(Exception):
    """The client closed its connection before its request was read: nobody to answer."""


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class ServeApp:
    """`ServeApp(engine)` is an ASGI application; `traffic` is what it served."""

    def __init__(self, engine: ModelFallback, *, token: str | None = None, limits: Limits | None = None,
                 traffic: Traffic | None = None) -> None:
        self.engine = engine
        self.token = token
        self.limits = limits or Limits()
        self.traffic = traffic or Traffic()
        self._turns = None if self.limits.chats is None else asyncio.Semaphore(self.limits.chats)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        route = path[3:] if path.startswith("/v1/") else path
        wire = ANTHROPIC if route.startswith("/messages") else OPENAI
        try:
            if route not in CHAT_ROUTES and route not in INFO_ROUTES:
                raise _Refused(404, f"no route {path}; try POST /v1/chat/completions, POST /v1/messages, "
                               "GET /v1/models or GET /healthz")
            wanted = "POST" if route in CHAT_ROUTES else "GET"
            if scope["method"] != wanted:
                raise _Refused(405, f"{path} takes {wanted}", [(b"allow", wanted.encode())])
            self._check_token(scope)
            if route in CHAT_ROUTES:
                await self._chat(scope, receive, send, CHAT_ROUTES[route], path)
            elif route == "/models":
                await send_body(send, 200, dumps(self._models()))
            else:
                await send_body(send, 200, dumps(self._health()))
        except _Refused as refused:
            await send_body(send, refused.status, wire.error(refused.status, refused.message), refused.headers)
        except _Gone:
            return

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _check_token(self, scope: dict[str, Any]) -> None:
        if self.token is None:
            return
        given = _header(scope, b"x-api-key")
        auth = _header(scope, b"authorization")
        if given is None and auth is not None and auth[:7].lower() == "bearer ":
            given = auth[7:].strip()
        if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            raise _Refused(401, "missing or wrong token: send it as 'Authorization: Bearer …' or 'x-api-key'")

    # -- chat ---------------------------------------------------------------------------------------

    async def _read_body(self, scope: dict[str, Any], receive: Receive) -> bytes:
        limit = self.limits.body_bytes
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise _Refused(413, f"request body over {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise _Gone
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise _Refused(413, f"request body over {limit} bytes")
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise _Refused(408, f"the request body did not arrive within {self.limits.body_timeout:g}s") from None

    def _parse(self, body: bytes, wire: Wire) -> Any:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            raise _Refused(400, f"the request body is not valid JSON ({detail})") from None
        try:
            return wire.parse(data)
        except RequestError as exc:
            raise _Refused(400, str(exc)) from None

    async def _chat(self, scope: dict[str, Any], receive: Receive, send: Send, wire: Wire, path: str) -> None:
        inbound = self._parse(await self._read_body(scope, receive), wire)
        try:
            self.engine.members(inbound.model)
        except KeyError:
            groups = ", ".join(self.engine.config.groups)
            raise _Refused(404, f"unknown model '{inbound.model}': name a group ({groups}) or a configured model "
                           "(GET /v1/models lists them)") from None
        client = _header(scope, b"user-agent") or ":".join(map(str, scope.get("client") or ("?",)))
        record = self.traffic.begin(client, path)
        record.group = inbound.model
        task = asyncio.current_task()
        assert task is not None
        gone = False

        async def watch() -> None:  # a client that leaves cancels its request at once
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            if not record.finished:  # after the answer's last byte the server reports a disconnect too
                gone = True
                task.cancel()

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            if self._turns is None:
                await Relay(self.engine, self.traffic, wire, inbound, record, send).run()
            else:
                async with self._turns:
                    await Relay(self.engine, self.traffic, wire, inbound, record, send).run()
        except asyncio.CancelledError:
            if not gone:
                self.traffic.end(record, "cancelled", 499, "server shutting down")
                raise
            task.uncancel()
            self.traffic.end(record, "cancelled", 499, "the client went away")
        except Exception as exc:
            self.traffic.end(record, "failed", 500, type(exc).__name__)
            raise
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    # -- listings -----------------------------------------------------------------------------------

    def _models(self) -> dict[str, Any]:
        config = self.engine.config
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "modelfallback", "type": "model",
                 "display_name": f"group {name}"} for name in config.groups]
        data += [{"id": name, "object": "model", "created": 0, "owned_by": model.provider, "type": "model",
                  "display_name": name} for name, model in config.models.items() if name not in config.groups]
        return {"object": "list", "data": data, "has_more": False,
                "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None}

    def _health(self) -> dict[str, Any]:
        groups = {}
        for group in self.engine.config.groups:
            answering = self.engine.preferred(group)
            entry: dict[str, Any] = {"answering": answering}
            if answering is None:
                back = self.engine.first_return(group)
                entry["first_back"] = None if back is None else {"model": back[0], "in_s": round(back[1], 1)}
            groups[group] = entry
        ok = all(g["answering"] is not None for g in groups.values())
        return {"status": "ok" if ok else "degraded", "groups": groups, "in_flight": self.traffic.in_flight}


__all__ = ["Limits", "ServeApp"]
