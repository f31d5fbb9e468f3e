"""The engine's wires on a real loopback server: aiohttp's session straight raises httpx's exception
types (so every failure kind is classified as on httpx's pool), and the crowd wire moves to
aiohttp's pool only once more than a few requests are in flight."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from faultserver import Close, FaultServer, Reset, Stream

from tui.engine.failures import FailureKind
from tui.engine.provider import http_client
from tui.engine.provider.aiohttp_wire import AiohttpWire
from tui.engine.provider.crowd_wire import CROWD, CrowdWire
from tui.engine.provider.transport_errors import classify_exception
from tui.engine.provider.wire import HttpxWire, Wire
from tui.engine.provider.wire_choice import make_wire

BODY = http_client.encode_json({"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
HEADERS = {"Content-Type": "application/json", "Accept": "text/event-stream"}


async def stream_text(wire: Wire, url: str) -> bytes:
    reply = await wire.send("POST", url + "/chat/completions", HEADERS, BODY, 5.0)
    try:
        return b"".join([chunk async for chunk in reply.chunks()])
    finally:
        await reply.aclose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wires() -> list[Wire]:
    return [HttpxWire(http_client.make_http_client(None, False)), AiohttpWire(False)]


async def test_both_wires_stream_the_same_bytes_and_reuse_their_connection(fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["a", "b"]))
    answers = []
    for wire in wires():
        before = fault_server.connections_total
        try:
            first = await stream_text(wire, fault_server.base_url)
            second = await stream_text(wire, fault_server.base_url)
        finally:
            await wire.aclose()
        assert first == second and b'"content": "a"' in first and first.endswith(b"data: [DONE]\n\n")
        assert fault_server.connections_total == before + 1  # the second request went on the pooled connection
        answers.append(first)
    assert answers[0] == answers[1]


async def test_both_wires_send_the_same_request(fault_server: FaultServer) -> None:
    """Method, path, body and the headers the engine sets arrive the same on either wire."""
    fault_server.script("m", Stream(tokens=["a"]))
    for wire in wires():
        try:
            await stream_text(wire, fault_server.base_url)
        finally:
            await wire.aclose()
    httpx_seen, aiohttp_seen = fault_server.requests[-2:]
    assert (httpx_seen.method, httpx_seen.path, httpx_seen.body) == (aiohttp_seen.method, aiohttp_seen.path, BODY)
    for name in ("content-type", "accept", "content-length"):
        assert httpx_seen.headers.get(name) == aiohttp_seen.headers.get(name), name


@pytest.mark.parametrize(("behaviour", "kind"), [(Reset(), FailureKind.CONNECTION),
                                                 (Close(), FailureKind.CONNECTION)])
async def test_aiohttp_failures_before_the_response_classify_as_on_httpx(fault_server: FaultServer, behaviour,
                                                                         kind: FailureKind) -> None:
    fault_server.script("m", behaviour)
    kinds = []
    for wire in wires():
        try:
            with pytest.raises(httpx.TransportError) as raised:
                await stream_text(wire, fault_server.base_url)
        finally:
            await wire.aclose()
        kinds.append(classify_exception(raised.value).kind)
    assert kinds == [kind, kind]


async def test_aiohttp_refused_connection_and_cut_body() -> None:
    wire = AiohttpWire(False)
    try:
        with pytest.raises(httpx.ConnectError) as refused:
            await stream_text(wire, f"http://127.0.0.1:{free_port()}/v1")
    finally:
        await wire.aclose()
    assert classify_exception(refused.value).kind is FailureKind.CONNECTION
    wire = AiohttpWire(False)
    async with FaultServer() as server:
        server.script("m", Stream(tokens=["a", "b", "c"], cut_after=1))
        try:
            with pytest.raises(httpx.RemoteProtocolError, match="cut short"):
                await stream_text(wire, server.base_url)
        finally:
            await wire.aclose()
        assert await server.wait_connections(0)


async def test_crowd_wire_moves_to_aiohttp_only_past_a_crowd(fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["a", "b"], delay=0.05))
    wire = CrowdWire(HttpxWire(http_client.make_http_client(None, False)), False)
    try:
        for _ in range(CROWD + 2):  # one at a time: never a crowd
            await stream_text(wire, fault_server.base_url)
        assert not wire.moved
        await asyncio.gather(*(stream_text(wire, fault_server.base_url) for _ in range(CROWD + 1)))
        for _ in range(50):  # aiohttp is imported on a worker thread
            if wire.moved:
                break
            await asyncio.sleep(0.02)
        assert wire.moved
        before = fault_server.connections_total
        answers = await asyncio.gather(*(stream_text(wire, fault_server.base_url) for _ in range(3)))
        assert all(a.endswith(b"data: [DONE]\n\n") for a in answers)
        assert fault_server.connections_total > before  # new connections: aiohttp's pool, not httpx's
    finally:
        await wire.aclose()
    assert await fault_server.wait_connections(0)


@pytest.mark.parametrize(("choice", "expected"), [("httpx", HttpxWire), ("aiohttp", AiohttpWire),
                                                  ("auto", CrowdWire), ("nonsense", CrowdWire)])
async def test_the_wire_follows_the_environment(monkeypatch, choice: str, expected: type) -> None:
    monkeypatch.setenv("MODELFALLBACK_HTTP", choice)
    wire = make_wire(None, False)
    try:
        assert type(wire) is expected
    finally:
        await wire.aclose()


async def test_an_injected_transport_is_used_as_it_is(monkeypatch) -> None:
    monkeypatch.setenv("MODELFALLBACK_HTTP", "aiohttp")
    injected = httpx.MockTransport(lambda request: httpx.Response(204))
    wire = make_wire(injected, False)
    try:
        assert isinstance(wire, HttpxWire) and wire.client._transport is injected
    finally:
        await wire.aclose()


@pytest.mark.parametrize("cookies", [{}, {"lb": "node-7"}])
async def test_a_request_is_built_as_the_clients_build_request_builds_it(cookies: dict[str, str]) -> None:
    """`RequestMaker` skips the per-request work that repeats (URL parsing, header merging), not
    anything that goes on the wire: same method, URL, headers (in order) and body, with or without
    a cookie in the jar; twice, so the remembered URL and headers are checked too; and the body is
    the bytes httpx's own `json=` makes."""
    client = http_client.make_http_client(httpx.MockTransport(lambda request: httpx.Response(204)), False)
    for name, value in cookies.items():
        client.cookies.set(name, value, domain="127.0.0.1")
    maker = http_client.RequestMaker(client)
    url = "http://127.0.0.1:9/v1/chat/completions"
    headers = {"User-Agent": "modelfallback/0.1", "Accept": "text/event-stream", "Authorization": "Bearer k",
               "Content-Type": "application/json"}
    timeout = httpx.Timeout(None, connect=3.0, pool=3.0)
    body = {"model": "m", "messages": [{"role": "user", "content": "héllo ✓"}], "temperature": 0.5}
    try:
        for _ in range(2):
            ours = maker.build("POST", url, headers, http_client.encode_json(body), timeout)
            theirs = client.build_request("POST", url, content=http_client.encode_json(body), headers=headers,
                                          timeout=timeout)
            assert (ours.method, ours.url, ours.headers.raw, ours.content, ours.extensions) == \
                (theirs.method, theirs.url, theirs.headers.raw, theirs.content, theirs.extensions)
        assert ("cookie" in ours.headers) == bool(cookies)
        assert ours.content == client.build_request("POST", url, json=body).content
    finally:
        await client.aclose()


@pytest.mark.parametrize("choice", ["httpx", "aiohttp"])
@pytest.mark.parametrize("headers, params", [({"X-Note": "café"}, {}), ({}, {"temperature": float("nan")})])
async def test_a_request_that_cannot_be_encoded_is_ours_and_never_sent(monkeypatch, fault_server: FaultServer,
                                                                     choice: str, headers: dict, params: dict) -> None:
    """A header that is not ASCII or a body that is not JSON (NaN) is a RequestError on either wire
    (no model is blamed) and nothing reaches the provider."""
    from tui.engine.config import Policy, ProviderConfig
    from tui.engine.events import ChatMessage, ChatRequest
    from tui.engine.failures import RequestError
    from tui.engine.provider.client import ProviderClient

    monkeypatch.setenv("MODELFALLBACK_HTTP", choice)
    fault_server.script("m", Stream(tokens=["a"]))
    client = ProviderClient(ProviderConfig("loop", fault_server.base_url, headers=headers), env={})
    request = ChatRequest([ChatMessage("user", "hi")], stream=True, **params)
    try:
        with pytest.raises(RequestError, match="could not be encoded"):
            async for _ in client.chat("m", request, Policy(connect_timeout=5, ttft_timeout=5, stall_timeout=5)):
                pass
    finally:
        await client.aclose()
    assert fault_server.requests == []


@pytest.mark.parametrize("choice", ["httpx", "aiohttp"])
async def test_the_environments_proxy_is_followed_on_either_wire(monkeypatch, fault_server: FaultServer,
                                                                 choice: str) -> None:
    """HTTP_PROXY set: the request goes to the proxy (in absolute form), on aiohttp's session as on
    httpx's client; NO_PROXY naming the host sends it straight."""
    from tui.engine.config import Policy, ProviderConfig
    from tui.engine.events import ChatMessage, ChatRequest
    from tui.engine.provider.client import ProviderClient

    monkeypatch.setenv("MODELFALLBACK_HTTP", choice)
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    policy = Policy(connect_timeout=5, ttft_timeout=5, stall_timeout=5)
    request = ChatRequest([ChatMessage("user", "hi")], stream=True)
    provider = "http://provider.invalid:9/v1"  # never resolved: only the proxy is asked
    async with FaultServer() as proxy:
        proxy.script("m", Stream(tokens=["via proxy"]))
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        client = ProviderClient(ProviderConfig("loop", provider), env={})
        try:
            text = "".join([getattr(item, "text", "") async for item in client.chat("m", request, policy)])
        finally:
            await client.aclose()
        assert text == "via proxy"
        assert [r.path for r in proxy.requests] == [f"{provider}/chat/completions"]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        fault_server.script("m", Stream(tokens=["straight"]))
        client = ProviderClient(ProviderConfig("loop", fault_server.base_url), env={})
        try:
            text = "".join([getattr(item, "text", "") async for item in client.chat("m", request, policy)])
        finally:
            await client.aclose()
        assert text == "straight" and len(proxy.requests) == 1
