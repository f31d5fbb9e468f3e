"""The vendors' SDKs parse what the simulator (tui/engine/sim) sends on each API's wire.

The simulator is an httpx transport; the SDKs use httpx2, so a small bridge hands each SDK request
to the simulator and its response (streamed body included) back. The demo and most engine tests
run on the simulator, so its picture of each wire is checked by the vendor's own client too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import httpx
import httpx2
import openai
import pytest
from google import genai
from google.genai import errors, types

from tui.engine.sim import ErrorChunk, Healthy, NotFound, RateLimited, SimulatorTransport, Unavailable

KEY = "sk-sim-witness"
ASK = [{"role": "user", "content": "How do fallback chains work?"}]


class _Body(httpx2.AsyncByteStream):
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.aiter_raw():
            yield chunk

    async def aclose(self) -> None:
        await self._response.aclose()


class Bridge(httpx2.AsyncBaseTransport):
    """An httpx2 transport that plays each request on an httpx transport (the simulator)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(httpx.Request(
            request.method, str(request.url), headers=request.headers.multi_items(), content=body,
            extensions={"timeout": {}}))
        return httpx2.Response(response.status_code, headers=response.headers.multi_items(),
                               stream=_Body(response), request=request)


def simulator(script: dict) -> SimulatorTransport:
    return SimulatorTransport(script, speed=1000.0)


async def test_openai_sdk_on_the_simulator() -> None:
    sim = simulator({"m": Healthy(answer_tokens=12), "down": Unavailable()})
    async with openai.AsyncOpenAI(api_key=KEY, base_url="https://sim.invalid/v1", max_retries=0,
                                  http_client=httpx2.AsyncClient(transport=Bridge(sim))) as client:
        stream = await client.chat.completions.create(model="m", messages=ASK, stream=True,
                                                      stream_options={"include_usage": True})
        chunks = [c async for c in stream]
        plain = await client.chat.completions.create(model="m", messages=ASK)
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model="down", messages=ASK)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text and text == plain.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == 12


async def test_anthropic_sdk_on_the_simulator() -> None:
    sim = simulator({"claude": Healthy(answer_tokens=12), "busy": Unavailable(),
                     "limited": RateLimited(retry_after=3), "cut": ErrorChunk(after_tokens=4)})
    async with anthropic.AsyncAnthropic(api_key=KEY, base_url="https://sim.invalid", max_retries=0,
                                        http_client=httpx2.AsyncClient(transport=Bridge(sim))) as client:
        async with client.messages.stream(model="claude", max_tokens=64, messages=ASK) as stream:
            streamed = [text async for text in stream.text_stream]
            final = await stream.get_final_message()
        plain = await client.messages.create(model="claude", max_tokens=64, messages=ASK)
        with pytest.raises(anthropic.OverloadedError):
            await client.messages.create(model="busy", max_tokens=64, messages=ASK)
        with pytest.raises(anthropic.RateLimitError) as limited:
            await client.messages.create(model="limited", max_tokens=64, messages=ASK)
        seen = []
        with pytest.raises(anthropic.APIStatusError) as cut:
            async with client.messages.stream(model="cut", max_tokens=64, messages=ASK) as stream:
                async for text in stream.text_stream:
                    seen.append(text)
        listed = [m.id async for m in client.models.list()]
    assert len(streamed) == 12 and final.content[0].text == "".join(streamed) == plain.content[0].text
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 12
    assert limited.value.response.headers["retry-after"] == "3"
    assert len(seen) == 4 and cut.value.type == "overloaded_error"
    assert set(listed) == {"claude", "busy", "limited", "cut"}
    assert ("claude", "/v1/messages") in sim.requests


async def test_gemini_sdk_on_the_simulator() -> None:
    sim = simulator({"gemini-x": Healthy(answer_tokens=12), "limited": RateLimited(retry_after=33),
                     "gone": NotFound()})
    options = types.HttpOptions(base_url="https://sim.invalid", api_version="v1beta",
                                retry_options=types.HttpRetryOptions(attempts=1),
                                httpx_async_client=httpx2.AsyncClient(transport=Bridge(sim)))
    client = genai.Client(api_key=KEY, http_options=options).aio
    try:
        chunks = [c async for c in await client.models.generate_content_stream(model="gemini-x", contents="hi")]
        plain = await client.models.generate_content(model="gemini-x", contents="hi")
        with pytest.raises(errors.ClientError) as limited:
            await client.models.generate_content(model="limited", contents="hi")
        with pytest.raises(errors.ClientError) as gone:
            await client.models.generate_content(model="gone", contents="hi")
        pager = await client.models.list()
        listed = [m.name async for m in pager]
    finally:
        await client.aclose()
    assert "".join(c.text or "" for c in chunks) == plain.text and plain.text
    assert chunks[-1].candidates[0].finish_reason == "STOP"
    assert chunks[-1].usage_metadata.candidates_token_count == 12
    assert (limited.value.code, limited.value.status) == (429, "RESOURCE_EXHAUSTED")
    assert limited.value.details["error"]["details"][0]["retryDelay"] == "33s"
    assert (gone.value.code, gone.value.status) == (404, "NOT_FOUND")
    assert set(listed) == {"models/gemini-x", "models/limited", "models/gone"}
    assert ("gemini-x", "/v1beta/models/gemini-x:streamGenerateContent") in sim.requests
