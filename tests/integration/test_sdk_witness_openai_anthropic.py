"""The official `openai` and `anthropic` SDKs parse what the fault server sends on their wires.

Streamed and not, text, reasoning and (parallel) tool calls, an error before the answer (the SDK
raises the vendor's exception class for the status), an error inside the stream after content,
and the model listing (Anthropic's paged). The requests they send are checked too: the path each
API uses, and where the key goes.
"""

from __future__ import annotations

import json

import anthropic
import openai
import pytest
from faultserver import ANTHROPIC, OPENAI, FaultServer, Listing, Stream, completion, error_json
from sdk_witness import ASK, KEY, TIME, TOOLS_ANTHROPIC, TOOLS_OPENAI, WEATHER, anthropic_client, openai_client

# -- OpenAI Chat Completions -------------------------------------------------------------------


async def test_openai_plain_answer_with_usage(fault_server: FaultServer) -> None:
    fault_server.script("m", completion("Hello there."))
    async with openai_client(fault_server) as client:
        answer = await client.chat.completions.create(model="m", messages=ASK)
    assert answer.choices[0].message.content == "Hello there."
    assert answer.choices[0].finish_reason == "stop"
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (5, 3)
    [request] = fault_server.requests
    assert (request.method, request.route, request.api, request.stream) == ("POST", "/v1/chat/completions",
                                                                             OPENAI, False)
    assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_openai_stream_with_usage_chunk(fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["Hel", "lo ", "there."], keepalive=2))
    async with openai_client(fault_server) as client:
        stream = await client.chat.completions.create(model="m", messages=ASK, stream=True,
                                                      stream_options={"include_usage": True})
        chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello there."
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 3
    assert fault_server.requests[0].stream


async def test_openai_parallel_tool_calls_streamed_and_not(fault_server: FaultServer) -> None:
    fault_server.script("m", [Stream(tokens=[], tool_calls=[WEATHER, TIME]),
                              completion("", tool_calls=[WEATHER, TIME])])
    async with openai_client(fault_server) as client:
        stream = await client.chat.completions.create(model="m", messages=ASK, tools=TOOLS_OPENAI, stream=True)
        calls: dict[int, dict] = {}
        finish = None
        async for chunk in stream:
            for choice in chunk.choices:
                finish = choice.finish_reason or finish
                for fragment in choice.delta.tool_calls or []:
                    call = calls.setdefault(fragment.index, {"id": None, "name": "", "arguments": ""})
                    call["id"] = fragment.id or call["id"]
                    call["name"] += fragment.function.name or ""
                    call["arguments"] += fragment.function.arguments or ""
        plain = await client.chat.completions.create(model="m", messages=ASK, tools=TOOLS_OPENAI)
    assert finish == "tool_calls"
    assert [(c["id"], c["name"], json.loads(c["arguments"])) for c in calls.values()] == [
        ("call_w1", "get_weather", WEATHER["arguments"]), ("call_t2", "get_time", TIME["arguments"])]
    message = plain.choices[0].message
    assert plain.choices[0].finish_reason == "tool_calls" and message.content is None
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls] == [
        ("call_w1", "get_weather", WEATHER["arguments"]), ("call_t2", "get_time", TIME["arguments"])]


@pytest.mark.parametrize(("status", "exc", "code"), [
    (429, openai.RateLimitError, "rate_limit_exceeded"), (401, openai.AuthenticationError, "invalid_api_key"),
    (404, openai.NotFoundError, "model_not_found"), (400, openai.BadRequestError, "context_length_exceeded"),
    (503, openai.InternalServerError, None)])
async def test_openai_error_status_raises_the_sdk_class(fault_server: FaultServer, status: int, exc: type,
                                                        code: str | None) -> None:
    fault_server.script("m", error_json(status, "scripted failure", code=code, type="invalid_request_error"))
    async with openai_client(fault_server) as client:
        with pytest.raises(exc) as raised:
            await client.chat.completions.create(model="m", messages=ASK)
    assert raised.value.status_code == status
    assert raised.value.code == (code or str(status))  # the SDK reads OpenRouter's numeric code as text


@pytest.mark.parametrize("style", ["openrouter", "litellm"])
async def test_openai_error_inside_the_stream_after_content(fault_server: FaultServer, style: str) -> None:
    fault_server.script("m", Stream(tokens=["one ", "two "], error_after=2, error_style=style,
                                    error={"message": "Provider disconnected", "type": "server_error"}))
    seen = []
    async with openai_client(fault_server) as client:
        stream = await client.chat.completions.create(model="m", messages=ASK, stream=True)
        with pytest.raises(openai.APIError, match="Provider disconnected"):
            async for chunk in stream:
                seen.append(chunk.choices[0].delta.content)
    assert "".join(s or "" for s in seen) == "one two "


async def test_openai_listing(fault_server: FaultServer) -> None:
    fault_server.script("/v1/models", Listing({"a/one": 8192, "b/two": 128_000}))
    async with openai_client(fault_server) as client:
        ids = [model.id async for model in client.models.list()]
    assert ids == ["a/one", "b/two"]


# -- Anthropic Messages ------------------------------------------------------------------------


async def test_anthropic_plain_message(fault_server: FaultServer) -> None:
    fault_server.script("claude", completion("Hello there."))
    async with anthropic_client(fault_server) as client:
        message = await client.messages.create(model="claude", max_tokens=64, messages=ASK)
    assert [(b.type, b.text) for b in message.content] == [("text", "Hello there.")]
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (5, 3)
    [request] = fault_server.requests
    assert (request.method, request.route, request.api, request.model) == ("POST", "/v1/messages", ANTHROPIC,
                                                                           "claude")
    assert "anthropic-version" in request.headers and not request.stream


async def test_anthropic_stream_text_thinking_and_parallel_tools(fault_server: FaultServer) -> None:
    """Pings (before and among the blocks), a thinking block, text, two tool_use blocks whose input arrives
    as input_json_delta pieces: the SDK's own accumulator builds the final Message."""
    fault_server.script("claude", Stream(tokens=["Check", "ing."], reasoning=["Need ", "tools."], keepalive=2,
                                         tool_calls=[WEATHER, TIME]))
    async with (anthropic_client(fault_server) as client,
                client.messages.stream(model="claude", max_tokens=64, messages=ASK, tools=TOOLS_ANTHROPIC) as s):
        texts = [text async for text in s.text_stream]
        final = await s.get_final_message()
    assert texts == ["Check", "ing."]
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert final.content[0].thinking == "Need tools." and final.content[1].text == "Checking."
    assert [(b.id, b.name, b.input) for b in final.content[2:]] == [
        ("call_w1", "get_weather", WEATHER["arguments"]), ("call_t2", "get_time", TIME["arguments"])]
    assert final.stop_reason == "tool_use" and final.usage.output_tokens == 2
    assert fault_server.requests[0].stream


async def test_anthropic_plain_tool_use(fault_server: FaultServer) -> None:
    fault_server.script("claude", completion("Checking.", tool_calls=[WEATHER]))
    async with anthropic_client(fault_server) as client:
        message = await client.messages.create(model="claude", max_tokens=64, messages=ASK, tools=TOOLS_ANTHROPIC)
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.content[1].input == WEATHER["arguments"] and message.stop_reason == "tool_use"


@pytest.mark.parametrize(("status", "exc", "error_type"), [
    (529, anthropic.OverloadedError, "overloaded_error"), (429, anthropic.RateLimitError, "rate_limit_error"),
    (401, anthropic.AuthenticationError, "authentication_error"), (404, anthropic.NotFoundError, "not_found_error"),
    (413, anthropic.RequestTooLargeError, "request_too_large"), (500, anthropic.InternalServerError, "api_error"),
    (400, anthropic.BadRequestError, "invalid_request_error")])
async def test_anthropic_error_status_raises_the_sdk_class(fault_server: FaultServer, status: int, exc: type,
                                                           error_type: str) -> None:
    fault_server.script("claude", error_json(status, "prompt is too long: 9000 tokens > 8192 maximum",
                                             headers={"Retry-After": "7"}))
    async with anthropic_client(fault_server) as client:
        with pytest.raises(exc) as raised:
            await client.messages.create(model="claude", max_tokens=64, messages=ASK)
    assert raised.value.status_code == status and raised.value.type == error_type
    assert raised.value.response.headers["retry-after"] == "7"
    assert raised.value.request_id == "req_scripted"


async def test_anthropic_error_event_after_content(fault_server: FaultServer) -> None:
    fault_server.script("claude", Stream(tokens=["one ", "two "], error_after=2,
                                         error={"type": "overloaded_error", "message": "Overloaded"}))
    seen = []
    async with anthropic_client(fault_server) as client:
        with pytest.raises(anthropic.APIStatusError) as raised:
            async with client.messages.stream(model="claude", max_tokens=64, messages=ASK) as stream:
                async for text in stream.text_stream:
                    seen.append(text)
    assert seen == ["one ", "two "]
    assert raised.value.type == "overloaded_error"


async def test_anthropic_listing_is_paged(fault_server: FaultServer) -> None:
    models = {"claude-a": 200_000, "claude-b": 200_000, "claude-c": 1_000_000}
    fault_server.script("/v1/models", Listing(models, page_size=2))
    async with anthropic_client(fault_server) as client:
        listed = [(m.id, m.max_input_tokens) async for m in client.models.list(limit=20)]
    assert listed == list(models.items())
    pages = fault_server.requests_for("/v1/models")
    assert [r.path for r in pages] == ["/v1/models?limit=20", "/v1/models?limit=20&after_id=claude-b"]
    assert {r.api for r in pages} == {ANTHROPIC}
