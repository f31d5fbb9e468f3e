"""The chain's policy with a scripted client: retries, skips, failover, restarts, stops."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from tui.engine.state.availability import Availability
from tui.engine.policy.chain import FallbackChain
from tui.engine.provider.client import Delta, Done
from tui.engine.provider.openai import OpenAIAdapter
from tui.engine.clock import FakeClock
from tui.engine.config import Config, ModelConfig, Policy, ProviderConfig
from tui.engine.events import (Answered, AttemptSkipped, ChainFailed, ChatMessage,
                               ChatRequest, Restarted, Token, Usage, Waiting)
from tui.engine.failures import Failure, FailureKind, ProviderError
from tui.engine.state.health_record import HealthBook
from tui.engine.state.file_store import FileStore

POLICY = Policy(cooldown_base=10, cooldown_factor=2, cooldown_max=300, retry_after_wait=5)


def ok(text: str = "hello world") -> list:
    return [Delta(text[: len(text) // 2]), Delta(text[len(text) // 2:]), Done("stop", Usage(3, 2, 5), "served")]


def fail(kind: FailureKind, status: int | None = None, partial: str = "", **kw) -> ProviderError:
    return ProviderError(Failure(kind, detail=f"{kind.value} detail", status=status, **kw), partial)


class FakeClient:
    """Plays a script per model: each request takes the next entry (the last repeats)."""

    def __init__(self, scripts: dict, has_key: bool = True) -> None:
        self.scripts = scripts
        self.calls: dict[str, int] = defaultdict(int)
        self._has_key = has_key

    def has_key(self) -> bool:
        return self._has_key

    adapter = OpenAIAdapter("http://127.0.0.1:9/v1")  # the fakes speak OpenAI's API

    def key_fingerprint(self) -> str | None:
        return "fp"

    async def chat(self, model_id, request, policy, *, max_tokens=None):
        script = self.scripts[model_id]
        entry = script[min(self.calls[model_id], len(script) - 1)]
        self.calls[model_id] += 1
        if isinstance(entry, ProviderError):
            if entry.partial:
                yield Delta(entry.partial)
            raise entry
        for item in entry:
            yield item


def build(scripts: dict, *, group=("a", "b", "c"), other_provider: dict | None = None, has_key: bool = True):
    clock = FakeClock()
    providers = {"p": ProviderConfig("p", "http://127.0.0.1:9/v1", "K")}
    models = {name: ModelConfig(name, name, "p", POLICY) for name in scripts}
    clients = {"p": FakeClient(scripts, has_key)}
    if other_provider:
        providers["q"] = ProviderConfig("q", "http://127.0.0.1:8/v1", None)
        models.update({n: ModelConfig(n, n, "q", POLICY) for n in other_provider})
        clients["q"] = FakeClient(other_provider)
    config = Config(providers, "p", {"g": tuple(group)}, models, POLICY)
    av = Availability(config, FileStore(None), clock)
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    chain = FallbackChain(config, clients, av, HealthBook(), clock, sleep=fake_sleep)
    return chain, clients, av, clock, sleeps


async def run(chain, start_after=None) -> list:
    req = ChatRequest([ChatMessage("user", "hi")])
    return [e async for e in chain.run("g", req, start_after=start_after)]


def final(events):
    assert isinstance(events[-1], (Answered, ChainFailed))
    return events[-1]


async def test_first_healthy_model_answers() -> None:
    chain, clients, *_ = build({"a": [ok()], "b": [ok()], "c": [ok()]})
    events = await run(chain)
    answer = final(events)
    assert isinstance(answer, Answered)
    assert (answer.model, answer.content, answer.reported_model, answer.finish_reason) == ("a", "hello world",
                                                                                          "served", "stop")
    assert [a.outcome for a in answer.attempts] == ["ok"]
    assert "".join(e.text for e in events if isinstance(e, Token)) == "hello world"
    assert clients["p"].calls == {"a": 1}


async def test_503_fails_over_and_cools_the_model_down() -> None:
    chain, clients, av, clock, _ = build({"a": [fail(FailureKind.UNAVAILABLE, 503)], "b": [ok()], "c": [ok()]})
    answer = final(await run(chain))
    assert answer.model == "b"
    first = answer.attempts[0]
    assert (first.outcome, first.kind, first.status, first.cooldown_s) == ("failed", "unavailable", 503, 10)
    assert av.of("a").state == "disabled"
    # second request inside the cooldown: a is skipped, no request reaches it
    events = await run(chain)
    skipped = [e for e in events if isinstance(e, AttemptSkipped)]
    assert skipped and skipped[0].attempt.model == "a" and skipped[0].attempt.kind == "disabled"
    assert clients["p"].calls["a"] == 1
    # after the cooldown the next real request is the half-open trial
    clock.advance(10)
    assert av.of("a").state == "probing"
    answer = final(await run(chain))
    assert answer.model == "b"  # a still fails: re-opened with the next cooldown
    assert answer.attempts[0].cooldown_s == 20


async def test_short_retry_after_is_waited_and_the_same_model_retried() -> None:
    chain, clients, av, _, sleeps = build(
        {"a": [fail(FailureKind.RATE_LIMITED, 429, retry_after_s=2.0), ok()], "b": [ok()], "c": [ok()]})
    events = await run(chain)
    answer = final(events)
    assert answer.model == "a"
    assert sleeps == [2.0]
    assert [a.outcome for a in answer.attempts] == ["retried", "ok"]
    waits = [e for e in events if isinstance(e, Waiting)]
    assert waits and waits[0].seconds == 2.0
    assert av.of("a").state == "available"


async def test_long_retry_after_fails_over_with_it_as_the_cooldown() -> None:
    chain, _, av, _, sleeps = build(
        {"a": [fail(FailureKind.RATE_LIMITED, 429, retry_after_s=30.0)], "b": [ok()], "c": [ok()]})
    answer = final(await run(chain))
    assert answer.model == "b" and sleeps == []
    assert answer.attempts[0].cooldown_s == 30


async def test_server_error_gets_one_quick_retry_then_fails_over() -> None:
    chain, clients, _, _, sleeps = build({"a": [fail(FailureKind.SERVER_ERROR, 500)], "b": [ok()], "c": [ok()]})
    answer = final(await run(chain))
    assert answer.model == "b"
    assert clients["p"].calls["a"] == 2
    assert len(sleeps) == 1 and 0.05 <= sleeps[0] <= 0.25
    assert [a.outcome for a in answer.attempts] == ["retried", "failed", "ok"]


async def test_server_error_once_then_healthy_answers_from_the_same_model() -> None:
    chain, clients, *_ = build({"a": [fail(FailureKind.SERVER_ERROR, 500), ok()], "b": [ok()], "c": [ok()]})
    answer = final(await run(chain))
    assert answer.model == "a" and clients["p"].calls["a"] == 2


async def test_timeout_fails_over_at_once() -> None:
    chain, clients, _, _, sleeps = build({"a": [fail(FailureKind.TIMEOUT)], "b": [ok()], "c": [ok()]})
    answer = final(await run(chain))
    assert answer.model == "b" and clients["p"].calls["a"] == 1 and sleeps == []


async def test_interrupted_partial_is_kept_and_the_answer_restarts() -> None:
    chain, *_ = build({"a": [fail(FailureKind.INTERRUPTED, partial="half an ans")], "b": [ok("full answer")],
                       "c": [ok()]})
    events = await run(chain)
    restarted = [e for e in events if isinstance(e, Restarted)]
    assert restarted == [Restarted("a", "half an ans")]
    answer = final(events)
    assert answer.model == "b" and answer.content == "full answer"  # never the partial glued on


async def test_a_server_error_after_content_is_not_retried_on_the_same_model() -> None:
    chain, clients, *_ = build({"a": [fail(FailureKind.SERVER_ERROR, 500, partial="abc")], "b": [ok()], "c": [ok()]})
    answer = final(await run(chain))
    assert answer.model == "b" and clients["p"].calls["a"] == 1


async def test_content_policy_stops_the_chain_and_can_continue_after() -> None:
    chain, clients, av, *_ = build({"a": [fail(FailureKind.CONTENT_POLICY, 403)], "b": [ok()], "c": [ok()]})
    result = final(await run(chain))
    assert isinstance(result, ChainFailed)
    assert (result.kind, result.stopped_at) == ("content_policy", "a")
    assert clients["p"].calls.get("b", 0) == 0
    assert av.of("a").state == "available"  # request scope: nothing disabled
    answer = final(await run(chain, start_after="a"))  # "try next model"
    assert answer.model == "b"


async def test_context_length_fails_over_without_disabling() -> None:
    chain, _, av, *_ = build({"a": [fail(FailureKind.CONTEXT_LENGTH, 400)], "b": [ok()], "c": [ok()]})
    answer = final(await run(chain))
    assert answer.model == "b" and av.of("a").state == "available"
    assert answer.attempts[0].cooldown_s is None


async def test_quota_blocks_the_provider_and_skips_its_other_models() -> None:
    chain, clients, *_ = build({"a": [fail(FailureKind.QUOTA, 402)], "b": [ok()]}, group=("a", "b", "c"),
                               other_provider={"c": [ok()]})
    events = await run(chain)
    answer = final(events)
    assert answer.model == "c"
    skipped = [e.attempt for e in events if isinstance(e, AttemptSkipped)]
    assert [(s.model, s.kind) for s in skipped] == [("b", "blocked")]
    assert clients["p"].calls.get("b", 0) == 0


async def test_missing_key_skips_with_no_key() -> None:
    chain, clients, *_ = build({"a": [ok()]}, group=("a", "c"), has_key=False, other_provider={"c": [ok()]})
    events = await run(chain)
    assert final(events).model == "c"
    assert [e.attempt.kind for e in events if isinstance(e, AttemptSkipped)] == ["no_key"]


async def test_all_failed_names_the_earliest_return() -> None:
    chain, _, av, *_ = build({"a": [fail(FailureKind.UNAVAILABLE, 503)], "b": [fail(FailureKind.TIMEOUT)],
                              "c": [fail(FailureKind.NOT_FOUND, 404)]})
    av.disable("a", 5)  # a is skipped; b and c fail
    result = final(await run(chain))
    assert isinstance(result, ChainFailed) and result.kind == "all_failed"
    assert result.earliest_return_s == pytest.approx(5)
    assert "5s" in result.message
    assert [a.outcome for a in result.attempts] == ["skipped", "failed", "failed"]


async def test_cancellation_records_nothing_and_propagates() -> None:
    gate = asyncio.Event()

    class Hanging(FakeClient):
        async def chat(self, model_id, request, policy, *, max_tokens=None):
            yield Delta("x")
            await gate.wait()

    chain, clients, av, *_ = build({"a": [ok()], "b": [ok()], "c": [ok()]})
    chain.clients = {"p": Hanging({})}

    async def consume():
        return [e async for e in chain.run("g", ChatRequest([ChatMessage("user", "hi")]))]

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert av.of("a").state == "available"


async def test_events_are_ordered_started_tokens_final() -> None:
    chain, *_ = build({"a": [fail(FailureKind.UNAVAILABLE, 503)], "b": [ok()], "c": [ok()]})
    kinds = [type(e).__name__ for e in await run(chain)]
    assert kinds == ["AttemptStarted", "AttemptFailed", "AttemptStarted", "Token", "Token", "Answered"]


async def test_passive_health_is_recorded() -> None:
    chain, *_ = build({"a": [fail(FailureKind.UNAVAILABLE, 503)], "b": [ok()], "c": [ok()]})
    await run(chain)
    assert chain.health.get("a").status == "degraded" and chain.health.get("a").last_error_kind == "unavailable"
    assert chain.health.get("b").status == "healthy"
