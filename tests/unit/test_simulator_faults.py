"""The simulated providers' stream faults, the demo script's first minute, and the real client and
engine on the simulator.
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
from sim_wire import (
    BASE,
    FAST,
    GROUPS_YAML,
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

from tui.engine.api import ModelFallback
from tui.engine.provider.client import Delta, Done, ProviderClient
from tui.engine.clock import FakeClock
from tui.engine.config import Policy, ProviderConfig
from tui.engine.config.loader import load_config
from tui.engine.sim.demo import demo_env, demo_transport
from tui.engine.events import (
    Answered,
    AttemptFailed,
    ChatMessage,
    ChatRequest,
    Restarted,
    Waiting,
)
from tui.engine.failures import FailureKind, ProviderError
from tui.engine.sim import (
    AuthFailure,
    Behaviour,
    ContentPolicy,
    ContextTooLong,
    CutMidStream,
    ErrorChunk,
    Hang,
    Healthy,
    KeepAlive,
    MalformedLine,
    NotFound,
    Quota,
    RateLimited,
    ServerErrorOnce,
    SimulatorTransport,
    SlowFirstToken,
    Unavailable,
)

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
            while not (await anext(lines)).startswith("data: "):
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
        async with client(sim({"m": Hang(after_tokens=3)}), timeout=None) as c, \
                c.stream("POST", "/chat/completions", json=body("m")) as r:
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
    async with client(split) as c, c.stream("POST", "/chat/completions", json=body("m", usage=True)) as r:
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
