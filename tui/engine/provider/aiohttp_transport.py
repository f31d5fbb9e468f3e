"""httpx's API over aiohttp's connection pool: the engine's transport when many requests are in flight.

Measured on one process against a loopback provider (benchmarks/transports.py, README
Performance), httpx's own pool loses most of its throughput as requests in flight grow, while
aiohttp's keeps it. This transport lets every line of the provider client keep speaking httpx
(requests, responses, streamed bodies) while the bytes travel on aiohttp's connections.

Failures keep the httpx exception types the classifier knows (§4): a refused or failed connect
is `ConnectError`, a connect that timed out `ConnectTimeout`, a connection closed or reset before
the response `RemoteProtocolError` / `ReadError`, a body cut short `RemoteProtocolError`. No
redirects are followed and bodies are passed through undecoded (httpx decodes them), as with
httpx's own transport. Imported only when aiohttp is installed (the `aiohttp` extra).
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator

import aiohttp
import httpx


@contextlib.contextmanager
def _as_httpx(request: httpx.Request, *, body: bool = False) -> Iterator[None]:
    """Re-raise aiohttp's exceptions as the httpx ones that mean the same; `body`: while reading one."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(str(exc) or "connect timeout", request=request) from exc
    except aiohttp.ServerTimeoutError as exc:
        raise httpx.ReadTimeout(str(exc) or "read timeout", request=request) from exc
    except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as exc:
        raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
    except aiohttp.ClientConnectorError as exc:  # refused, DNS, TLS handshake: nothing was sent
        raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError) as exc:
        what = "the response body was cut short" if body else "server closed the connection"
        raise httpx.RemoteProtocolError(f"{what}: {exc}" if str(exc) else what, request=request) from exc
    except (aiohttp.ClientOSError, ConnectionError) as exc:  # reset
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
    except aiohttp.ClientError as exc:
        raise httpx.TransportError(str(exc) or type(exc).__name__, request=request) from exc


class _Body(httpx.AsyncByteStream):
    """A response body read from aiohttp as it arrives; closing it returns or closes the connection."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response, self._request = response, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx(self._request, body=True):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # Read to its end: the connection goes back to the pool; else it is closed (never reused
        # with an unread remainder, and a cancelled stream's socket is closed at once).
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport whose connections are aiohttp's (one session, no cap on connections)."""

    def __init__(self, verify: ssl.SSLContext | bool = True) -> None:
        self._verify = verify
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, ssl=self._verify, keepalive_timeout=15.0)
            # No session timeout: every wait is bounded by the caller's own deadlines (§4). No cookie
            # jar: httpx's client keeps cookies as it does on its own pool, and aiohttp's would parse
            # every response's headers a second time.
            self._session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None),
                                                  auto_decompress=False, skip_auto_headers=("User-Agent",),
                                                  cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        data = await request.aread()
        with _as_httpx(request):
            response = await self._open().request(
                request.method, str(request.url), headers=request.headers.multi_items(), data=data or None,
                allow_redirects=False, compress=None,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout.get("connect"),
                                              connect=timeout.get("pool")))
        return httpx.Response(response.status, headers=response.raw_headers, stream=_Body(response, request),
                              request=request, extensions={"http_version": b"HTTP/1.1",
                                                           "reason_phrase": (response.reason or "").encode()})

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
