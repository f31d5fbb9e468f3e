"""A wire that starts on httpx's pool and moves to aiohttp's once a crowd of requests is in flight.

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
from collections.abc import AsyncIterator, Mapping

from tui.engine.provider.wire import HttpxWire, Reply, Wire

log = logging.getLogger(__name__)

CROWD = 4  # requests in flight beyond which the wire moves to aiohttp's pool


class CrowdWire:
    """httpx's pool while at most CROWD requests are in flight; aiohttp's from the first time more are.

    A request is in flight from its send until its reply is closed. The move happens once: aiohttp
    is imported on a worker thread (the loop keeps serving on httpx's pool meanwhile), then every
    new request goes to aiohttp's pool; connections already open on httpx's drain and close.
    """

    def __init__(self, first: HttpxWire, verify: ssl.SSLContext | bool) -> None:
        self._first = first
        self._verify = verify
        self._fast: Wire | None = None
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
        self._loading = loop.run_in_executor(None, importlib.import_module, "tui.engine.provider.aiohttp_wire")
        self._loading.add_done_callback(self._loaded)

    def _loaded(self, future: asyncio.Future) -> None:
        if future.cancelled() or future.exception() is not None:
            log.debug("staying on httpx's pool: aiohttp could not be loaded (%s)", future.exception())
            return
        self._fast = future.result().AiohttpWire(self._verify)
        log.debug("more than %d requests in flight: moved to aiohttp's connection pool", CROWD)

    async def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                   connect_timeout: float) -> Reply:
        if self._fast is not None:
            return await self._fast.send(method, url, headers, body, connect_timeout)
        self._inflight += 1
        if self._inflight > CROWD:
            self._crowded()
        try:
            reply = await self._first.send(method, url, headers, body, connect_timeout)
        except BaseException:
            self._inflight -= 1
            raise
        return _Counted(reply, self)

    async def aclose(self) -> None:
        if self._loading is not None and not self._loading.done():
            await asyncio.shield(self._loading)
        await self._first.aclose()
        if self._fast is not None:
            await self._fast.aclose()


class _Counted:
    """A reply that tells its CrowdWire when it is closed (the request is no longer in flight)."""

    __slots__ = ("_inner", "_open", "_owner", "headers", "status_code")

    def __init__(self, inner: Reply, owner: CrowdWire) -> None:
        self._inner, self._owner, self._open = inner, owner, True
        self.status_code, self.headers = inner.status_code, inner.headers

    def chunks(self) -> AsyncIterator[bytes]:
        return self._inner.chunks()

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._owner._inflight -= 1
        await self._inner.aclose()
