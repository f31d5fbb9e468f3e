"""The official `openai` and `anthropic` SDKs against `serve` in front of the fault server.

Each SDK is the client a user's own code (or aider, or Claude Code) would be: if the endpoint's
answers, streams, tool calls or errors were shaped wrong, the SDK's own parser would fail here.
Upstreams of both APIs answer both inbound formats (`main` ends on an OpenAI-compatible model,
`cross` on an Anthropic one), and the first model of each group fails before content, so the
failover must be invisible.
"""

from __future__ import annotations

import json

import anthropic
import openai
import pytest
from faultserver import Error, FaultServer, Reply, Stream
from serve_kit import CLIENT_KEY, served

CALL = {"id": "call_w1", "name": "get_weather", "arguments": {"city": "Paris"}}
WEATHER_OPENAI = [{"type": "function", "function": {"name": "get_weather", "description": "the weather",
                                                   "parameters": {"type": "object",
                                                                  "properties": {"city": {"type": "string"}}}}}]
WEATHER_ANTHROPIC = [{"name": "get_weather", "description": "the weather",
                      "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
GOOD = {"main": "good", "cross": "cgood"}


def openai_client(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=url + "/v1", api_key=CLIENT_KEY, max_retries=0, timeout=5)


def anthropic_client(url: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=url, api_key=CLIENT_KEY, max_retries=0, timeout=5)


@pytest.mark.parametrize("group", ["main", "cross"])
async def test_openai_sdk_create_whole_and_streamed(tmp_path, fault_server: FaultServer, group: str) -> None:
    fault_server.script("bad", Error(503, "down"))
    async with served(tmp_path, fault_server) as s:
        client = openai_client(s.url)
        fault_server.script(GOOD[group], Reply("Hello there."))
        raw = await client.chat.completions.with_raw_response.create(
            model=group, messages=[{"role": "user", "content": "hi"}])
        answer = raw.parse()
        assert answer.choices[0].message.content == "Hello there."
        assert answer.choices[0].finish_reason == "stop"
        assert answer.model == GOOD[group]
        assert raw.headers["x-modelfallback-model"] == GOOD[group]
        assert raw.headers["x-modelfallback-attempts"].startswith("bad=failed:unavailable:503")

        fault_server.script(GOOD[group], Stream(tokens=["Hel", "lo ", "world"]))
        stream = await client.chat.completions.create(model=group, messages=[{"role": "user", "content": "hi"}],
                                                       stream=True, stream_options={"include_usage": True})
        chunks = [chunk async for chunk in stream]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "Hello world"
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3
        await client.close()


@pytest.mark.parametrize("group", ["main", "cross"])
async def test_openai_sdk_tools(tmp_path, fault_server: FaultServer, group: str) -> None:
    fault_server.script("bad", Error(503, "down"))
    async with served(tmp_path, fault_server) as s:
        client = openai_client(s.url)
        fault_server.script(GOOD[group], Reply("", tool_calls=[CALL]))
        answer = await client.chat.completions.create(model=group, messages=[{"role": "user", "content": "weather?"}],
                                                      tools=WEATHER_OPENAI)  # type: ignore[arg-type]
        call = answer.choices[0].message.tool_calls[0]  # type: ignore[index]
        assert answer.choices[0].finish_reason == "tool_calls"
        assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}

        fault_server.script(GOOD[group], Stream(tokens=[], tool_calls=[CALL]))
        stream = await client.chat.completions.create(model=group, messages=[{"role": "user", "content": "weather?"}],
                                                      tools=WEATHER_OPENAI, stream=True)  # type: ignore[arg-type]
        arguments, names, reasons = "", [], []
        async for chunk in stream:
            for choice in chunk.choices:
                reasons.append(choice.finish_reason)
                for fragment in choice.delta.tool_calls or []:
                    names.append(fragment.function.name)
                    arguments += fragment.function.arguments or ""
        assert "get_weather" in names and json.loads(arguments) == {"city": "Paris"}
        assert reasons[-1] == "tool_calls"

        # the tool's result goes back through the chain: the upstream receives the whole round trip
        fault_server.script(GOOD[group], Reply("18C and clear."))
        followup = await client.chat.completions.create(model=group, tools=WEATHER_OPENAI, messages=[  # type: ignore[arg-type]
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_w1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_w1", "content": "18C, clear"}])
        assert followup.choices[0].message.content == "18C and clear."
        sent = json.dumps(fault_server.requests[-1].json)
        assert "call_w1" in sent and "18C, clear" in sent
        await client.close()


@pytest.mark.parametrize("group", ["main", "cross"])
async def test_anthropic_sdk_create_and_stream(tmp_path, fault_server: FaultServer, group: str) -> None:
    fault_server.script("bad", Error(503, "down"))
    async with served(tmp_path, fault_server) as s:
        client = anthropic_client(s.url)
        fault_server.script(GOOD[group], Reply("Hello there."))
        message = await client.messages.create(model=group, max_tokens=100, system="Be brief.",
                                               messages=[{"role": "user", "content": "hi"}])
        assert message.content[0].text == "Hello there."  # type: ignore[union-attr]
        assert message.stop_reason == "end_turn" and message.model == GOOD[group]
        assert "Be brief." in json.dumps(fault_server.requests[-1].json)  # the system prompt travelled

        fault_server.script(GOOD[group], Stream(tokens=["Hel", "lo ", "world"]))
        async with client.messages.stream(model=group, max_tokens=100,
                                          messages=[{"role": "user", "content": "hi"}]) as stream:
            pieces = [text async for text in stream.text_stream]
            final = await stream.get_final_message()
        assert "".join(pieces) == "Hello world"
        assert final.stop_reason == "end_turn" and final.usage.output_tokens == 3
        await client.close()


@pytest.mark.parametrize("group", ["main", "cross"])
async def test_anthropic_sdk_tools(tmp_path, fault_server: FaultServer, group: str) -> None:
    fault_server.script("bad", Error(503, "down"))
    async with served(tmp_path, fault_server) as s:
        client = anthropic_client(s.url)
        fault_server.script(GOOD[group], Reply("Checking.", tool_calls=[CALL]))
        message = await client.messages.create(model=group, max_tokens=100, tools=WEATHER_ANTHROPIC,  # type: ignore[arg-type]
                                               messages=[{"role": "user", "content": "weather?"}])
        assert message.stop_reason == "tool_use"
        use = [b for b in message.content if b.type == "tool_use"][0]
        assert use.name == "get_weather" and use.input == {"city": "Paris"}  # type: ignore[union-attr]

        fault_server.script(GOOD[group], Stream(tokens=["Checking."], tool_calls=[CALL]))
        async with client.messages.stream(model=group, max_tokens=100, tools=WEATHER_ANTHROPIC,  # type: ignore[arg-type]
                                          messages=[{"role": "user", "content": "weather?"}]) as stream:
            final = await stream.get_final_message()
        assert final.stop_reason == "tool_use"
        kinds = [b.type for b in final.content]
        assert kinds == ["text", "tool_use"]
        assert final.content[1].input == {"city": "Paris"}  # type: ignore[union-attr]

        # the tool result round trip reaches the upstream, in whichever API it speaks
        fault_server.script(GOOD[group], Reply("18C and clear."))
        reply = await client.messages.create(model=group, max_tokens=100, tools=WEATHER_ANTHROPIC, messages=[  # type: ignore[arg-type]
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "call_w1", "name": "get_weather",
                                               "input": {"city": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_w1", "content": "18C, clear"}]}])
        assert reply.content[0].text == "18C and clear."  # type: ignore[union-attr]
        sent = json.dumps(fault_server.requests[-1].json)
        assert "call_w1" in sent and "18C, clear" in sent
        await client.close()


async def test_sdk_errors_after_content_raise(tmp_path, fault_server: FaultServer) -> None:
    """A stream cut after content raises in both SDKs: a truncated answer is never complete."""
    async with served(tmp_path, fault_server) as s:
        fault_server.script("good", Stream(tokens=["a ", "b ", "c ", "d "], cut_after=2))
        client = openai_client(s.url)
        stream = await client.chat.completions.create(model="good", messages=[{"role": "user", "content": "hi"}],
                                                      stream=True)
        with pytest.raises(openai.APIError):
            async for _ in stream:
                pass
        await client.close()
        s.engine.enable("good")
        fault_server.script("good", Stream(tokens=["a ", "b ", "c ", "d "], cut_after=2))
        aclient = anthropic_client(s.url)
        with pytest.raises(anthropic.APIStatusError) as raised:
            async with aclient.messages.stream(model="good", max_tokens=10,
                                               messages=[{"role": "user", "content": "hi"}]) as stream:
                async for _ in stream.text_stream:
                    pass
        assert raised.value.type == "overloaded_error"  # type: ignore[attr-defined]
        await aclient.close()


async def test_sdk_all_out_errors(tmp_path, fault_server: FaultServer) -> None:
    """Every model out: openai sees a 503 InternalServerError, anthropic a 529 OverloadedError."""
    fault_server.script("bad", Error(503, "down"))
    async with served(tmp_path, fault_server) as s:
        client = openai_client(s.url)
        with pytest.raises(openai.InternalServerError) as raised:
            await client.chat.completions.create(model="solo", messages=[{"role": "user", "content": "hi"}])
        assert raised.value.status_code == 503
        assert int(raised.value.response.headers["retry-after"]) > 0
        await client.close()
        aclient = anthropic_client(s.url)
        with pytest.raises(anthropic.APIStatusError) as araised:
            await aclient.messages.create(model="solo", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
        assert araised.value.status_code == 529
        await aclient.close()
