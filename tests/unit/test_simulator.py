"""The simulated providers, over the wire: every behaviour through a plain httpx.AsyncClient,
then through the real ProviderClient (the failure kind each behaviour must produce) and the real
engine (the demo script's first minute).

The SSE is parsed here with a tiny helper on purpose, so the first tests pin the wire format
itself rather than what the engine's parser makes of it.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.engine.api import ModelFallback
from tui.engine.client import Delta, Done, ProviderClient
from tui.engine.clock import FakeClock
from tui.engine.config import Policy, ProviderConfig
from tui.engine.config_loader import load_config
from tui.engine.demo import DEMO_NOTICE, demo_env, demo_scripts, demo_transport
from tui.engine.events import Answered, AttemptFailed, ChatMessage, ChatRequest, Restarted, Waiting
from tui.engine.failures import FailureKind, ProviderError
from tui.engine.simulator import (
    AuthFailure, Behaviour, ChatsOnly, ContentPolicy, ContextTooLong, CutMidStream, ErrorChunk,
    Flaky, Hang, Healthy, HttpError, KeepAlive, MalformedLine, NotFound, Quota, RateLimited,
    Sequence, ServerErrorOnce, SimulatorTransport, SlowFirstToken, Timeline, Unavailable,
)

GROUPS_YAML = Path(__file__).resolve().parents[2] / "groups.yaml"
BASE = "https://sim.invalid/api/v1"
FAST = 1000.0  # speed for tests that don't measure time
MSGS = [{"role": "system", "content": "be brief"},
        {"role": "user", "content": "How do fallback chains work?"}]


def sim(scripts: dict[str, Behaviour] | None = None, **kw: Any) -> SimulatorTransport:
    kw.setdefault("speed", FAST)
    return SimulatorTransport(scripts or {}, **kw)


def client(transport: SimulatorTransport, **kw: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, base_url=BASE, **kw)


def body(model: str, *, stream: bool = True, usage: bool = False, **extra: Any) -> dict:
    out: dict[str, Any] = {"model": model, "messages": MSGS, "stream": stream, **extra}
    if usage:
        out["stream_options"] = {"include_usage": True}
    return out


def parse_sse(raw: bytes) -> list[Any]:
    """Events in order: dicts for JSON data, "[DONE]", ("comment", text) or ("bad", text)."""
    out: list[Any] = []
    for block in raw.decode("utf-8").split("\n\n"):
        for line in block.split("\n"):
            if line.startswith(":"):
                out.append(("comment", line[1:].strip()))
            elif line.startswith("data: "):
                data = line[6:]
                if data == "[DONE]":
                    out.append("[DONE]")
                    continue
                try:
                    out.append(json.loads(data))
                except ValueError:
                    out.append(("bad", data))
    return out


def content(events: list[Any]) -> str:
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in events
                   if isinstance(e, dict) and e.get("choices"))


def finishes(events: list[Any]) -> list[str]:
    return [e["choices"][0]["finish_reason"] for e in events
            if isinstance(e, dict) and e.get("choices") and e["choices"][0]["finish_reason"]]


async def stream_raw(c: httpx.AsyncClient, payload: dict) -> tuple[int, bytes, BaseException | None]:
    """Status, the bytes received, and the exception that ended the body (if any)."""
    raw = b""
    async with c.stream("POST", "/chat/completions", json=payload) as r:
        try:
            async for piece in r.aiter_raw():
                raw += piece
        except httpx.TransportError as exc:
            return r.status_code, raw, exc
        return r.status_code, raw, None


async def run(transport: SimulatorTransport, payload: dict) -> tuple[int, list[Any], BaseException | None]:
    async with client(transport) as c:
        status, raw, exc = await stream_raw(c, payload)
    return status, parse_sse(raw), exc


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
    async with client(sim()) as c:
        async with c.stream("POST", "/chat/completions", content=payload) as r:
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
    async with client(t) as c:
        async with c.stream("POST", "/chat/completions", json=body("m")) as r:
            async for line in r.aiter_lines():
                if '"content":"' in line and '"role"' not in line:
                    break
    assert time.perf_counter() - start >= 0.09  # ttft 10 s / speed 100


# ---- scripted over time ---------------------------------------------------------------------


async def statuses(t: SimulatorTransport, model: str, n: int, clock: FakeClock | None = None,
                   step: float = 0.0) -> list[int]:
    out = []
    async with client(t) as c:
        for _ in range(n):
            r = await c.post("/chat/completions", json=body(model, stream=False, max_tokens=2))
            out.append(r.status_code)
            if clock:
                clock.advance(step)
    return out


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


# ---- stream faults --------------------------------------------------------------------------


async def test_cut_mid_stream_drops_the_connection() -> None:
    status, events, exc = await run(sim({"m": CutMidStream(after_tokens=12)}), body("m", usage=True))
    assert status == 200 and isinstance(exc, httpx.RemoteProtocolError)
    assert "[DONE]" not in events and finishes(events) == []
    assert len(events) == 13  # role + 12 tokens


async def test_cut_mid_stream_clean_end() -> None:
    status, events, exc = await run(sim({"m": CutMidStream(12, clean=True)}), body("m"))
    assert exc is None and "[DONE]" not in events and finishes(events) == []


async def test_cut_only_long_answers_and_only_times() -> None:
    t = sim({"m": CutMidStream(after_tokens=10, times=1)})
    _, probe, exc = await run(t, body("m", max_tokens=1))
    assert exc is None and probe[-1] == "[DONE]"  # too short to be cut; does not use it up
    _, first, exc = await run(t, body("m"))
    assert isinstance(exc, httpx.RemoteProtocolError)
    _, second, exc = await run(t, body("m"))
    assert exc is None and second[-1] == "[DONE]"


async def test_cut_non_streamed_body() -> None:
    async with client(sim({"m": CutMidStream(5)})) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            await c.post("/chat/completions", json=body("m", stream=False))


async def test_error_chunk() -> None:
    _, events, exc = await run(sim({"m": ErrorChunk(after_tokens=4, code=502)}), body("m"))
    assert exc is None and "[DONE]" not in events
    last = events[-1]
    assert last["error"]["code"] == 502 and last["error"]["message"]
    assert last["choices"][0]["finish_reason"] == "error"
    assert len(content(events[:-1])) > 0 and len(events) == 6  # role + 4 tokens + error


async def test_error_chunk_first_and_only() -> None:
    _, events, _ = await run(sim({"m": ErrorChunk(after_tokens=0, code=503, done=True)}), body("m"))
    assert len(events) == 2 and events[0]["error"]["code"] == 503 and events[1] == "[DONE]"


async def test_error_chunk_non_streamed_is_error_in_200() -> None:
    async with client(sim({"m": ErrorChunk(3)})) as c:
        r = await c.post("/chat/completions", json=body("m", stream=False))
    assert r.status_code == 200 and r.json()["error"]["code"] == 502 and "choices" not in r.json()


async def test_malformed_lines_then_the_stream_continues() -> None:
    _, events, _ = await run(sim({"m": MalformedLine(after_tokens=5, count=2)}), body("m"))
    bad = [i for i, e in enumerate(events) if isinstance(e, tuple) and e[0] == "bad"]
    assert bad == [6, 7]  # after role + 5 tokens
    assert events[-1] == "[DONE]" and finishes(events) == ["stop"]


async def test_keepalive_comments_before_first_token() -> None:
    t = sim({"m": KeepAlive(Healthy(), comments=3, interval=0.5)})
    _, events, _ = await run(t, body("m"))
    assert events[:3] == [("comment", "OPENROUTER PROCESSING")] * 3
    assert events[3]["choices"][0]["delta"]["role"] == "assistant"
    assert sum(1 for e in events if isinstance(e, tuple)) == 3


async def test_keepalive_until_first_token() -> None:
    t = sim({"m": KeepAlive(SlowFirstToken(delay=10), comments=None, interval=1)}, speed=100)
    start = time.perf_counter()
    _, events, _ = await run(t, body("m"))
    assert sum(1 for e in events if isinstance(e, tuple)) == 10
    assert time.perf_counter() - start >= 0.09


async def test_keepalive_keeps_a_read_timeout_from_firing() -> None:
    slow = SlowFirstToken(delay=20, answer_tokens=3)
    alive = sim({"m": KeepAlive(slow, comments=None, interval=2)}, speed=100)
    async with client(alive, timeout=httpx.Timeout(0.05)) as c:
        _, raw, exc = await stream_raw(c, body("m"))
    assert exc is None and parse_sse(raw)[-1] == "[DONE]"
    async with client(sim({"m": slow}, speed=100), timeout=httpx.Timeout(0.05)) as c:
        _, raw, exc = await stream_raw(c, body("m"))
    assert isinstance(exc, httpx.ReadTimeout)


async def test_slow_first_token_sends_role_at_once() -> None:
    t = sim({"m": SlowFirstToken(delay=15)}, speed=100)
    async with client(t) as c:
        start = time.perf_counter()
        async with c.stream("POST", "/chat/completions", json=body("m")) as r:
            lines = r.aiter_lines()
            first = json.loads((await anext(lines))[6:])
            role_at = time.perf_counter() - start
            while not (line := await anext(lines)).startswith("data: "):
                pass
            token_at = time.perf_counter() - start
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert role_at < 0.1 and token_at >= 0.14


async def test_hang_is_cancellable() -> None:
    async with client(sim({"m": Hang()}), timeout=None) as c:
        start = time.perf_counter()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(c.post("/chat/completions", json=body("m")), 0.2)
        assert time.perf_counter() - start < 1.0


async def test_hang_honours_the_read_timeout() -> None:
    async with client(sim({"m": Hang()}), timeout=httpx.Timeout(0.05)) as c:
        with pytest.raises(httpx.ReadTimeout):
            await c.post("/chat/completions", json=body("m"))


async def test_hang_mid_stream_stalls_after_tokens() -> None:
    got: list[str] = []

    async def consume() -> None:
        async with client(sim({"m": Hang(after_tokens=3)}), timeout=None) as c:
            async with c.stream("POST", "/chat/completions", json=body("m")) as r:
                async for line in r.aiter_lines():
                    if line:
                        got.append(line)

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(consume(), 0.3)
    assert len(got) == 4  # role + 3 tokens, then silence


async def test_fragmented_stream_reassembles_to_the_same_bytes() -> None:
    plain = sim({"m": Healthy()}, seed=9)
    split = sim({"m": Healthy(fragment=True)}, seed=9)
    async with client(plain) as c:
        _, whole, _ = await stream_raw(c, body("m", usage=True))
    pieces: list[bytes] = []
    async with client(split) as c:
        async with c.stream("POST", "/chat/completions", json=body("m", usage=True)) as r:
            async for piece in r.aiter_raw():
                pieces.append(piece)
    assert b"".join(pieces) == whole
    assert len(pieces) > 2 * len(parse_sse(whole))


@settings(max_examples=25, deadline=None)
@given(length=st.integers(1, 150), cap=st.one_of(st.none(), st.integers(1, 150)),
       seed=st.integers(0, 2**16))
def test_stream_and_json_agree(length: int, cap: int | None, seed: int) -> None:
    async def both() -> tuple[list[Any], dict]:
        extra = {"max_tokens": cap} if cap else {}
        _, events, _ = await run(sim({"m": Healthy(answer_tokens=length)}, seed=seed, speed=1e6),
                                 body("m", usage=True, **extra))
        async with client(sim({"m": Healthy(answer_tokens=length)}, seed=seed, speed=1e6)) as c:
            r = await c.post("/chat/completions", json=body("m", stream=False, **extra))
        return events, r.json()

    events, data = asyncio.run(both())
    n = min(length, cap or length)
    assert content(events) == data["choices"][0]["message"]["content"]
    assert events[-2]["usage"]["completion_tokens"] == data["usage"]["completion_tokens"] == n
    assert finishes(events) == [data["choices"][0]["finish_reason"]]
    assert finishes(events) == ["length" if cap is not None and cap < length else "stop"]


# ---- demo -----------------------------------------------------------------------------------


async def test_demo_first_minute() -> None:
    """The documented timeline, walked with a fake clock: failover, cut, probe fails, recovery."""
    clock = FakeClock()
    t = demo_transport(clock=clock, speed=FAST)
    sonnet, gpt4, coder = ("anthropic/claude-3.5-sonnet", "openai/gpt-4-turbo",
                           "deepseek/deepseek-coder")
    # A start-up health probe (1 token) finds gpt-4-turbo healthy and leaves its cut for a chat.
    assert (await run(t, body(gpt4, max_tokens=1)))[1][-1] == "[DONE]"
    # 0 s: the first coding chat fails over twice and deepseek-coder answers.
    assert (await run(t, body(sonnet)))[0] == 503
    status, partial, exc = await run(t, body(gpt4))
    assert status == 200 and isinstance(exc, httpx.RemoteProtocolError) and content(partial)
    _, answer, exc = await run(t, body(coder, usage=True))
    assert exc is None and answer[0][0] == "comment" and answer[-1] == "[DONE]"
    # 10 s: half-open probes. claude still 503 (next cooldown 20 s); gpt-4-turbo passes.
    clock.advance(10)
    assert (await run(t, body(sonnet, max_tokens=1)))[0] == 503
    assert (await run(t, body(gpt4, max_tokens=1)))[1][-1] == "[DONE]"
    _, again, exc = await run(t, body(gpt4))  # cut only once
    assert exc is None and again[-1] == "[DONE]"
    # 30 s: claude's second probe succeeds, and it answers chats again.
    clock.advance(20)
    assert (await run(t, body(sonnet, max_tokens=1)))[1][-1] == "[DONE]"
    assert content((await run(t, body(sonnet)))[1]).startswith("### Simulated answer from")
    # fast: haiku's probe is fine; its first real chat is a 429 with a 1 s Retry-After, then ok.
    haiku = "anthropic/claude-3-haiku"
    assert (await run(t, body(haiku, max_tokens=1)))[0] == 200
    async with client(t) as c:
        r = await c.post("/chat/completions", json=body(haiku))
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert (await run(t, body(haiku)))[1][-1] == "[DONE]"
    # cheap: llama healthy; mistral healthy at first, flaky later (fixed by the seed).
    assert await statuses(t, "meta-llama/llama-3.1-8b-instruct", 3) == [200] * 3
    mistral = await statuses(t, "mistralai/mistral-7b-instruct", 12)
    assert mistral[0] == 200 and 503 in mistral
    assert mistral == await statuses(demo_transport(speed=FAST), "mistralai/mistral-7b-instruct", 12)


async def test_demo_covers_the_default_groups_and_env() -> None:
    config = load_config(GROUPS_YAML)
    assert set(demo_scripts()) == {m.id for m in config.models.values()}
    assert demo_env() == {"OPENROUTER_API_KEY": "demo-no-key-needed"}
    assert demo_env(config) == {"OPENROUTER_API_KEY": "demo-no-key-needed"}
    assert "no network" in DEMO_NOTICE and "no API key" in DEMO_NOTICE
    status, events, _ = await run(demo_transport(speed=FAST), body("someone/unscripted"))
    assert status == 200 and events[-1] == "[DONE]"


# ---- the real client and chain on the simulator ---------------------------------------------
K = FailureKind
PROVIDER = ProviderConfig("openrouter", BASE, "OPENROUTER_API_KEY")
QUICK = Policy(ttft_timeout=0.1, stall_timeout=0.2)


async def client_outcome(behaviour: Behaviour, *, stream: bool = True, speed: float = 100.0
                         ) -> tuple[FailureKind | None, str, Done | ProviderError]:
    """(failure kind or None, text or partial, the Done or the error) for one chat."""
    t = SimulatorTransport({"m": behaviour}, speed=speed)
    pc = ProviderClient(PROVIDER, transport=t, env=demo_env())
    text = ""
    try:
        async for ev in pc.chat("m", ChatRequest([ChatMessage("user", "hi")], stream=stream), QUICK):
            if isinstance(ev, Delta):
                text += ev.text
            else:
                return None, text, ev
    except ProviderError as exc:
        return exc.failure.kind, exc.partial, exc
    finally:
        await pc.aclose()
    raise AssertionError("chat ended without Done")


@pytest.mark.parametrize(("behaviour", "kind", "partial"), [
    (Healthy(), None, True),
    (Healthy(fragment=True), None, True),
    (KeepAlive(Healthy(), comments=3, interval=0.5), None, True),
    (MalformedLine(after_tokens=3, count=1), None, True),  # one bad line is skipped
    (RateLimited(retry_after=2.0), K.RATE_LIMITED, False),
    (Unavailable(), K.UNAVAILABLE, False),
    (ServerErrorOnce(), K.SERVER_ERROR, False),
    (Quota(), K.QUOTA, False),
    (Quota(status=429), K.QUOTA, False),
    (AuthFailure(), K.AUTH, False),
    (NotFound(), K.NOT_FOUND, False),
    (ContextTooLong(), K.CONTEXT_LENGTH, False),
    (ContentPolicy(), K.CONTENT_POLICY, False),
    (Hang(), K.TIMEOUT, False),
    (SlowFirstToken(delay=15), K.TIMEOUT, False),
    (KeepAlive(SlowFirstToken(delay=15), comments=None, interval=1), K.TIMEOUT, False),
    (CutMidStream(after_tokens=10), K.INTERRUPTED, True),
    (CutMidStream(after_tokens=10, clean=True), K.INTERRUPTED, True),
    (ErrorChunk(after_tokens=5, code=502), K.INTERRUPTED, True),  # error chunk after content
    (ErrorChunk(after_tokens=0, code=502), K.UNAVAILABLE, False),  # first and only event
    (MalformedLine(after_tokens=3, count=3), K.INTERRUPTED, True),  # three make it interrupted
    (Hang(after_tokens=3), K.INTERRUPTED, True),  # a stall after content
])
async def test_provider_client_streamed(behaviour: Behaviour, kind: FailureKind | None,
                                        partial: bool) -> None:
    got, text, result = await client_outcome(behaviour)
    assert got is kind, result
    assert bool(text) is partial
    if kind is None:
        assert isinstance(result, Done) and result.finish_reason == "stop"
        assert result.usage is not None and result.usage.completion_tokens


@pytest.mark.parametrize(("behaviour", "kind"), [
    (Healthy(), None),
    (MalformedLine(3, count=3), None),  # a JSON body has no SSE lines to break
    (ErrorChunk(after_tokens=5), K.UNAVAILABLE),  # OpenRouter's error inside a 200 body
    (CutMidStream(after_tokens=10), K.INTERRUPTED),
    (RateLimited(), K.RATE_LIMITED),
    (Hang(), K.TIMEOUT),
])
async def test_provider_client_json(behaviour: Behaviour, kind: FailureKind | None) -> None:
    got, _, result = await client_outcome(behaviour, stream=False)
    assert got is kind, result


async def test_provider_client_rate_limit_carries_retry_after() -> None:
    _, _, result = await client_outcome(RateLimited(retry_after=2.0))
    assert isinstance(result, ProviderError) and result.failure.retry_after_s == 2.0


async def test_provider_client_lists_the_scripted_models() -> None:
    pc = ProviderClient(PROVIDER, transport=sim({"a/x": Healthy(), "b/y": Hang()}), env=demo_env())
    try:
        assert await pc.list_models(1.0) == ["a/x", "b/y"]
    finally:
        await pc.aclose()


async def test_demo_first_minute_through_the_engine(tmp_path: Path) -> None:
    """The real engine (chain, breaker, probes) on the demo script, with a fake clock."""
    clock = FakeClock()
    engine = ModelFallback(load_config(GROUPS_YAML), state_path=tmp_path / "state.json",
                           clock=clock, transport=demo_transport(clock=clock, speed=100),
                           env=demo_env())
    sonnet, gpt4 = "anthropic/claude-3.5-sonnet", "openai/gpt-4-turbo"

    async def ask(group: str) -> list[Any]:
        return [e async for e in engine.chat(group, "Show me a fallback chain")]

    try:
        events = await ask("coding")  # 0 s
        failed = [(e.attempt.model, e.failure.kind, e.attempt.cooldown_s)
                  for e in events if isinstance(e, AttemptFailed)]
        assert failed == [(sonnet, K.UNAVAILABLE, 10), (gpt4, K.INTERRUPTED, 10)]
        assert [e.model for e in events if isinstance(e, Restarted)] == [gpt4]
        assert events[-1].model == "deepseek/deepseek-coder"
        clock.advance(10)  # cooldowns over: half-open probes
        probes = {r.model: r.ok for r in await engine.monitor.trials()}
        assert probes == {sonnet: False, gpt4: True}
        assert engine.status(sonnet).remaining_s == pytest.approx(20)
        assert (await ask("coding"))[-1].model == gpt4  # sonnet still out; gpt-4 cut only once
        clock.advance(20)  # 30 s: sonnet recovered by its second probe
        assert {r.model: r.ok for r in await engine.monitor.trials()} == {sonnet: True}
        assert engine.availability.of(sonnet).state == "available"  # breaker closed again
        assert (await ask("coding"))[-1].model == sonnet
        fast = await ask("fast")  # a 429 with Retry-After: 1 s, waited out, then answered
        assert [e.seconds for e in fast if isinstance(e, Waiting)] == [1.0]
        assert isinstance(fast[-1], Answered) and fast[-1].model == "anthropic/claude-3-haiku"
        assert (await ask("cheap"))[-1].model == "meta-llama/llama-3.1-8b-instruct"
    finally:
        await engine.aclose()
