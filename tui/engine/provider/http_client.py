"""How the engine's HTTP connections are made: the one place that builds an `httpx.AsyncClient`.

Every provider API shares it (connections, pool, TLS); the adapters never build their own.

The client always speaks httpx; what carries the bytes is chosen here, by numbers
(benchmarks/transports.py, README Performance): httpx's own pool serves one request at a time
well, but loses most of its throughput as requests in flight grow, where aiohttp's pool keeps it.
aiohttp is optional (the `aiohttp` extra) and costs a noticeable import, so by default a client
starts on httpx's pool and moves to aiohttp's (imported on a worker thread meanwhile) once more
than a few requests (`crowd_transport.CROWD`) are in flight; a one-shot `chat` never pays for it. `MODELFALLBACK_HTTP`
overrides the choice: `httpx` (httpx's pool only), `aiohttp` (from the first request), `auto`.
An injected transport (the simulator, a test's) is used as it is.
"""

from __future__ import annotations

import importlib.util
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

    import httpx

KEEPALIVE = 64
CHOICES = ("auto", "httpx", "aiohttp")


def aiohttp_available() -> bool:
    return importlib.util.find_spec("aiohttp") is not None


def transport_choice() -> str:
    """`MODELFALLBACK_HTTP` when it is one of CHOICES, else `auto`."""
    value = os.environ.get("MODELFALLBACK_HTTP", "auto").strip().lower()
    return value if value in CHOICES else "auto"


def make_http_client(transport: httpx.AsyncBaseTransport | None, verify: ssl.SSLContext | bool, *,
                     prefer_aiohttp: bool | None = None) -> httpx.AsyncClient:
    """A pooled client for one provider.

    No redirects: a 3xx is a protocol failure, and the key never travels to another host.
    No pool cap: a health sweep opens one connection per model at once, and httpx's default of
    100 would make a 200-model sweep take two rounds. No httpx timeouts: every wait is bounded by
    the caller's own deadlines (a keep-alive comment would reset a read timeout forever).
    `prefer_aiohttp`: True or False forces the transport (benchmarks, tests); None follows
    `transport_choice()`.
    """
    import httpx  # here, not at module level: the TUI reaches its first screen without httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=KEEPALIVE)
    if transport is None:
        choice = transport_choice() if prefer_aiohttp is None else "aiohttp" if prefer_aiohttp else "httpx"
        if choice != "httpx" and aiohttp_available():
            if choice == "aiohttp":
                from tui.engine.provider.aiohttp_transport import AiohttpTransport

                transport = AiohttpTransport(verify)
            else:
                from tui.engine.provider.crowd_transport import CrowdTransport

                transport = CrowdTransport(httpx.AsyncHTTPTransport(verify=verify, limits=limits), verify)
    return httpx.AsyncClient(transport=transport, follow_redirects=False, timeout=httpx.Timeout(None),
                             verify=verify, limits=limits)
