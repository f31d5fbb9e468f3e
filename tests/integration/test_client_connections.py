"""ProviderClient against the loopback fault server: one connection reused, and closed when the consumer
stops reading or is cancelled."""

from __future__ import annotations

import asyncio

import pytest
from faultserver import FaultServer, Stream, completion
from loopback import KEY, POLICY, ROOMY, request, run

from tui.engine.config import Policy
from tui.engine.provider.client import Delta, ProviderClient


async def test_connections_are_reused(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=2))
    for _ in range(3):
        _, error, _ = await run(client, "m", policy=ROOMY)
        assert error is None
    fault_server.script("n", completion("hi"))
    assert (await run(client, "n", stream=False, policy=ROOMY))[1] is None
    assert fault_server.connections_total == 1


async def test_consumer_abort_closes_the_connection(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=50, delay=0.05))
    stream = client.chat("m", request(), POLICY)
    first = await anext(stream)
    assert first == Delta("tok0 ")
    await stream.aclose()
    assert await fault_server.wait_connections(0, timeout=1.0)


async def test_cancellation_closes_the_connection(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=2, stall_after=1))
    got_token = asyncio.Event()

    async def consume() -> None:
        async for _ in client.chat("m", request(), Policy(ttft_timeout=5, stall_timeout=5)):
            got_token.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_token.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await fault_server.wait_connections(0, timeout=1.0)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_cookie_the_provider_sets_goes_back_with_the_next_request(monkeypatch, fault_server: FaultServer,
                                                                          transport: str) -> None:
    """The client keeps httpx's cookie jar (a load balancer's stickiness cookie, say) on either pool,
    while a response that sets no cookie leaves the jar as it was."""
    from tui.engine.config import ProviderConfig

    monkeypatch.setenv("MODELFALLBACK_HTTP", transport)
    client = ProviderClient(ProviderConfig("loop", fault_server.base_url, "LOOP_KEY"), env={"LOOP_KEY": KEY})
    try:
        fault_server.script("m", Stream(tokens=1))
        assert (await run(client, "m", policy=ROOMY))[1] is None
        fault_server.script("set", Stream(tokens=1, headers={"Set-Cookie": "lb=node-7; Path=/"}))
        assert (await run(client, "set", policy=ROOMY))[1] is None
        fault_server.script("m", Stream(tokens=1))
        assert (await run(client, "m", policy=ROOMY))[1] is None
        assert (await run(client, "m", policy=ROOMY))[1] is None
    finally:
        await client.aclose()
    sent = [r.headers.get("cookie") for r in fault_server.requests]
    assert sent == [None, None, "lb=node-7", "lb=node-7"]
