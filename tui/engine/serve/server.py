"""Running the app on uvicorn (with httptools): the address rules, the header timeout, start and stop.

uvicorn is in the `serve` extra; without it `require()` says in one line what to install. The
socket is bound here, before uvicorn starts, so a busy port or a bad address is a clear error and
not uvicorn's `sys.exit`. uvicorn bounds idle keep-alive connections but not a client that sends
its headers one byte at a time (slow loris): `_guarded_protocol` adds that timer to uvicorn's own
httptools protocol (armed when a connection opens or a request begins, disarmed when the headers
are complete; on expiry a 408 and the connection is closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.engine.api import ModelFallback

DEFAULT_LISTEN = "127.0.0.1:4141"
INSTALL_HINT = "serve needs the serve extra: pip install 'modelfallback[serve]'"
KEEP_ALIVE_S = 5.0
# Served chats at once when the endpoint shares its event loop with the TUI's screen (`--serve`):
# more wait their turn, so a key press is handled between them (README: serve performance).
TUI_CHATS = 4


class ServeError(Exception):
    """The server cannot start (missing extra, bad or busy address, no token for a public address)."""


def require() -> None:
    """Raise ServeError with the install line when uvicorn or httptools is missing."""
    try:
        import httptools  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ServeError(INSTALL_HINT) from None


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `:PORT`, `PORT` or `[v6]:PORT` as (host, port); ServeError when it is not one."""
    text = text.strip()
    host, port = "127.0.0.1", text
    if text.startswith("["):
        host, _, port = text[1:].partition("]")
        port = port.removeprefix(":")
    elif ":" in text:
        host, _, port = text.rpartition(":")
        host = host or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535 or not host:
        raise ServeError(f"--listen: expected HOST:PORT like 127.0.0.1:4141, got {text!r}")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or ServeError saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"--listen: cannot resolve {host!r} ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


class CoalescedWrites:
    """A connection's transport whose writes within one turn of the event loop leave as one.

    uvicorn writes a response's status line and headers, then its body, as separate writes: two
    packets, two wakeups of the client and two system calls where one does (a whole answer's
    headers and body come from one `send_body`, a stream's headers and first token from one
    step of the relay). Written data goes out at the end of the turn, and before a close; the
    rest (flow control, `is_closing`, `abort`, peer addresses) is the transport's own."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _guarded_protocol(header_timeout: float) -> type:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class GuardedHttpTools(HttpToolsProtocol):
        """uvicorn's httptools protocol with a deadline for the request line and headers."""

        _header_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                self.transport.close()

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self.transport = CoalescedWrites(transport, self.loop)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return GuardedHttpTools


def server_token(host: str, token_env: str | None, env: Mapping[str, str]) -> str | None:
    """The token clients must send: required off loopback, read from the environment variable named."""
    if token_env is None:
        if not is_loopback(host):
            raise ServeError(f"refusing to listen on {host} without a token: add --token-env NAME (an environment "
                             "variable holding the token clients must send)")
        return None
    token = env.get(token_env, "").strip()
    if not token:
        raise ServeError(f"--token-env: ${token_env} is not set or empty")
    return token


def open_server(engine: ModelFallback, listen: str, token_env: str | None, env: Mapping[str, str], *,
                signals: bool = False, chats: int | None = None) -> LocalServer:
    """The endpoint for `engine` on its bound socket, not yet accepting (`start()` does): the
    headless command and the TUI open it the same way, before anything else starts, so a missing
    extra, a bad or busy address or a missing token is a usage error at once."""
    from tui.engine.serve.app import Limits, ServeApp

    require()
    host, port = parse_listen(listen)
    token = server_token(host, token_env, env)
    return LocalServer(ServeApp(engine, token=token, limits=Limits(chats=chats)), host, port, signals=signals)


class LocalServer:
    """The app on a bound socket; `await start()` returns once it accepts, `await stop()` ends it."""

    def __init__(self, app: Any, host: str, port: int, *, header_timeout: float = 10.0,
                 signals: bool = False) -> None:
        require()
        import uvicorn

        self.app = app
        self.sock = bind(host, port)
        self.host, self.port = self.sock.getsockname()[:2]
        config = uvicorn.Config(app, http=_guarded_protocol(header_timeout), lifespan="off", access_log=False,
                                log_level="warning", timeout_keep_alive=int(KEEP_ALIVE_S), server_header=False,
                                timeout_graceful_shutdown=2,
                                proxy_headers=False)  # no proxy in front: the client is the socket's peer
        self.server = _uvicorn_server(config, signals)
        self._task: asyncio.Task | None = None

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started and not self._task.done():
            await asyncio.sleep(0.005)
        if self._task.done():
            self._task.result()  # its exception, if it failed to start

    async def serve_forever(self) -> None:
        """Start and wait until stopped (Ctrl+C or SIGTERM when `signals`)."""
        if self._task is None:
            await self.start()
        assert self._task is not None
        await self._task

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await self._task
        self.sock.close()


def _uvicorn_server(config: Any, signals: bool) -> Any:
    """uvicorn's Server; its signal handlers only when asked (the TUI keeps its own)."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if signals:
                with super().capture_signals():
                    yield
            else:
                yield

    return Server(config)
