"""Transport failures: an exception before any response (timeout, refused, reset, TLS, bad URL) -> `Failure`.

The same for every provider API, so written once; what a response's body says is the adapters' part.
"""

from __future__ import annotations

import asyncio

from tui.engine.failures import Failure, FailureKind
from tui.engine.provider.classify import short_detail

K = FailureKind


def _describe(exc: BaseException) -> str:
    """The first informative text along the exception chain (httpx wraps httpcore wraps OSError)."""
    current: BaseException | None = exc
    for _ in range(5):
        if current is None:
            break
        if isinstance(current, ConnectionResetError):
            return "connection reset by peer"
        if text := str(current).strip():
            return text
        current = current.__cause__ or current.__context__
    return ""


def classify_exception(exc: BaseException) -> Failure:
    """A transport-level exception raised before any response: timeout, connection, protocol, cancelled."""
    import ssl

    import httpx  # here, not at module level: the TUI starts without importing httpx

    name = type(exc).__name__
    text = _describe(exc)

    def make(kind: FailureKind, label: str) -> Failure:
        return Failure(kind, short_detail(f"{label}: {text}" if text else label))

    if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
        return Failure(K.CANCELLED, "cancelled")
    if isinstance(exc, httpx.ConnectTimeout):
        return make(K.TIMEOUT, "connect timeout")
    if isinstance(exc, httpx.PoolTimeout):
        return make(K.TIMEOUT, "no free connection in time")
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return make(K.TIMEOUT, "timed out")
    if isinstance(exc, httpx.ConnectError):
        return make(K.CONNECTION, "could not connect")
    if isinstance(exc, httpx.RemoteProtocolError):
        return make(K.CONNECTION, "server closed the connection")
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return make(K.PROTOCOL, "bad URL")
    if isinstance(exc, (httpx.LocalProtocolError, httpx.TooManyRedirects, httpx.DecodingError)):
        return make(K.PROTOCOL, name)
    if isinstance(exc, (httpx.TransportError, ssl.SSLError, OSError)):
        return make(K.CONNECTION, "connection failed" if isinstance(exc, httpx.TransportError) else name)
    if isinstance(exc, (ValueError, UnicodeError)):
        return make(K.PROTOCOL, "malformed response")
    return make(K.PROTOCOL, f"unexpected {name}")
