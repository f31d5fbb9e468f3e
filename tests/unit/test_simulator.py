"""The simulated providers, over the wire: every behaviour through a plain httpx.AsyncClient,
then through the real ProviderClient (the failure kind each behaviour must produce) and the real
engine (the demo script's first minute).

The SSE is parsed here with a tiny helper on purpose, so the first tests pin the wire format
itself rather than what the engine's parser makes of it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sim_wire import (
    body,
    client,
    content,
    finishes,
    parse_sse,
    run,
    sim,
    statuses,
    stream_raw,
)

from tui.engine.clock import FakeClock
from tui.engine.sim import (
    AuthFailure,
    Behaviour,
    ChatsOnly,
    ContentPolicy,
    ContextTooLong,
    Flaky,
    Healthy,
    HttpError,
    MalformedLine,
    NotFound,
    Quota,
    RateLimited,
    Sequence,
    ServerErrorOnce,
    Timeline,
    Unavailable,
)

# ---- healthy answers ------------------------------------------------------------------------


async def test_healthy_stream_shape() -> None:
    status, events, exc = await run(sim(), body("anthropic/claude-3.5-sonnet"))
    assert status == 200 and exc is None
    first = events[0]
    assert first["object"] == "chat.completion.chunk"
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert events[-1] == "[DONE]"
    assert finishes(events) == ["stop"]
    assert all(isinstance(e, dict) and e["choices"] for e in events[:-1])  # no usage chunk
    assert all("usage" not in e for e in events[:-1])
    text = content(events)
    assert text.startswith("### Simulated answer from `anthropic/claude-3.5-sonnet`")
    assert "How do fallback chains work?" in text and "\n- " in text and "\n```" in text
    pieces = [e["choices"][0]["delta"]["content"] for e in events[1:-2]]
    assert 60 <= len(pieces) <= 120 and max(len(p.strip()) for p in pieces) <= 6


async def test_usage_chunk_only_when_asked() -> None:
    _, events, _ = await run(sim(), body("m", usage=True))
    assert events[-1] == "[DONE]"
    usage_chunk = events[-2]
    assert usage_chunk["choices"] == []
    u = usage_chunk["usage"]
    assert u["completion_tokens"] == len(events) - 4  # role, finish, usage, [DONE]
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    assert all(e["usage"] is None for e in events[:-2])


async def test_max_tokens_gives_length() -> None:
    _, events, _ = await run(sim(), body("m", usage=True, max_tokens=7))
    assert finishes(events) == ["length"]
    assert events[-2]["usage"]["completion_tokens"] == 7


async def test_answer_tokens_fixes_length() -> None:
    _, events, _ = await run(sim({"m": Healthy(answer_tokens=200)}), body("m", usage=True))
    assert events[-2]["usage"]["completion_tokens"] == 200


async def test_non_streamed_completion() -> None:
    async with client(sim()) as c:
        r = await c.post("/chat/completions", json=body("m", stream=False))
    data = r.json()
    assert r.status_code == 200 and data["object"] == "chat.completion"
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["choices"][0]["message"]["content"].startswith("### Simulated answer from `m`")
    assert data["usage"]["completion_tokens"] > 0


async def test_models_endpoint_and_request_log() -> None:
    t = sim({"a/x": Healthy(), "b/y": Unavailable()})
    async with client(t) as c:
        r = await c.get("/models")
        await c.post("/chat/completions", json=body("a/x", stream=False))
    assert [m["id"] for m in r.json()["data"]] == ["a/x", "b/y"]
    assert t.requests == [(None, "/api/v1/models"), ("a/x", "/api/v1/chat/completions")]
    assert all(model != "b/y" for model, _ in t.requests)
    assert t.request_count("a/x") == 1 and t.request_count("b/y") == 0


async def test_bad_requests() -> None:
    async with client(sim()) as c:
        assert (await c.post("/chat/completions", content=b"{nope")).status_code == 400
        assert (await c.post("/chat/completions", json={"messages": []})).status_code == 400
        assert (await c.get("/nowhere")).status_code == 404


async def test_output_is_valid_utf8_even_for_lone_surrogates() -> None:
    payload = b'{"model":"m","stream":true,"messages":[{"role":"user","content":"bad \\ud800 x"}]}'
    async with client(sim()) as c, c.stream("POST", "/chat/completions", content=payload) as r:
        raw = await r.aread()
    text = content(parse_sse(raw))  # decode("utf-8") inside would raise on invalid bytes
    assert "bad ? x" in text


# ---- determinism and speed ------------------------------------------------------------------


async def transcript(seed: int, clock: FakeClock | None = None) -> bytes:
    t = sim({"a": Healthy(), "b": Flaky(p=0.5), "c": MalformedLine(3)}, seed=seed, clock=clock)
    out = b""
    async with client(t) as c:
        for model in ["a", "b", "c", "b", "a", "b"]:
            status, raw, _ = await stream_raw(c, body(model, usage=True))
            out += str(status).encode() + raw
    return out


async def test_same_seed_is_byte_identical() -> None:
    assert await transcript(5) == await transcript(5)
    assert await transcript(5, FakeClock()) == await transcript(5)  # no wall-clock in the bytes


async def test_different_seeds_differ() -> None:
    assert await transcript(1) != await transcript(2)


async def flaky_pattern(seed: int, n: int = 40) -> list[int]:
    t = sim({"m": Flaky(p=0.3, failure=Unavailable())}, seed=seed)
    async with client(t) as c:
        return [(await c.post("/chat/completions", json=body("m", stream=False, max_tokens=1))
                 ).status_code for _ in range(n)]


async def test_flaky_is_seeded() -> None:
    a, b = await flaky_pattern(0), await flaky_pattern(1)
    assert a == await flaky_pattern(0)
    assert a != b
    assert set(a) == {200, 503} and 4 <= a.count(503) <= 24


async def test_speed_makes_delays_short() -> None:
    slow = Healthy(ttft=1.0, tokens_per_s=50)  # ~3 s of answer at speed 1
    start = time.perf_counter()
    _, events, _ = await run(sim({"m": slow}, speed=200), body("m"))
    assert events[-1] == "[DONE]"
    assert time.perf_counter() - start < 0.5


async def test_delays_are_real() -> None:
    t = sim({"m": Healthy(ttft=10, tokens_per_s=20, answer_tokens=5)}, speed=100)
    start = time.perf_counter()
    async with client(t) as c, c.stream("POST", "/chat/completions", json=body("m")) as r:
        async for line in r.aiter_lines():
            if '"content":"' in line and '"role"' not in line:
                break
    assert time.perf_counter() - start >= 0.09  # ttft 10 s / speed 100


# ---- scripted over time ---------------------------------------------------------------------


async def test_timeline_follows_the_injected_clock() -> None:
    clock = FakeClock()
    tl = Timeline([(0, Unavailable()), (25, Healthy()), (60, RateLimited(retry_after=1))])
    t = sim({"m": tl}, clock=clock)
    clock.advance(100)  # time before the first request does not count
    assert await statuses(t, "m", 1) == [503]
    clock.advance(24.9)
    assert await statuses(t, "m", 1) == [503]
    clock.advance(0.1)
    assert await statuses(t, "m", 1) == [200]
    clock.advance(40)
    assert await statuses(t, "m", 1) == [429]


async def test_sequence_per_request_last_repeats() -> None:
    t = sim({"m": Sequence([Unavailable(), RateLimited(), Healthy()])})
    assert await statuses(t, "m", 5) == [503, 429, 200, 200, 200]


async def test_server_error_once_is_per_model() -> None:
    once = ServerErrorOnce()
    t = sim({"a": once, "b": once})
    assert await statuses(t, "a", 3) == [500, 200, 200]
    assert await statuses(t, "b", 2) == [500, 200]


async def test_chats_only_keeps_one_offs_for_real_chats() -> None:
    t = sim({"m": ChatsOnly(Sequence([RateLimited(1.0), Healthy()]))})
    assert await statuses(t, "m", 2) == [200, 200]  # probes (max_tokens=2) see it healthy
    async with client(t) as c:
        codes = [(await c.post("/chat/completions", json=body("m", stream=False))).status_code
                 for _ in range(2)]
    assert codes == [429, 200]


# ---- error replies --------------------------------------------------------------------------


@pytest.mark.parametrize(("behaviour", "status", "check"), [
    (RateLimited(retry_after=2.0), 429,
     lambda b, h: b["error"]["code"] == "rate_limit_exceeded" and h["retry-after"] == "2"
     and h["retry-after-ms"] == "2000"),
    (Unavailable(), 503, lambda b, h: b["error"]["code"] == 503 and "retry-after" not in h),
    (Unavailable(status=529, retry_after=3), 529, lambda b, h: h["retry-after"] == "3"),
    (Quota(), 402, lambda b, h: b["error"]["code"] == 402),
    (Quota(status=429), 429, lambda b, h: b["error"]["type"] == "insufficient_quota"),
    (AuthFailure(), 401, lambda b, h: b["error"]["code"] == 401),
    (NotFound(), 404, lambda b, h: b["error"]["code"] == "model_not_found"),
    (ContextTooLong(), 400, lambda b, h: b["error"]["code"] == "context_length_exceeded"),
    (ContentPolicy(), 403, lambda b, h: b["error"]["metadata"]["reasons"]),
    (HttpError(418, {"error": "teapot"}), 418, lambda b, h: b == {"error": "teapot"}),
])
async def test_error_replies(behaviour: Behaviour, status: int, check: Any) -> None:
    for stream in (True, False):
        async with client(sim({"m": behaviour})) as c:
            r = await c.post("/chat/completions", json=body("m", stream=stream))
        assert r.status_code == status
        assert r.headers["content-type"] == "application/json"
        assert check(r.json(), r.headers)


async def test_the_catalog_in_openrouters_shapes_and_the_cost_it_implies() -> None:
    """`GET /models`, `GET /models/{author}/{slug}/endpoints`, and `usage.cost` from the listed price."""
    import httpx

    from tui.engine.sim import SimulatorTransport
    from tui.engine.sim.catalog import Listing

    listing = Listing(8192, prompt_price=1e-6, completion_price=2e-6, uptime_30m=93.4, status=-1)
    transport = SimulatorTransport({"a/m": Healthy(ttft=0.0, tokens_per_s=1e6)}, catalog={"a/m": listing})
    async with httpx.AsyncClient(transport=transport, base_url="http://sim/v1") as c:
        models = (await c.get("/models")).json()["data"]
        assert [(m["id"], m["context_length"], m["pricing"]["prompt"]) for m in models] == [("a/m", 8192, "0.000001")]
        endpoint = (await c.get("/models/a/m/endpoints")).json()["data"]["endpoints"][0]
        assert (endpoint["status"], endpoint["uptime_last_30m"], endpoint["context_length"]) == (-1, 93.4, 8192)
        assert (await c.get("/models/a/other/endpoints")).status_code == 404
        body = (await c.post("/chat/completions", json={"model": "a/m", "messages": [
            {"role": "user", "content": "hi"}]})).json()
    usage = body["usage"]
    assert usage["cost"] == pytest.approx(usage["prompt_tokens"] * 1e-6 + usage["completion_tokens"] * 2e-6)


async def test_the_key_endpoint_tells_the_credit_and_refuses_a_request_without_a_key() -> None:
    """OpenRouter's `GET /api/v1/key`: the account's limit, what is left and what was used; no key, 401."""
    from tui.engine.sim.catalog import Account

    transport = sim(account=Account(limit=10.0, usage=2.5))
    async with client(transport) as c:
        refused = await c.get("/key")
        answered = await c.get("/key", headers={"Authorization": "Bearer sk-or-anything"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == 401
    data = answered.json()["data"]
    assert (answered.status_code, data["limit"], data["limit_remaining"], data["usage"]) == (200, 10.0, 7.5, 2.5)
    assert transport.requests == [(None, "/api/v1/key"), (None, "/api/v1/key")]
    async with client(sim()) as c:  # by default: no limit on the key
        unlimited = (await c.get("/key", headers={"Authorization": "Bearer k"})).json()["data"]
    assert (unlimited["limit"], unlimited["limit_remaining"]) == (None, None)
