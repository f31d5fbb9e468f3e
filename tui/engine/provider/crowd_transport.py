"""A transport that starts on httpx's pool and moves to aiohttp's once a crowd of requests is in flight.

Why (benchmarks/transports.py, README Performance): httpx's own pool serves one request at a time
well but loses most of its throughput as requests in flight grow, where aiohttp's keeps it; and
aiohttp's import costs a one-shot process more than its pool would save. So a process that never
has more than CROWD requests in flight never imports aiohttp.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import ssl
from collections.abc import AsyncIterator

import httpx

log = logging.getLogger(__name__)

CROWD = 4  # requests in flight beyond which the transport moves to aiohttp's pool


class CrowdTransport(httpx.AsyncBaseTransport):
    """httpx's pool while at most CROWD requests are in flight; aiohttp's from the first time more are.

    A request is in flight from its send until its body is closed. The move happens once: aiohttp
    is imported on a worker thread (the loop keeps serving on httpx's pool meanwhile), then every
    new request goes to aiohttp's pool; connections already open on httpx's drain and close.
    """

    def __init__(self, first: httpx.AsyncBaseTransport, verify: ssl.SSLContext | bool) -> None:
        self._first = first
        self._verify = verify
        self._fast: httpx.AsyncBaseTransport | None = None
        self._loading: asyncio.Future | None = None
        self._inflight = 0

    @property
    def moved(self) -> bool:
        """True once requests go to aiohttp's pool."""
        return self._fast is not None

    def _crowded(self) -> None:
        if self._loading is not None:
            return
        loop = asyncio.get_running_loop()
        self._loading = loop.run_in_executor(None, importlib.import_module, "tui.engine.provider.aiohttp_transport")
        self._loading.add_done_callback(self._loaded)

    def _loaded(self, future: asyncio.Future) -> None:
        if future.cancelled() or future.exception() is not None:
            log.debug("staying on httpx's pool: aiohttp could not be loaded (%s)", future.exception())
            return
        self._fast = future.result().AiohttpTransport(self._verify)
        log.debug("more than %d requests in flight: moved to aiohttp's connection pool", CROWD)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._fast is not None:
            return await self._fast.handle_async_request(request)
        self._inflight += 1
        if self._inflight > CROWD:
            self._crowded()
        try:
            response = await self._first.handle_async_request(request)
        except BaseException:
            self._inflight -= 1
            raise
        response.stream = _Counted(response.stream, self)
        return response

    async def aclose(self) -> None:
        if self._loading is not None and not self._loading.done():
            await asyncio.shield(self._loading)
        await self._first.aclose()
        if self._fast is not None:
            await self._fast.aclose()


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its CrowdTransport when it is closed (the request is no longer in flight)."""

    def __init__(self, inner: httpx.AsyncByteStream, owner: CrowdTransport) -> None:
        self._inner, self._owner, self._open = inner, owner, True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._owner._inflight -= 1
        await self._inner.aclose()
