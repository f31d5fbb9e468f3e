"""The engine's httpx client: the one place that builds an `httpx.AsyncClient`, and which HTTP stack a run uses.

Every provider API shares it (connections, pool, TLS); the adapters never build their own. Which
stack carries the bytes (httpx's pool, aiohttp's, or httpx's moving to aiohttp's in a crowd) is
chosen by `transport_choice()` and built by `wire.make_wire`: `MODELFALLBACK_HTTP` is `httpx`,
`aiohttp` or `auto`; without it, `DEFAULT_CHOICE` decides (`auto`, or `aiohttp` for a headless `serve`).
aiohttp is optional (the `aiohttp` extra) and costs a noticeable import.
"""

from __future__ import annotations

import contextvars
import functools
import importlib.util
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ssl

    import httpx

KEEPALIVE = 64
CHOICES = ("auto", "httpx", "aiohttp")
SET_COOKIE = (b"set-cookie", b"set-cookie2")  # the headers a cookie jar reads from a response
KEEP = 256  # URLs and header sets remembered per client (a few paths; header sets change with the key)


def encode_json(value: Any) -> bytes:
    """A request body as httpx's `json=` encodes it (compact, UTF-8, no NaN): the same bytes on every wire."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def aiohttp_available() -> bool:
    return importlib.util.find_spec("aiohttp") is not None


# The choice when MODELFALLBACK_HTTP makes none, for the code running in this context: `serve`
# sets `aiohttp` for its run (a server has many requests in flight from its first second, and a
# fresh process on httpx's pool answered 64 clients at 53-180 requests/s until its move to
# aiohttp's, against 320-420 starting there); everything else keeps `auto`. A context variable,
# not a global: it holds for the tasks of the run that set it and nowhere else.
DEFAULT_CHOICE: contextvars.ContextVar[str] = contextvars.ContextVar("modelfallback_http_default", default="auto")


def transport_choice() -> str:
    """`MODELFALLBACK_HTTP` when it is one of CHOICES, else DEFAULT_CHOICE's value (`auto`)."""
    value = os.environ.get("MODELFALLBACK_HTTP", "").strip().lower()
    return value if value in CHOICES else DEFAULT_CHOICE.get()


def make_http_client(transport: httpx.AsyncBaseTransport | None, verify: ssl.SSLContext | bool) -> httpx.AsyncClient:
    """A pooled httpx client for one provider, on `transport` when given (else httpx's own pool).

    No redirects: a 3xx is a protocol failure, and the key never travels to another host.
    No pool cap: a health sweep opens one connection per model at once, and httpx's default of
    100 would make a 200-model sweep take two rounds. No httpx timeouts: every wait is bounded by
    the caller's own deadlines (a keep-alive comment would reset a read timeout forever).
    """
    import httpx  # here, not at module level: the TUI reaches its first screen without httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=KEEPALIVE)
    return _client_class()(transport=transport, follow_redirects=False, timeout=httpx.Timeout(None), verify=verify,
                           limits=limits)


@functools.cache
def _client_class() -> type[httpx.AsyncClient]:
    """httpx's client with a cookie jar that skips the work for a response that sets no cookie.

    httpx hands every response to its jar, building two urllib compatibility objects first, and
    the jar then finds no Set-Cookie header in a provider's usual answer: about a tenth of the
    engine's cost per request at hundreds of requests a second. Cookies that are set are kept
    and sent back exactly as httpx does (the jar is httpx's own)."""
    import httpx

    class Cookies(httpx.Cookies):
        def extract_cookies(self, response: httpx.Response) -> None:
            for key, _ in response.headers.raw:
                if key.lower() in SET_COOKIE:
                    super().extract_cookies(response)
                    return

    class Client(httpx.AsyncClient):
        # httpx keeps the jar in `_cookies` (set in its __init__, read through `cookies`); httpx is
        # pinned below 0.29 in pyproject.toml, and tests/integration/test_http_transports.py checks it
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._cookies = Cookies(self._cookies)

        @property  # type: ignore[override]
        def cookies(self) -> httpx.Cookies:
            return self._cookies

        @cookies.setter
        def cookies(self, cookies: Any) -> None:
            self._cookies = Cookies(cookies)

    return Client


class RequestMaker:
    """Builds one client's requests as `client.build_request` does, without redoing per request
    what does not change: the URL of each path is parsed once, and the client's default headers
    merged with a given set of headers once (the set changes only with the key). The body comes
    encoded (`encode_json`); cookies and the timeout go on the request as `build_request` puts them."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._urls: dict[str, httpx.URL] = {}
        self._merged: dict[tuple[tuple[str, str], ...], httpx.Headers] = {}

    def build(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
              timeout: httpx.Timeout) -> httpx.Request:
        import httpx

        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= KEEP:  # a listing's page tokens make new URLs: keep the memory bounded
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        key = tuple(headers.items())
        merged = self._merged.get(key)
        if merged is None:
            if len(self._merged) >= KEEP:
                self._merged.clear()
            merged = self._merged[key] = httpx.Headers(self.client.headers)
            merged.update(headers)
        cookies = self.client.cookies
        return httpx.Request(method, parsed, content=body, headers=merged, cookies=cookies if cookies else None,
                             extensions={"timeout": timeout.as_dict()})
