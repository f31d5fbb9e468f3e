"""Each provider API's adapter against the fault server speaking that API on 127.0.0.1.

Text, reasoning and parallel tool calls, streamed and whole; the kind-defining errors of each API
(wires.md §2.5, §3.5) classified into the §4 kinds; cuts and errors after content kept as
`interrupted` with the partial; keys in each API's own header and only there; paged listings.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from faultbehaviours import Error, Listing, Reply, Stream
from faultserver import FaultServer
from loopback import KEY, POLICY

from tui.engine.config import Policy, ProviderConfig
from tui.engine.conversation import ChatMessage, ChatRequest, ToolCallAssembler, ToolCallDelta, ToolSpec
from tui.engine.failures import FailureKind as K
from tui.engine.failures import ProviderError
from tui.engine.provider.client import Delta, Done, ProviderClient

APIS = ("openai", "anthropic", "gemini")
ROOMY = Policy(connect_timeout=5.0, ttft_timeout=5.0, stall_timeout=5.0)  # a loaded machine is not a fault
CALLS = [{"id": "call_p", "name": "get_weather", "arguments": {"city": "Paris"}},
         {"id": "call_r", "name": "get_weather", "arguments": {"city": "Rome"}}]


def _base(server: FaultServer, api: str) -> str:
    return server.base_url if api == "openai" else server.url  # the vendors' SDKs add their own version


@pytest.fixture(params=APIS)
async def native(request: pytest.FixtureRequest, fault_server: FaultServer) -> AsyncIterator[ProviderClient]:
    provider = ProviderConfig("loop", _base(fault_server, request.param), "LOOP_KEY", api=request.param)
    client = ProviderClient(provider, env={"LOOP_KEY": KEY})
    yield client
    await client.aclose()


def _request(stream: bool) -> ChatRequest:
    return ChatRequest([ChatMessage("system", "Be brief."), ChatMessage("user", "Weather in Paris and Rome?")],
                       stream=stream, tools=(ToolSpec("get_weather", "Weather by city",
                                                      {"type": "object", "properties": {"city": {"type": "string"}}}),))


async def _run(client: ProviderClient, stream: bool = True,
               policy: Policy = ROOMY) -> tuple[list, ProviderError | None]:
    items: list = []
    try:
        async for item in client.chat("m", _request(stream), policy):
            items.append(item)
    except ProviderError as exc:
        return items, exc
    return items, None


def _text(items: list) -> str:
    return "".join(i.text for i in items if isinstance(i, Delta) and not i.reasoning)


@pytest.mark.parametrize("stream", [True, False])
async def test_text_and_reasoning_answer(native: ProviderClient, fault_server: FaultServer, stream: bool) -> None:
    behaviour = (Stream(tokens=["Hel", "lo"], reasoning=["think"]) if stream
                 else Reply(text="Hello", reasoning="think"))
    fault_server.script("m", behaviour)
    items, error = await _run(native, stream)
    assert error is None
    assert _text(items) == "Hello"
    assert [i.text for i in items if isinstance(i, Delta) and i.reasoning] == ["think"]
    done = items[-1]
    assert isinstance(done, Done) and done.finish_reason == "stop"
    assert done.usage is not None and done.usage.prompt_tokens and done.usage.completion_tokens


@pytest.mark.parametrize("stream", [True, False])
async def test_parallel_tool_calls_only(native: ProviderClient, fault_server: FaultServer, stream: bool) -> None:
    fault_server.script("m", Stream(tokens=[], tool_calls=CALLS) if stream else Reply(text="", tool_calls=CALLS))
    items, error = await _run(native, stream)
    assert error is None, error
    calls = ToolCallAssembler()
    for item in items:
        if isinstance(item, ToolCallDelta):
            calls.add(item)
    assembled = calls.calls()
    assert [(c.name, c.input()) for c in assembled] == [("get_weather", {"city": "Paris"}),
                                                       ("get_weather", {"city": "Rome"})]
    assert all(c.id for c in assembled) and len({c.id for c in assembled}) == 2
    assert isinstance(items[-1], Done) and items[-1].finish_reason == "tool_calls"


async def test_request_carries_the_tools_and_the_key_in_the_apis_own_header(native: ProviderClient,
                                                                         fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["ok"]))
    await _run(native)
    sent = fault_server.requests[-1]
    api = native.adapter.api
    key_headers = {"openai": ("authorization", f"Bearer {KEY}"), "anthropic": ("x-api-key", KEY),
                   "gemini": ("x-goog-api-key", KEY)}
    name, value = key_headers[api]
    assert sent.headers[name] == value
    assert [h for h, v in sent.headers.items() if KEY in v] == [name]  # the key travels once, in one header
    body = sent.json
    if api == "openai":
        assert sent.path == "/v1/chat/completions" and body["tools"][0]["function"]["name"] == "get_weather"
    elif api == "anthropic":
        assert sent.path == "/v1/messages" and sent.headers["anthropic-version"] == "2023-06-01"
        assert body["system"] == "Be brief." and body["max_tokens"] == 4096
        assert body["tools"][0]["input_schema"]["properties"] == {"city": {"type": "string"}}
    else:
        assert sent.path == "/v1beta/models/m:streamGenerateContent?alt=sse"
        assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
        assert body["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"


# What each API sends for a kind-defining failure, and the kind it must be.
FAULTS = {
    "anthropic": [
        (Error(529, "Overloaded"), K.UNAVAILABLE),
        (Error(429, "Number of request tokens has exceeded your per-minute rate limit", retry_after=3),
         K.RATE_LIMITED),
        (Error(400, "prompt is too long: 208310 tokens > 200000 maximum"), K.CONTEXT_LENGTH),
        (Error(400, "input length and `max_tokens` exceed context limit: 195000 + 8192 > 200000"), K.CONTEXT_LENGTH),
        (Error(413, "Request exceeds the maximum allowed number of bytes"), K.CONTEXT_LENGTH),
        (Error(401, "invalid x-api-key"), K.AUTH),
        (Error(403, "Your API key does not have permission"), K.AUTH),
        (Error(404, "model: claude-nope"), K.NOT_FOUND),
        (Error(500, "Internal server error"), K.SERVER_ERROR),
        (Error(400, "Your credit balance is too low to access the Anthropic API."), K.QUOTA),
    ],
    "gemini": [
        (Error(429, "Resource has been exhausted", retry_after=33), K.RATE_LIMITED),
        (Error(429, "You exceeded your current quota", quota_id="GenerateRequestsPerDayPerProjectPerModel-FreeTier",
               retry_after=20), K.QUOTA),
        (Error(503, "The model is overloaded. Please try again later."), K.UNAVAILABLE),
        (Error(500, "An internal error has occurred."), K.SERVER_ERROR),
        (Error(504, "Deadline exceeded"), K.TIMEOUT),
        (Error(400, "The input token count (1300000) exceeds the maximum number of tokens allowed (1048576)."),
         K.CONTEXT_LENGTH),
        (Error(400, "API key not valid. Please pass a valid API key.", reason="API_KEY_INVALID"), K.AUTH),
        (Error(403, "Permission denied"), K.AUTH),
        (Error(404, "models/nope is not found"), K.NOT_FOUND),
    ],
}


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(("api", "fault", "kind"), [(api, f, k) for api, rows in FAULTS.items() for f, k in rows],
                         ids=lambda v: getattr(v, "value", None) or getattr(v, "message", str(v))[:20])
async def test_error_responses_classify_per_api(fault_server: FaultServer, api: str, fault: Error, kind: K,
                                               stream: bool) -> None:
    client = ProviderClient(ProviderConfig("loop", _base(fault_server, api), "LOOP_KEY", api=api),
                            env={"LOOP_KEY": KEY})
    try:
        fault_server.script("m", fault)
        items, error = await _run(client, stream)
    finally:
        await client.aclose()
    assert error is not None and error.failure.kind is kind, (error and error.failure)
    assert not items
    if fault.retry_after is not None and kind is K.RATE_LIMITED:
        assert error.failure.retry_after_s == fault.retry_after


async def test_anthropic_rate_limit_reset_headers_give_the_wait(fault_server: FaultServer) -> None:
    import datetime

    client = ProviderClient(ProviderConfig("loop", fault_server.url, "LOOP_KEY", api="anthropic"),
                            env={"LOOP_KEY": KEY})
    reset = datetime.datetime.fromtimestamp(client._clock.wall() + 40, datetime.UTC).isoformat()
    fault_server.script("m", Error(429, "rate limited", headers={"anthropic-ratelimit-tokens-remaining": "0",
                                                                  "anthropic-ratelimit-tokens-reset": reset}))
    try:
        _, error = await _run(client)
    finally:
        await client.aclose()
    assert error is not None and error.failure.kind is K.RATE_LIMITED
    assert error.failure.retry_after_s is not None and 35 <= error.failure.retry_after_s <= 40


async def test_an_error_after_content_is_interrupted_and_keeps_the_partial(native: ProviderClient,
                                                                          fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["Par", "tial", "never"], error_after=2,
                                    error={"code": 529, "message": "Overloaded", "type": "overloaded_error"}))
    items, error = await _run(native)
    assert error is not None and error.failure.kind is K.INTERRUPTED
    assert error.partial == "Partial" == _text(items)


async def test_an_error_as_the_first_event_is_classified(native: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["x"], error_after=0,
                                    error={"code": 503, "message": "Overloaded", "type": "overloaded_error"}))
    items, error = await _run(native)
    assert error is not None and error.failure.kind is K.UNAVAILABLE and not items


async def test_a_cut_after_content_is_interrupted(native: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(tokens=["a", "b", "c"], cut_after=2))
    items, error = await _run(native)
    assert error is not None and error.failure.kind is K.INTERRUPTED and error.partial == "ab"


async def test_keepalives_are_not_a_first_token(native: ProviderClient, fault_server: FaultServer) -> None:
    fault_server.script("m", Stream(keepalive_forever=True))
    items, error = await _run(native, policy=POLICY)
    assert error is not None and error.failure.kind is K.TIMEOUT and not items


async def test_paged_listing_with_context_lengths(native: ProviderClient, fault_server: FaultServer) -> None:
    models = {f"model-{n}": 1000 * (n + 1) for n in range(5)}
    path = {"openai": "/v1/models", "anthropic": "/v1/models", "gemini": "/v1beta/models"}[native.adapter.api]
    fault_server.script(path, Listing(models, page_size=2))
    listed = await native.listing(2.0)
    assert {m: entry.context_length for m, entry in listed.items()} == models
    pages = [r for r in fault_server.requests if r.path.startswith(path)]
    assert len(pages) == (1 if native.adapter.api == "openai" else 3)


def test_gemini_blocked_prompt_is_content_policy() -> None:
    from tui.engine.provider.gemini import GeminiStream
    from tui.engine.provider.sse import SSEEvent

    state = GeminiStream("g", 200, {}, 0.0)
    with pytest.raises(ProviderError) as caught:
        state.handle(SSEEvent(json.dumps({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}})))
    assert caught.value.failure.kind is K.CONTENT_POLICY
    state = GeminiStream("g", 200, {}, 0.0)
    state.handle(SSEEvent(json.dumps({"candidates": [{"finishReason": "SAFETY", "index": 0}]})))
    with pytest.raises(ProviderError) as caught:
        state.check_complete()
    assert caught.value.failure.kind is K.CONTENT_POLICY
