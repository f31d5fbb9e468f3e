"""The client reads a content-encoded body through httpx's decoder, and a plain one raw (same bytes)."""

from __future__ import annotations

import gzip
import json

import httpx

from tui.engine.config import Policy, ProviderConfig
from tui.engine.events import ChatMessage, ChatRequest
from tui.engine.provider.client import Delta, Done, ProviderClient

POLICY = Policy(connect_timeout=0.5, ttft_timeout=0.5, stall_timeout=0.5)


def sse(tokens: int) -> bytes:
    events = [{"model": "m", "choices": [{"index": 0, "delta": {"content": f"t{i} "}}]} for i in range(tokens)]
    events.append({"model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events).encode() + b"data: [DONE]\n\n"


def completion() -> bytes:
    return json.dumps({"model": "m", "choices": [{"index": 0, "finish_reason": "stop",
                                                  "message": {"role": "assistant", "content": "whole"}}]}).encode()


async def answer(encoding: str | None, stream: bool) -> str:
    body = sse(5) if stream else completion()
    headers = {"content-type": "text/event-stream" if stream else "application/json"}
    if encoding == "gzip":
        body, headers["content-encoding"] = gzip.compress(body), "gzip"

    def respond(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=body)

    client = ProviderClient(ProviderConfig("x", "http://model.test/v1"), env={},
                            transport=httpx.MockTransport(respond))
    request = ChatRequest([ChatMessage("user", "hi")], stream=stream)
    try:
        items = [item async for item in client.chat("m", request, POLICY)]
    finally:
        await client.aclose()
    assert isinstance(items[-1], Done) and items[-1].finish_reason == "stop"
    return "".join(i.text for i in items if isinstance(i, Delta))


async def test_gzip_stream_is_decoded() -> None:
    assert await answer("gzip", stream=True) == await answer(None, stream=True) == "t0 t1 t2 t3 t4 "


async def test_gzip_json_answer_is_decoded() -> None:
    assert await answer("gzip", stream=False) == await answer(None, stream=False) == "whole"
