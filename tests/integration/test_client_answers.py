"""ProviderClient against the loopback fault server: healthy answers, what is sent, keys, listing models."""

from __future__ import annotations

import logging
import time

import pytest
from faultserver import FaultServer, Hang, Json, Stream, completion, error_json
from loopback import KEY, MARGIN, POLICY, STALL, request, run, text

from tui.engine.config import ProviderConfig
from tui.engine.events import ChatMessage, ChatRequest, Usage
from tui.engine.failures import FailureKind as K
from tui.engine.failures import ProviderError
from tui.engine.provider.client import Delta, Done, ProviderClient


# -- healthy ---------------------------------------------------------------------------------

async def test_healthy_stream_and_what_was_sent(client: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["Hel", "lo"], model="provider/actual"))
    req = ChatRequest([ChatMessage("system", "be brief"), ChatMessage("user", "hi")], max_tokens=50,
                      extra={"openai": {"temperature": 0.2, "model": "ignored"}, "anthropic": {"top_k": 5}})
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
