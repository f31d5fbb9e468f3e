"""The wire on aiohttp's session straight: no httpx request or response objects in between.

Measured (benchmarks/transports.py, README Performance): aiohttp's pool keeps its throughput as
requests in flight grow, where httpx's loses most of it, and httpx's objects over aiohttp's pool
cost a request about as much again as aiohttp itself; an endpoint with many clients (`serve`)
spends most of its time there.

Failures are raised as the httpx exceptions that mean the same, so `classify_exception` gives
each the kind it gives on httpx's pool: a refused or failed connect is `ConnectError`, a connect
that timed out `ConnectTimeout`, a connection closed or reset before the response
`RemoteProtocolError` / `ReadError`, a body cut short `RemoteProtocolError`. No redirects are
followed; a content-encoded body is decoded, as httpx does. Imported only when aiohttp is
installed (the `aiohttp` and `serve` extras).
"""

from __future__ import annotations

import ssl
import urllib.parse
import urllib.request
from collections.abc import Mapping

import aiohttp
import httpx


def as_httpx(exc: BaseException, *, body: bool = False) -> BaseException:
    """aiohttp's exception as the httpx one that means the same (`body`: raised while reading the
    body); anything else as it is."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(str(exc) or "connect timeout")
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(str(exc) or "read timeout")
    if isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
        return httpx.UnsupportedProtocol(str(exc))
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS handshake: nothing was sent
        return httpx.ConnectError(str(exc) or type(exc).__name__)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError)):
        what = "the response body was cut short" if body else "server closed the connection"
        return httpx.RemoteProtocolError(f"{what}: {exc}" if str(exc) else what)
    if isinstance(exc, (aiohttp.ClientOSError, ConnectionError)):  # reset
        return httpx.ReadError(str(exc) or type(exc).__name__)
    if isinstance(exc, aiohttp.ClientError):
        return httpx.TransportError(str(exc) or type(exc).__name__)
    return exc


class _Chunks:
    """The body as it arrives; a class rather than a generator: one frame fewer on every network chunk."""

    __slots__ = ("_content",)

    def __init__(self, content: aiohttp.StreamReader) -> None:
        self._content = content

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = await self._content.readany()
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise as_httpx(exc, body=True) from exc
        if not chunk:
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        """Nothing to close: the reply owns the connection."""


class AiohttpReply:
    """An aiohttp response whose headers have arrived."""

    __slots__ = ("_response", "headers", "status_code")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status_code = response.status
        self.headers = response.headers

    def chunks(self) -> _Chunks:
        return _Chunks(self._response.content)

    async def aclose(self) -> None:
        # Read to its end: the connection goes back to the pool; else it is closed (never reused
        # with an unread remainder, and a cancelled stream's socket is closed at once).
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


def env_proxy(url: str) -> str | None:
    """The proxy the environment names for `url` (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, less
    `NO_PROXY`), as httpx's client follows them by default."""
    split = urllib.parse.urlsplit(url)
    if not split.hostname or urllib.request.proxy_bypass_environment(split.hostname):
        return None
    proxies = urllib.request.getproxies_environment()
    return proxies.get(split.scheme) or proxies.get("all")


class AiohttpWire:
    """One aiohttp session: no cap on connections, kept alive 15 s, a cookie jar as httpx keeps one,
    and the environment's proxy as httpx's client follows it."""

    def __init__(self, verify: ssl.SSLContext | bool = True) -> None:
        self._verify = verify
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}  # by connect timeout
        # By origin, looked up once: aiohttp's own `trust_env` reads the environment (and ~/.netrc)
        # on every request.
        self._proxies: dict[str, str | None] = {}

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, ssl=self._verify, keepalive_timeout=15.0)
            # No session timeout: every wait is bounded by the caller's own deadlines. The jar takes
            # cookies from IP-address hosts too (a load balancer on a private address), as httpx's does.
            self._session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None),
                                                  skip_auto_headers=("User-Agent",),
                                                  cookie_jar=aiohttp.CookieJar(unsafe=True))
        return self._session

    async def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                   connect_timeout: float) -> AiohttpReply:
        timeout = self._timeouts.get(connect_timeout)
        if timeout is None:
            timeout = self._timeouts[connect_timeout] = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout,
                                                                              connect=connect_timeout)
        origin = "/".join(url.split("/", 3)[:3])  # scheme://host:port
        proxy = self._proxies.get(origin, False)
        if proxy is False:
            proxy = self._proxies[origin] = env_proxy(origin)
        try:
            response = await self._open().request(method, url, headers=headers, data=body, allow_redirects=False,
                                                   compress=None, timeout=timeout, proxy=proxy)
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise as_httpx(exc) from exc
        return AiohttpReply(response)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
