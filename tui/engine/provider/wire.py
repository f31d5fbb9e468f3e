"""The wire under the provider client: send one request, get its status, headers and body chunks.

The provider client speaks only this small interface, so the bytes can travel on whichever HTTP
stack measures best for the run (benchmarks/transports.py, README Performance):

- `HttpxWire`: an `httpx.AsyncClient` (its own pool, or an injected transport: the simulator, a
  test's mock). httpx's pool serves one request at a time well and imports fast.
- `AiohttpWire` (provider/aiohttp_wire.py): aiohttp's session straight, with no httpx request
  and response objects in between. aiohttp's pool keeps its throughput with many requests in
  flight, where httpx's loses most of it; a server (`serve`) starts on it.
- `CrowdWire` (provider/crowd_wire.py): httpx until more than a few requests are in flight, then
  aiohttp (imported on a worker thread meanwhile); a one-shot `chat` never pays aiohttp's import.

Every wire raises the exceptions `transport_errors.classify_exception` knows (httpx's types), so
a failure is one kind whatever the wire. `MODELFALLBACK_HTTP` chooses (`wire_choice.make_wire`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Protocol

from tui.engine.provider.http_client import RequestMaker

if TYPE_CHECKING:
    import httpx


class Reply(Protocol):
    """A response whose headers have arrived; its body is read with `chunks()` and released with `aclose()`."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (decoded when it was content-encoded); call once."""
        ...

    async def aclose(self) -> None:
        """Give the connection back to the pool when the body was read to its end, else close it."""
        ...


class Wire(Protocol):
    """One provider's connections."""

    async def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                   connect_timeout: float) -> Reply:
        """Send and wait for the response's headers (the caller bounds the wait with its own deadline)."""
        ...

    async def aclose(self) -> None:
        ...


class HttpxReply:
    """An `httpx.Response` opened with `stream=True`."""

    __slots__ = ("_response", "headers", "status_code")

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers = response.headers

    def chunks(self) -> AsyncIterator[bytes]:
        """Not content-encoded (the usual case): `aiter_raw`, the very bytes `aiter_bytes` would give
        (its decoder is then the identity), one generator layer fewer on every network chunk; else
        `aiter_bytes`, which decodes (and serves a body already read, as a mock transport's is)."""
        response = self._response
        if "content-encoding" in response.headers or response.is_stream_consumed:
            return response.aiter_bytes()
        return response.aiter_raw()

    async def aclose(self) -> None:
        await self._response.aclose()


class HttpxWire:
    """Requests through one pooled `httpx.AsyncClient`."""

    def __init__(self, client: httpx.AsyncClient) -> None:

        self.client = client
        self._requests = RequestMaker(client)
        self._timeouts: dict[float, httpx.Timeout] = {}  # by connect timeout: one object, not one per request

    async def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                   connect_timeout: float) -> HttpxReply:
        timeout = self._timeouts.get(connect_timeout)
        if timeout is None:
            import httpx

            timeout = self._timeouts[connect_timeout] = httpx.Timeout(None, connect=connect_timeout,
                                                                      pool=connect_timeout)
        request = self._requests.build(method, url, headers, body, timeout)
        return HttpxReply(await self.client.send(request, stream=True))

    async def aclose(self) -> None:
        await self.client.aclose()
