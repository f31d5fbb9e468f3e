"""Every failure kind through serve, streamed and not, in both client formats.

Before the first content byte a failure is invisible: the client gets the next model's complete
answer. After it, the stream ends with an error in the client's own format (OpenAI: an error
chunk and no `[DONE]`; Anthropic: `event: error` and no `message_stop`), the model is cooled, and
nothing is restarted. Never a truncated answer that looks complete.
"""

from __future__ import annotations

import pytest
from faultserver import Close, Error, FaultServer, Hang, HeadersThenSilence, Json, Reply, Reset, Stream
from serve_kit import anthropic_stream_text, chat_body, messages_body, openai_stream_text, served

GOOD_TOKENS = ["The ", "fallback ", "answered."]
GOOD = "".join(GOOD_TOKENS)

BEFORE_CONTENT = {
    "server_error": Error(500, "boom"),
    "unavailable": Error(503, "overloaded"),
    "rate_limited": Error(429, "slow down", retry_after=30),
    "quota": Error(402, "insufficient credits"),
    "not_found": Error(404, "no such model"),
    "auth": Error(401, "bad key"),
    "reset": Reset(),
    "close": Close(),
    "hang": Hang(),
    "headers_then_silence": HeadersThenSilence(),
    "garbage": Json(200, "this is not json"),
    "error_chunk_first": Stream(tokens=GOOD_TOKENS, error_after=0),
    "cut_before_content": Stream(tokens=GOOD_TOKENS, cut_after=0),
    "empty_reply": Reply(""),
}
PROVIDER_WIDE = ("quota", "auth")
AFTER_CONTENT = {
    "cut": Stream(tokens=["bad ", "half ", "of ", "it"], cut_after=2),
    "stall": Stream(tokens=["bad ", "half ", "of ", "it"], stall_after=2),
    "error_chunk": Stream(tokens=["bad ", "half ", "of ", "it"], error_after=2),
    "malformed": Stream(tokens=["bad ", "half ", "of ", "it"], bad_after=2, bad_lines=3),
}


@pytest.mark.parametrize("fault", list(BEFORE_CONTENT))
@pytest.mark.parametrize("route", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [True, False])
async def test_failure_before_content_is_invisible(tmp_path, fault_server: FaultServer, fault: str, route: str,
                                                   stream: bool) -> None:
    # quota and auth take the whole provider out: the next model must be behind another one
    group, good = ("cross", "cgood") if fault in PROVIDER_WIDE else ("main", "good")
    fault_server.script("bad", BEFORE_CONTENT[fault])
    fault_server.script(good, Stream(tokens=GOOD_TOKENS) if stream else Reply(GOOD))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        if route == "openai":
            r = await client.post("/v1/chat/completions", json=chat_body(group, stream=stream))
        else:
            r = await client.post("/v1/messages", json=messages_body(group, stream=stream))
        assert r.status_code == 200, r.text
        assert r.headers["x-modelfallback-model"] == good
        assert r.headers["x-modelfallback-attempts"].startswith("bad=")
        if stream:
            text, complete, error = (openai_stream_text if route == "openai" else anthropic_stream_text)(r.text)
            assert (text, complete, error) == (GOOD, True, None)
        else:
            body = r.json()
            text = body["choices"][0]["message"]["content"] if route == "openai" else body["content"][0]["text"]
            assert text == GOOD
        assert s.engine.preferred(group) == good


@pytest.mark.parametrize("fault", list(AFTER_CONTENT))
@pytest.mark.parametrize("route", ["openai", "anthropic"])
async def test_failure_after_content_ends_the_stream_with_an_error(tmp_path, fault_server: FaultServer, fault: str,
                                                                   route: str) -> None:
    fault_server.script("bad", AFTER_CONTENT[fault])
    fault_server.script("good", Stream(tokens=GOOD_TOKENS))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        if route == "openai":
            r = await client.post("/v1/chat/completions", json=chat_body(stream=True))
            text, complete, error = openai_stream_text(r.text)
            assert "data: [DONE]" not in r.text
        else:
            r = await client.post("/v1/messages", json=messages_body(stream=True))
            text, complete, error = anthropic_stream_text(r.text)
            assert "message_stop" not in r.text
            assert error is not None and error["type"] == "overloaded_error"
        assert r.status_code == 200 and r.headers["x-modelfallback-model"] == "bad"
        assert not complete and error is not None
        assert text == "bad half "  # what was sent stays; nothing from another model was appended
        assert not fault_server.requests_for("good"), "the chain restarted behind the client's back"
        assert s.engine.availability.of("bad").usable is False  # cooled as usual
        record = s.app.traffic.recent[-1]
        assert record.state == "failed" and record.model == "bad"


@pytest.mark.parametrize("fault", list(AFTER_CONTENT))
@pytest.mark.parametrize("route", ["openai", "anthropic"])
async def test_failure_mid_answer_fails_over_fully_when_not_streamed(tmp_path, fault_server: FaultServer,
                                                                     fault: str, route: str) -> None:
    """A non-streamed request never sent anything: the next model's whole answer comes back."""
    fault_server.script("bad", AFTER_CONTENT[fault])
    fault_server.script("good", Reply(GOOD))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        if route == "openai":
            r = await client.post("/v1/chat/completions", json=chat_body(stream=False))
            text = r.json()["choices"][0]["message"]["content"]
        else:
            r = await client.post("/v1/messages", json=messages_body(stream=False))
            text = r.json()["content"][0]["text"]
        assert r.status_code == 200 and text == GOOD
        assert r.headers["x-modelfallback-model"] == "good"
        del s


@pytest.mark.parametrize("route", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [True, False])
async def test_context_overflow_everywhere_is_a_400_the_client_understands(tmp_path, fault_server: FaultServer,
                                                                           route: str, stream: bool) -> None:
    overflow = Error(400, "This model's maximum context length is 8192 tokens. However, your messages resulted "
                          "in 9000 tokens.", code="context_length_exceeded")
    fault_server.script("bad", overflow)
    fault_server.script("good", overflow)
    async with served(tmp_path, fault_server) as s, s.client() as client:
        if route == "openai":
            r = await client.post("/v1/chat/completions", json=chat_body(stream=stream))
            assert r.json()["error"]["code"] == "context_length_exceeded"
            assert "maximum context length" in r.json()["error"]["message"]
        else:
            r = await client.post("/v1/messages", json=messages_body(stream=stream))
            assert r.json()["error"]["type"] == "invalid_request_error"
        assert r.status_code == 400
        assert s.engine.preferred("main") == "bad"  # the request's own problem: no model went out
