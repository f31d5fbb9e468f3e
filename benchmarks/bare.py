"""The baseline client: a bare `httpx.AsyncClient` loop that streams, reads lines and parses the chunks.

It sends the same request body as the engine's provider client (model, messages, stream,
stream_options.include_usage) with the same headers, and reads every response to its end so
the connection goes back to the pool, as the engine's client does.
"""

from __future__ import annotations

import json

import httpx

from benchmarks.common import BENCH_KEY


def request_body(model: str, prompt: str, stream: bool = True) -> dict:
    if not stream:
        return {"model": model, "messages": [{"role": "user", "content": prompt}], "stream": False}
    return {"model": model, "messages": [{"role": "user", "content": prompt}], "stream": True,
            "stream_options": {"include_usage": True}}


HEADERS = {"User-Agent": "bench", "Accept": "text/event-stream", "Authorization": f"Bearer {BENCH_KEY}"}


async def stream_answer(client: httpx.AsyncClient, base_url: str, model: str, prompt: str) -> str:
    """One streamed completion: the concatenated content."""
    parts: list[str] = []
    async with client.stream("POST", base_url + "/chat/completions", json=request_body(model, prompt),
                             headers=HEADERS) as response:
        if response.status_code != 200:
            await response.aread()
            raise RuntimeError(f"HTTP {response.status_code}")
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                continue
            chunk = json.loads(data)
            for choice in chunk.get("choices") or ():
                content = (choice.get("delta") or {}).get("content")
                if content:
                    parts.append(content)
    return "".join(parts)


async def complete_answer(client: httpx.AsyncClient, base_url: str, model: str, prompt: str) -> str:
    """One non-streamed completion: the message's content."""
    response = await client.post(base_url + "/chat/completions", json=request_body(model, prompt, stream=False),
                                 headers={**HEADERS, "Accept": "application/json"})
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}")
    return response.json()["choices"][0]["message"]["content"]


async def failed_request(client: httpx.AsyncClient, base_url: str, model: str, prompt: str,
                         stream: bool = True) -> int:
    """A request that is expected to fail: read the (JSON error) body, return the status."""
    async with client.stream("POST", base_url + "/chat/completions", json=request_body(model, prompt, stream),
                             headers=HEADERS) as response:
        body = await response.aread()
        json.loads(body)
        return response.status_code
