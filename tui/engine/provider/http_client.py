"""How the engine's HTTP connections are made: the one place that builds an `httpx.AsyncClient`.

Every provider API shares it (connections, pool, TLS); the adapters never build their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

    import httpx


def make_http_client(transport: httpx.AsyncBaseTransport | None, verify: ssl.SSLContext | bool) -> httpx.AsyncClient:
    """A pooled client for one provider.

    No redirects: a 3xx is a protocol failure, and the key never travels to another host.
    No pool cap: a health sweep opens one connection per model at once, and httpx's default of
    100 would make a 200-model sweep take two rounds. No httpx timeouts: every wait is bounded by
    the caller's own deadlines (a keep-alive comment would reset a read timeout forever).
    """
    import httpx  # here, not at module level: the TUI reaches its first screen without httpx

    return httpx.AsyncClient(transport=transport, follow_redirects=False, timeout=httpx.Timeout(None),
                             verify=verify, limits=httpx.Limits(max_connections=None, max_keepalive_connections=64))
