"""The engine's HTTP transports on a real loopback server: aiohttp's pool under httpx's API keeps httpx's
exception types (so every failure kind is classified as on httpx's pool), and the crowd transport
moves to aiohttp's pool only once more than a few requests are in flight."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from faultserver import Close, FaultServer, Reset, Stream

from tui.engine.failures import FailureKind
from tui.engine.provider import http_client
from tui.engine.provider.aiohttp_transport import AiohttpTransport
from tui.engine.provider.crowd_transport import CROWD, CrowdTransport
from tui.engine.provider.transport_errors import classify_exception

BODY = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}


async def stream_text(client: httpx.AsyncClient, url: str) -> bytes:
    async with client.stream("POST", url + "/chat/completions", json=BODY) as response:
        return b"".join([chunk async for chunk in response.aiter_raw()])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_aiohttp_transport_streams_and_reuses_its_connection(fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["a", "b"]))
    async with httpx.AsyncClient(transport=AiohttpTransport(False)) as client:
        first = await stream_text(client, fault_server.base_url)
        second = await stream_text(client, fault_server.base_url)
    assert first == second and b'"content": "a"' in first and first.endswith(b"data: [DONE]\n\n")
    assert fault_server.connections_total == 1  # the second request went on the pooled connection


@pytest.mark.parametrize(("behaviour", "kind"), [(Reset(), FailureKind.CONNECTION),
                                                 (Close(), FailureKind.CONNECTION)])
async def test_aiohttp_failures_before_the_response_classify_as_on_httpx(fault_server: FaultServer, behaviour,
                                                                         kind: FailureKind) -> None:
    fault_server.script("m", behaviour)
    kinds = []
    for transport in (httpx.AsyncHTTPTransport(), AiohttpTransport(False)):
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(httpx.TransportError) as raised:
                await stream_text(client, fault_server.base_url)
        kinds.append(classify_exception(raised.value).kind)
    assert kinds == [kind, kind]


async def test_aiohttp_refused_connection_and_cut_body() -> None:
    async with httpx.AsyncClient(transport=AiohttpTransport(False)) as client:
        with pytest.raises(httpx.ConnectError) as refused:
            await stream_text(client, f"http://127.0.0.1:{free_port()}/v1")
    assert classify_exception(refused.value).kind is FailureKind.CONNECTION
    async with FaultServer() as server, httpx.AsyncClient(transport=AiohttpTransport(False)) as client:
        server.script("m", Stream(tokens=["a", "b", "c"], cut_after=1))
        with pytest.raises(httpx.RemoteProtocolError, match="cut short"):
            await stream_text(client, server.base_url)


async def test_crowd_transport_moves_to_aiohttp_only_past_a_crowd(fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["a", "b"], delay=0.05))
    transport = CrowdTransport(httpx.AsyncHTTPTransport(), False)
    async with httpx.AsyncClient(transport=transport) as client:
        for _ in range(CROWD + 2):  # one at a time: never a crowd
            await stream_text(client, fault_server.base_url)
        assert not transport.moved
        await asyncio.gather(*(stream_text(client, fault_server.base_url) for _ in range(CROWD + 1)))
        for _ in range(50):  # aiohttp is imported on a worker thread
            if transport.moved:
                break
            await asyncio.sleep(0.02)
        assert transport.moved
        before = fault_server.connections_total
        answers = await asyncio.gather(*(stream_text(client, fault_server.base_url) for _ in range(3)))
        assert all(a.endswith(b"data: [DONE]\n\n") for a in answers)
        assert fault_server.connections_total > before  # new connections: aiohttp's pool, not httpx's
    assert await fault_server.wait_connections(0)


@pytest.mark.parametrize(("choice", "expected"), [("httpx", None), ("aiohttp", AiohttpTransport),
                                                  ("auto", CrowdTransport), ("nonsense", CrowdTransport)])
async def test_the_transport_follows_the_environment(monkeypatch, choice: str, expected: type | None) -> None:
    monkeypatch.setenv("MODELFALLBACK_HTTP", choice)
    client = http_client.make_http_client(None, False)
    try:
        transport = client._transport
        if expected is None:
            assert isinstance(transport, httpx.AsyncHTTPTransport)
        else:
            assert isinstance(transport, expected)
    finally:
        await client.aclose()


async def test_an_injected_transport_is_used_as_it_is(monkeypatch) -> None:
    monkeypatch.setenv("MODELFALLBACK_HTTP", "aiohttp")
    injected = httpx.MockTransport(lambda request: httpx.Response(204))
    client = http_client.make_http_client(injected, False)
    try:
        assert client._transport is injected
    finally:
        await client.aclose()


@pytest.mark.parametrize("cookies", [{}, {"lb": "node-7"}])
async def test_a_request_is_built_as_the_clients_build_request_builds_it(cookies: dict[str, str]) -> None:
    """`RequestMaker` skips the per-request work that repeats (URL parsing, header merging), not
    anything that goes on the wire: same method, URL, headers (in order) and body, with or without
    a cookie in the jar; twice, so the remembered URL and headers are checked too."""
    client = http_client.make_http_client(httpx.MockTransport(lambda request: httpx.Response(204)), False)
    for name, value in cookies.items():
        client.cookies.set(name, value, domain="127.0.0.1")
    maker = http_client.RequestMaker(client)
    url = "http://127.0.0.1:9/v1/chat/completions"
    headers = {"User-Agent": "modelfallback/0.1", "Accept": "text/event-stream", "Authorization": "Bearer k"}
    timeout = httpx.Timeout(None, connect=3.0, pool=3.0)
    try:
        for _ in range(2):
            ours = maker.build("POST", url, headers, BODY, timeout)
            theirs = client.build_request("POST", url, json=BODY, headers=headers, timeout=timeout)
            assert (ours.method, ours.url, ours.headers.raw, ours.content, ours.extensions) == \
                (theirs.method, theirs.url, theirs.headers.raw, theirs.content, theirs.extensions)
        assert ("cookie" in ours.headers) == bool(cookies)
    finally:
        await client.aclose()
