"""ProviderClient against the loopback fault server: connection faults, silence, cuts and stalls, each failing
within its budget (short budgets here)."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from faultserver import Close, FaultServer, Hang, HeadersThenSilence, Reset, Stream
from loopback import MARGIN, STALL, TTFT, fails, run

from tui.engine.config import ProviderConfig
from tui.engine.failures import FailureKind as K
from tui.engine.provider.client import ProviderClient


# -- connection-level faults ------------------------------------------------------------------

async def test_reset_before_headers(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Reset(), within=0.5)
    assert error.failure.kind is K.CONNECTION


async def test_closed_before_headers(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Close(), within=0.5)
    assert error.failure.kind is K.CONNECTION


async def test_refused(fault_server: FaultServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = ProviderClient(ProviderConfig("dead", f"http://127.0.0.1:{port}/v1"), env={})
    _, error, elapsed = await run(c, "m")
    assert error is not None and error.failure.kind is K.CONNECTION and elapsed < MARGIN
    await c.aclose()


async def test_connect_timeout_is_timeout() -> None:
    def refuse(_: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out")

    c = ProviderClient(ProviderConfig("x", "http://model.test/v1"), env={}, transport=httpx.MockTransport(refuse))
    _, error, _ = await run(c, "m")
    assert error is not None and error.failure.kind is K.TIMEOUT and "connect" in error.failure.detail
    await c.aclose()


async def test_accept_and_never_answer_times_out_at_ttft(client: ProviderClient, fault_server: FaultServer) -> None:
    start = time.monotonic()
    error = await fails(client, fault_server, Hang())
    assert error.failure.kind is K.TIMEOUT
    assert time.monotonic() - start >= TTFT * 0.9
    assert await fault_server.wait_connections(0)


async def test_headers_then_silence_times_out_at_ttft(client: ProviderClient, fault_server: FaultServer) -> None:
    start = time.monotonic()
    error = await fails(client, fault_server, HeadersThenSilence())
    assert error.failure.kind is K.TIMEOUT and time.monotonic() - start >= TTFT * 0.9
    assert await fault_server.wait_connections(0)


async def test_keepalive_forever_is_a_ttft_timeout(client: ProviderClient, fault_server: FaultServer) -> None:
    start = time.monotonic()
    error = await fails(client, fault_server, Stream(keepalive_forever=True))
    assert error.failure.kind is K.TIMEOUT and "keep-alive" in error.failure.detail
    assert time.monotonic() - start >= TTFT * 0.9
    assert await fault_server.wait_connections(0)


async def test_keepalive_comments_do_not_extend_ttft(client: ProviderClient, fault_server: FaultServer) -> None:
    # Comments every 0.1 s for 1 s, then tokens: the first token comes after ttft, so this is a timeout.
    error = await fails(client, fault_server, Stream(keepalive=10, keepalive_interval=0.1))
    assert error.failure.kind is K.TIMEOUT


async def test_role_only_chunk_is_not_a_first_token(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(after_role_delay=2.0))
    assert error.failure.kind is K.TIMEOUT


@pytest.mark.parametrize("chunked", [True, False])
async def test_cut_after_content_is_interrupted_with_partial(client: ProviderClient, fault_server: FaultServer,
                                                             chunked: bool) -> None:
    error = await fails(client, fault_server, Stream(tokens=5, cut_after=2, chunked=chunked), within=0.5)
    assert error.failure.kind is K.INTERRUPTED and error.partial == "tok0 tok1 "
    assert await fault_server.wait_connections(0)


async def test_cut_before_content_is_protocol(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(tokens=5, cut_after=0), within=0.5)
    assert error.failure.kind is K.PROTOCOL and "empty completion" in error.failure.detail


async def test_stall_after_content_is_interrupted(client: ProviderClient, fault_server: FaultServer) -> None:
    start = time.monotonic()
    error = await fails(client, fault_server, Stream(tokens=5, stall_after=2))
    assert error.failure.kind is K.INTERRUPTED and error.partial == "tok0 tok1 "
    assert time.monotonic() - start >= STALL * 0.9
    assert await fault_server.wait_connections(0)


async def test_keepalive_comments_do_not_extend_stall(client: ProviderClient, fault_server: FaultServer) -> None:
    start = time.monotonic()
    error = await fails(client, fault_server, Stream(tokens=3, stall_after=1, stall_comments=True))
    assert error.failure.kind is K.INTERRUPTED and error.partial == "tok0 "
    assert time.monotonic() - start >= STALL * 0.9


async def test_content_then_silence_without_finish_is_interrupted(client: ProviderClient,
                                                                  fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(tokens=["a"], finish_reason=None, usage=False, done=False,
                                                     hold_open=True))
    assert error.failure.kind is K.INTERRUPTED and error.partial == "a"


async def test_stream_ending_without_finish_or_done(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(tokens=2, finish_reason=None, done=False, usage=False))
    assert error.failure.kind is K.INTERRUPTED and error.partial == "tok0 tok1 "


async def test_empty_completion_is_protocol(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(tokens=0))
    assert error.failure.kind is K.PROTOCOL and "empty completion" in error.failure.detail


async def test_content_filter_with_nothing_is_content_policy(client: ProviderClient,
                                                             fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(tokens=0, finish_reason="content_filter"))
    assert error.failure.kind is K.CONTENT_POLICY


async def test_non_streaming_hang_and_stalled_body(client: ProviderClient, fault_server: FaultServer) -> None:
    assert (await fails(client, fault_server, Hang(), stream=False)).failure.kind is K.TIMEOUT
    error = await fails(client, fault_server, HeadersThenSilence(headers={"Content-Type": "application/json"}),
                        stream=False)
    assert error.failure.kind is K.INTERRUPTED
    assert await fault_server.wait_connections(0)
