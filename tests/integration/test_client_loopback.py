"""ProviderClient against the real HTTP fault server on 127.0.0.1: every fault, with short budgets."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from faultserver import (Close, FaultServer, Hang, HeadersThenSilence, Json, Redirect, Reset, Stream, completion,
                         error_json)

from tui.engine.provider.client import Delta, Done, ProviderClient
from tui.engine.config import Policy, ProviderConfig
from tui.engine.events import ChatMessage, ChatRequest, Usage
from tui.engine.failures import FailureKind as K
from tui.engine.failures import ProviderError

KEY = "sk-test-loopback-0123456789"
TTFT = STALL = 0.5
MARGIN = 1.0  # generous: the budget plus this is the most a call may take
POLICY = Policy(connect_timeout=0.5, ttft_timeout=TTFT, stall_timeout=STALL)


@pytest.fixture
async def client(fault_server: FaultServer) -> AsyncIterator[ProviderClient]:
    provider = ProviderConfig("loop", fault_server.base_url, "LOOP_KEY", headers={"X-Title": "modelfallback"})
    c = ProviderClient(provider, env={"LOOP_KEY": KEY})
    yield c
    await c.aclose()


def request(stream: bool = True, **kw: object) -> ChatRequest:
    return ChatRequest([ChatMessage("user", "hi")], stream=stream, **kw)  # type: ignore[arg-type]


async def run(client: ProviderClient, model: str, *, stream: bool = True,
              policy: Policy = POLICY) -> tuple[list[Delta | Done], ProviderError | None, float]:
    """Drain one chat; (events, error or None, elapsed seconds)."""
    events: list[Delta | Done] = []
    start = time.monotonic()
    try:
        async for event in client.chat(model, request(stream), policy):
            events.append(event)
    except ProviderError as exc:
        return events, exc, time.monotonic() - start
    return events, None, time.monotonic() - start


def text(events: list[Delta | Done]) -> str:
    return "".join(e.text for e in events if isinstance(e, Delta) and not e.reasoning)


async def fails(client: ProviderClient, server: FaultServer, behaviour: object, *, stream: bool = True,
                within: float = MARGIN) -> ProviderError:
    server.script("m", behaviour)  # type: ignore[arg-type]
    events, error, elapsed = await run(client, "m", stream=stream)
    assert error is not None, f"expected a failure, got {events}"
    assert not any(isinstance(e, Done) for e in events), "a failed answer must never end in Done"
    assert elapsed < within, f"took {elapsed:.2f}s"
    assert KEY not in str(error) and KEY not in error.failure.detail
    return error


# -- healthy ---------------------------------------------------------------------------------

async def test_healthy_stream_and_what_was_sent(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["Hel", "lo"], model="provider/actual"))
    req = ChatRequest([ChatMessage("system", "be brief"), ChatMessage("user", "hi")], max_tokens=50,
                      extra={"temperature": 0.2, "model": "ignored"})
    events = [e async for e in client.chat("m", req, POLICY)]
    assert text(events) == "Hello"
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == "stop" and done.reported_model == "provider/actual"
    assert done.usage is not None and done.usage.completion_tokens == 2
    sent = fault_server.requests[-1]
    assert sent.method == "POST" and sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["x-title"] == "modelfallback"
    assert sent.json == {"model": "m", "stream": True, "stream_options": {"include_usage": True}, "max_tokens": 50,
                         "temperature": 0.2, "messages": [{"role": "system", "content": "be brief"},
                                                          {"role": "user", "content": "hi"}]}


async def test_connections_are_reused(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=2))
    for _ in range(3):
        _, error, _ = await run(client, "m")
        assert error is None
    fault_server.script("n", completion("hi"))
    assert (await run(client, "n", stream=False))[1] is None
    assert fault_server.connections_total == 1


async def test_no_key_needed_sends_no_authorization(fault_server: FaultServer) -> None:
    c = ProviderClient(ProviderConfig("ollama", fault_server.base_url), env={})
    fault_server.script("m", Stream(tokens=1))
    assert c.has_key() and c.key_fingerprint() is None
    assert [e async for e in c.chat("m", request(), POLICY)][-1] == Done("stop", Usage(5, 1, 6, 0.0001), "m")
    assert "authorization" not in fault_server.requests[-1].headers
    await c.aclose()


async def test_missing_key_fails_as_auth_without_a_request(fault_server: FaultServer) -> None:
    c = ProviderClient(ProviderConfig("or", fault_server.base_url, "MISSING_KEY"), env={"MISSING_KEY": " "})
    assert not c.has_key()
    with pytest.raises(ProviderError) as info:
        [e async for e in c.chat("m", request(), POLICY)]
    assert info.value.failure.kind is K.AUTH and "MISSING_KEY" in info.value.failure.detail
    assert fault_server.requests == []
    await c.aclose()


def test_key_fingerprint_changes_with_the_key() -> None:
    provider = ProviderConfig("or", "http://127.0.0.1:9/v1", "K")
    a, b = ProviderClient(provider, env={"K": "key-one-123"}), ProviderClient(provider, env={"K": "key-two-123"})
    assert a.key_fingerprint() and len(a.key_fingerprint() or "") == 12
    assert a.key_fingerprint() != b.key_fingerprint()
    assert "key-one-123" not in (a.key_fingerprint() or "")


async def test_keepalive_comments_then_tokens(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(keepalive=3, tokens=["a", "b"]))
    events, error, _ = await run(client, "m")
    assert error is None and text(events) == "ab"


async def test_slow_tokens_within_stall_budget_may_exceed_ttft_in_total(client: ProviderClient,
                                                                       fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=4, delay=0.2))  # 0.8 s in total > ttft 0.5 s
    events, error, _ = await run(client, "m")
    assert error is None and text(events) == "tok0 tok1 tok2 tok3 "


async def test_reasoning_counts_as_first_token(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(reasoning=["think", "more", "done"], tokens=["answer"], delay=0.25,
                                    reasoning_field="reasoning_content"))
    events, error, _ = await run(client, "m")
    assert error is None
    assert [e.text for e in events if isinstance(e, Delta) and e.reasoning] == ["think", "more", "done"]
    assert text(events) == "answer"


async def test_fragmented_crlf_stream_without_usage(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["h\u00e9", "\u20ac\U0001F600", "!"], fragment=True, crlf=True,
                                    usage=False))
    events, error, _ = await run(client, "m")
    assert error is None and text(events) == "h\u00e9\u20ac\U0001F600!"
    assert isinstance(events[-1], Done) and events[-1].usage is None


async def test_finish_without_done_finishes_promptly(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(done=False, chunked=False))
    events, error, elapsed = await run(client, "m")
    assert error is None and isinstance(events[-1], Done) and elapsed < 0.3
    # ... even when the server then holds the connection open:
    fault_server.script("m", Stream(done=False, usage=False, hold_open=True))
    events, error, elapsed = await run(client, "m")
    assert error is None and isinstance(events[-1], Done) and elapsed < STALL + 0.3


async def test_done_then_held_open_finishes_promptly(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(hold_open=True))
    events, error, elapsed = await run(client, "m")
    assert error is None and isinstance(events[-1], Done) and elapsed < 0.4
    assert await fault_server.wait_connections(0)


async def test_one_malformed_line_is_skipped_and_logged(client: ProviderClient, fault_server: FaultServer,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    fault_server.script("m", Stream(tokens=3, bad_after=1))
    with caplog.at_level(logging.WARNING, logger="modelfallback.client"):
        events, error, _ = await run(client, "m")
    assert error is None and text(events) == "tok0 tok1 tok2 "
    assert any("unparseable" in r.getMessage() for r in caplog.records)


async def test_non_streaming_answer(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", completion("Hello there", reasoning="hmm", model="prov/x"))
    events, error, _ = await run(client, "m", stream=False)
    assert error is None
    assert events[:2] == [Delta("hmm", reasoning=True), Delta("Hello there")]
    assert isinstance(events[2], Done) and events[2].reported_model == "prov/x"
    assert fault_server.requests[-1].json["stream"] is False
    assert "stream_options" not in fault_server.requests[-1].json


async def test_stream_requested_but_json_answered(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", completion("plain"))
    events, error, _ = await run(client, "m")
    assert error is None and text(events) == "plain"


async def test_list_models(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("/v1/models", Json(200, {"data": [{"id": "a/b"}, {"id": "c"}, {"x": 1}]}))
    assert await client.list_models(timeout=1.0) == ["a/b", "c"]
    assert fault_server.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    fault_server.script("/v1/models", Hang())
    start = time.monotonic()
    with pytest.raises(ProviderError) as info:
        await client.list_models(timeout=0.3)
    assert info.value.failure.kind is K.TIMEOUT and time.monotonic() - start < 0.3 + MARGIN
    fault_server.script("/v1/models", error_json(401, "bad key"))
    with pytest.raises(ProviderError) as info:
        await client.list_models(timeout=1.0)
    assert info.value.failure.kind is K.AUTH


# -- error statuses ---------------------------------------------------------------------------

@pytest.mark.parametrize(("behaviour", "kind"), [
    (error_json(429, "Rate limit exceeded", headers={"Retry-After": "2"}), K.RATE_LIMITED),
    (error_json(503, "No endpoints found that support the requested parameters"), K.UNAVAILABLE),
    (error_json(500, "Internal Server Error"), K.SERVER_ERROR),
    (error_json(401, "No auth credentials found"), K.AUTH),
    (Json(404, {"error": "model 'llama9' not found"}), K.NOT_FOUND),
    (error_json(402, "Insufficient credits"), K.QUOTA),
    (error_json(400, "This model's maximum context length is 8192 tokens", code="context_length_exceeded",
                type="invalid_request_error"), K.CONTEXT_LENGTH),
    (error_json(403, "flagged", metadata={"reasons": ["violence"], "flagged_input": "x"}), K.CONTENT_POLICY),
    (Json(200, {"error": {"code": 502, "message": "Provider returned error"}}), K.UNAVAILABLE),
    (Json(200, "not json at all", content_type="application/json"), K.PROTOCOL),
    (Json(200, {"id": "x", "choices": []}), K.PROTOCOL),
    (Json(200, {"choices": [{"message": {"role": "assistant", "content": ""}, "finish_reason": "stop"}]}),
     K.PROTOCOL),
    (Json(502, "<html><title>502 Bad Gateway</title></html>", content_type="text/html"), K.UNAVAILABLE),
])
@pytest.mark.parametrize("stream", [True, False])
async def test_error_responses(client: ProviderClient, fault_server: FaultServer, behaviour: Json, kind: K,
                               stream: bool) -> None:
    error = await fails(client, fault_server, behaviour, stream=stream)
    assert error.failure.kind is kind, error.failure
    assert error.partial == ""


async def test_retry_after_is_carried(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, error_json(429, "slow down", headers={"Retry-After": "2"}))
    assert (error.failure.status, error.failure.retry_after_s) == (429, 2.0)


async def test_key_echoed_in_error_is_redacted(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, error_json(401, f"Invalid API key: {KEY} (header: Bearer {KEY})"))
    assert error.failure.kind is K.AUTH and "***" in error.failure.detail


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


# -- in-stream errors -------------------------------------------------------------------------

async def test_openrouter_error_chunk_after_content(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(tokens=5, error_after=2), within=0.5)
    assert error.failure.kind is K.INTERRUPTED and error.partial == "tok0 tok1 "
    assert "unavailable" in error.failure.detail


async def test_error_chunk_as_first_and_only_event(client: ProviderClient, fault_server: FaultServer) -> None:
    behaviour = Stream(role_chunk=False, error_after=0, error={
        "code": 429, "message": "Rate limit exceeded: free-models-per-day",
        "metadata": {"headers": {"X-RateLimit-Reset": str(int((time.time() + 3600) * 1000))}}})
    error = await fails(client, fault_server, behaviour, within=0.5)
    assert error.failure.kind is K.QUOTA and error.failure.reset_at is not None


async def test_error_chunk_before_content_classified_by_code(client: ProviderClient,
                                                             fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(error_after=0, error={"code": 503, "message": "down"}))
    assert error.failure.kind is K.UNAVAILABLE and error.partial == ""


async def test_litellm_error_then_done_is_never_a_done(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(tokens=4, error_after=3, error_style="litellm", error={
        "message": "litellm.APIConnectionError: upstream reset", "type": "internal_server_error", "code": "500"}))
    assert error.failure.kind is K.INTERRUPTED and error.partial == "tok0 tok1 tok2 "


async def test_anthropic_style_error_event(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(error_after=0, error_style="anthropic",
                                                     error={"type": "overloaded_error", "message": "Overloaded"}))
    assert error.failure.kind is K.UNAVAILABLE


@pytest.mark.parametrize(("bad_after", "kind", "partial"), [(0, K.PROTOCOL, ""), (2, K.INTERRUPTED, "tok0 tok1 ")])
async def test_three_malformed_lines_end_the_stream(client: ProviderClient, fault_server: FaultServer,
                                                   bad_after: int, kind: K, partial: str) -> None:
    error = await fails(client, fault_server, Stream(tokens=4, bad_after=bad_after, bad_lines=3), within=0.5)
    assert error.failure.kind is kind and error.partial == partial


# -- redirects and aborts -----------------------------------------------------------------------

async def test_redirect_is_not_followed(client: ProviderClient, fault_server: FaultServer) -> None:
    async with FaultServer() as elsewhere:
        elsewhere.script("m", Stream())
        error = await fails(client, fault_server, Redirect(location=elsewhere.base_url + "/chat/completions"))
        assert error.failure.kind is K.PROTOCOL and error.failure.status == 302
        assert elsewhere.requests == []


async def test_non_streaming_hang_and_stalled_body(client: ProviderClient, fault_server: FaultServer) -> None:
    assert (await fails(client, fault_server, Hang(), stream=False)).failure.kind is K.TIMEOUT
    error = await fails(client, fault_server, HeadersThenSilence(headers={"Content-Type": "application/json"}),
                        stream=False)
    assert error.failure.kind is K.INTERRUPTED
    assert await fault_server.wait_connections(0)


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


# -- the fault server standalone, as subprocess tests use it ---------------------------------------

async def test_standalone_fault_server(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"scripts": {"m": [{"type": "json", "status": 503, "body": {"error": {
        "message": "down", "code": 503}}}, {"type": "stream", "tokens": ["ok"]}]}}))
    record = tmp_path / "requests.jsonl"
    server_py = Path(__file__).resolve().parents[1] / "faultserver.py"
    proc = await asyncio.create_subprocess_exec(sys.executable, str(server_py), "--port", "0", "--script",
                                                str(script), "--record", str(record),
                                                stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        port = int(await asyncio.wait_for(proc.stdout.readline(), 10))
        c = ProviderClient(ProviderConfig("sub", f"http://127.0.0.1:{port}/v1", "K"), env={"K": KEY})
        _, error, _ = await run(c, "m")
        assert error is not None and error.failure.kind is K.UNAVAILABLE
        events, error, _ = await run(c, "m")
        assert error is None and text(events) == "ok"
        await c.aclose()
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 5) == 0
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [r["json"]["model"] for r in lines] == ["m", "m"]
    assert lines[0]["headers"]["authorization"] == f"Bearer {KEY}"
