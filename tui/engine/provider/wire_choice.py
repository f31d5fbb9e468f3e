"""Which wire a provider's client stands on (provider/wire.py says what each one is for)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.engine.provider.http_client import aiohttp_available, make_http_client, transport_choice
from tui.engine.provider.wire import HttpxWire, Wire

if TYPE_CHECKING:
    import ssl

    import httpx


def make_wire(transport: httpx.AsyncBaseTransport | None, verify: ssl.SSLContext | bool, *,
              choice: str | None = None) -> Wire:
    """The wire for one provider: an injected transport is used as it is (on httpx); else `choice`
    (`httpx`, `aiohttp` or `auto`; None: `transport_choice()`), aiohttp only when it is installed."""
    if transport is not None:
        return HttpxWire(make_http_client(transport, verify))
    choice = choice or transport_choice()
    if choice == "httpx" or not aiohttp_available():
        return HttpxWire(make_http_client(None, verify))
    if choice == "aiohttp":
        from tui.engine.provider.aiohttp_wire import AiohttpWire

        return AiohttpWire(verify)
    from tui.engine.provider.crowd_wire import CrowdWire

    return CrowdWire(HttpxWire(make_http_client(None, verify)), verify)
