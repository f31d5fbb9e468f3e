"""Rows `stream-anthropic` and `stream-gemini`: each adapter's stream path against the OpenAI adapter's.

The same 20-token answer, written as each API streams it (OpenAI: a role chunk, 20 content chunks,
a finish chunk, a usage chunk and `[DONE]`; Anthropic: `message_start`, `ping`, a text block of 20
`text_delta`s, `message_delta`, `message_stop`; Gemini: 20 `GenerateContentResponse` events, the
last with `finishReason` and `usageMetadata`), one network chunk per event, is read through the
shared client and the API's adapter (`ProviderClient.chat`) from an in-process transport, so the
sockets and the server's own cost are left out and only our path is compared. The two sides
alternate request by request. Reported: the median per request and its ratio to OpenAI's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import httpx

from benchmarks.common import TWENTY_TOKENS, Result, alternate, median, pct
from tui.engine.config import Policy, ProviderConfig
from tui.engine.events import ChatMessage, ChatRequest
from tui.engine.provider.client import Delta, ProviderClient

TARGET = "median ≤ 1.05× the OpenAI adapter's"
LIMIT = 1.05
PIECES = [f"tok{i} " for i in range(20)]
POLICY = Policy(connect_timeout=5, ttft_timeout=10, stall_timeout=10)


def _sse(obj: dict, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return (head + "data: " + json.dumps(obj, separators=(",", ":")) + "\n\n").encode()


def openai_events() -> list[bytes]:
    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    out = [_sse(chunk({"role": "assistant", "content": ""}))]
    out += [_sse(chunk({"content": p})) for p in PIECES]
    out.append(_sse(chunk({}, "stop")))
    out.append(_sse({"id": "c1", "object": "chat.completion.chunk", "choices": [],
                     "usage": {"prompt_tokens": 5, "completion_tokens": 20, "total_tokens": 25}}))
    return [*out, b"data: [DONE]\n\n"]


def anthropic_events() -> list[bytes]:
    def ev(obj: dict) -> bytes:
        return _sse(obj, obj["type"])
    out = [ev({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
                                                    "content": [], "model": "m", "stop_reason": None,
                                                    "usage": {"input_tokens": 5, "output_tokens": 1}}}),
           ev({"type": "ping"}),
           ev({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})]
    out += [ev({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}})
            for p in PIECES]
    out += [ev({"type": "content_block_stop", "index": 0}),
            ev({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 20}}),
            ev({"type": "message_stop"})]
    return out


def gemini_events() -> list[bytes]:
    def response(text: str, last: bool) -> dict:
        candidate: dict = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
        out: dict = {"candidates": [candidate], "modelVersion": "m", "responseId": "r1"}
        if last:
            candidate["finishReason"] = "STOP"
            out["usageMetadata"] = {"promptTokenCount": 5, "candidatesTokenCount": 20, "totalTokenCount": 25}
        return out
    return [_sse(response(p, n == len(PIECES) - 1)).replace(b"\n", b"\r\n") for n, p in enumerate(PIECES)]


class _Events(httpx.AsyncByteStream):
    def __init__(self, events: list[bytes]) -> None:
        self.events = events

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for event in self.events:
            yield event


def client_for(api: str, events: list[bytes]) -> ProviderClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=_Events(events))
    base = {"openai": "http://bench/v1", "anthropic": "http://bench", "gemini": "http://bench"}[api]
    return ProviderClient(ProviderConfig("bench", base, "BENCH_KEY", api=api), env={"BENCH_KEY": "k"},
                          transport=httpx.MockTransport(handler))


async def measure(api: str, render: Callable[[], list[bytes]], requests: int, warmup: int) -> tuple[list, list]:
    openai, other = client_for("openai", openai_events()), client_for(api, render())
    request = ChatRequest([ChatMessage("user", "Say twenty tokens, please.")])

    def read(client: ProviderClient) -> Callable:
        async def one() -> str:
            return "".join([item.text async for item in client.chat("m", request, POLICY)
                            if isinstance(item, Delta)])
        return one

    def check(_fn: object, text: object) -> None:
        assert text == TWENTY_TOKENS, text

    try:
        return await alternate(read(openai), read(other), requests, warmup, check=check)
    finally:
        await openai.aclose()
        await other.aclose()


class _AdapterRow:
    API = ""
    RENDER: Callable[[], list[bytes]]

    def __init__(self) -> None:
        self.NAME = f"stream-{self.API}"
        self.TITLE = f"{self.API} adapter stream path vs OpenAI's (20-token answers, in-process transport)"
        self.TARGET = TARGET

    def run(self, quick: bool = False) -> Result:
        requests, warmup = (400, 50) if quick else (3000, 200)
        base, mine = asyncio.run(measure(self.API, type(self).RENDER, requests, warmup))
        b, m = median(base) * 1000, median(mine) * 1000
        details = (f"{len(mine)} requests each; p90 openai {pct(base, .9) * 1000:.3f} ms, {self.API} "
                   f"{pct(mine, .9) * 1000:.3f} ms")
        return Result(self.NAME, self.TITLE, m, "ms", b, self.TARGET, m / b <= LIMIT, details)


class AnthropicRow(_AdapterRow):
    API = "anthropic"
    RENDER = staticmethod(anthropic_events)


class GeminiRow(_AdapterRow):
    API = "gemini"
    RENDER = staticmethod(gemini_events)


ROWS = [AnthropicRow(), GeminiRow()]

if __name__ == "__main__":
    for row in ROWS:
        print(row.run(quick=True))
