"""Free signals before spent tokens: the providers' listings, context fit, and our own bad input."""

from __future__ import annotations

import pytest

from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.config import Config, HealthSettings, ModelConfig, Policy, ProviderConfig
from tui.engine.events import Answered, ChainFailed, ChatMessage, ChatRequest
from tui.engine.failures import FailureKind, ProviderError, RequestError
from tui.engine.policy.context_fit import estimate, too_long_for
from tui.engine.provider.catalog import parse_endpoints, parse_listing
from tui.engine.sim import Healthy, SimulatorTransport
from tui.engine.sim.catalog import Listing

FAST = Healthy(ttft=0.0, tokens_per_s=1e6)


def make_config(models: list[str], provider_catalog: str = "openrouter") -> Config:
    providers = {"or": ProviderConfig("or", "https://sim.invalid/v1", "SIM_KEY", catalog=provider_catalog)}
    policy = Policy()
    return Config(providers, "or", {"g": tuple(models)}, {m: ModelConfig(m, m, "or", policy) for m in models},
                  policy, HealthSettings(timeout=2.0))


def engine_for(models: list[str], catalog: dict[str, Listing], clock: FakeClock, **kw) -> tuple:
    transport = SimulatorTransport({}, default=FAST, catalog=catalog)
    engine = ModelFallback(make_config(models, **kw), clock=clock, transport=transport, env={"SIM_KEY": "k-1234567"})
    return engine, transport


async def test_a_model_not_listed_is_out_at_once_with_a_did_you_mean_and_costs_no_request() -> None:
    clock = FakeClock()
    engine, transport = engine_for(["anthropic/claude-3.5-sonet", "meta/llama"],
                                   {"anthropic/claude-3.5-sonnet": Listing(), "meta/llama": Listing(8192)}, clock)
    notes = await engine.preflight()
    assert [n.text for n in notes] == ["anthropic/claude-3.5-sonet: not listed by or; did you mean "
                                       "'anthropic/claude-3.5-sonnet'?"]
    status = engine.status("anthropic/claude-3.5-sonet")
    assert (status.status, status.kind, status.source) == ("disabled", "not_found", "auto")
    assert status.reason == "not listed by or; did you mean 'anthropic/claude-3.5-sonnet'?"
    answer = await engine.ask("g", "hi")
    assert answer.model == "meta/llama" and answer.attempts[0].outcome == "skipped"
    assert transport.request_count("anthropic/claude-3.5-sonet") == 0
    # listed again later (a typo fixed upstream, say): it comes back at the next pre-flight
    transport.catalog["anthropic/claude-3.5-sonet"] = Listing()
    assert await engine.preflight() == []
    assert engine.status("anthropic/claude-3.5-sonet").status != "disabled"
    await engine.aclose()


async def test_context_lengths_and_uptime_are_remembered_and_a_conversation_that_cannot_fit_is_skipped() -> None:
    clock = FakeClock()
    engine, transport = engine_for(["small", "big"], {"small": Listing(8192, uptime_30m=93.4), "big": Listing()},
                                   clock)
    await engine.preflight()
    assert engine.status("small").uptime == 93.4 and engine.status("small").to_json()["uptime"] == 93.4
    long_talk = [ChatMessage("user", "lorem ipsum dolor " * 2500)]  # ~45,000 characters
    answer = await engine.ask("g", long_talk)
    skipped = answer.attempts[0]
    assert (skipped.model, skipped.outcome, skipped.kind, skipped.detail) == (
        "small", "skipped", "context_length", "context 8k < ~11k")
    assert answer.model == "big" and transport.request_count("small") == 0
    assert engine.status("small").status == "healthy" or engine.status("small").status == "unknown"  # not blamed
    assert (await engine.ask("g", "a short question")).model == "small"
    clock.advance(16 * 60)  # uptime goes stale: no figure rather than an old one shown as current
    assert engine.status("small").uptime is None
    await engine.aclose()


def test_the_estimate_skips_only_when_sure() -> None:
    words = [ChatMessage("user", "word " * 1000)]  # 5,000 characters: ~1,250 tokens, surely more than 1,000
    assert estimate(words) == (1004, 1254)
    assert too_long_for(words, 1000) == "context 1.0k < ~1.3k"
    assert too_long_for(words, 1004) is None  # the low bound fits: send it
    assert too_long_for(words, None) is None
    spaces = [ChatMessage("user", "x" + " " * 100_000 + "y")]  # whitespace runs count once
    assert too_long_for(spaces, 10) is None


@pytest.mark.parametrize("body", [None, [], {"data": "x"}, {"data": {"id": 1}}, "<html>"])
def test_a_listing_of_the_wrong_shape_is_a_protocol_failure(body: object) -> None:
    with pytest.raises(ProviderError) as info:
        parse_listing(body)
    assert info.value.failure.kind is FailureKind.PROTOCOL


def test_listing_entries_of_the_wrong_shape_are_skipped() -> None:
    listing = parse_listing({"data": [{"id": "a", "context_length": 8192}, {"id": 3}, "x",
                                      {"id": "b", "context_length": "big", "top_provider": {"context_length": 4096}},
                                      {"id": "c", "context_length": float("nan")}]})
    assert {k: v.context_length for k, v in listing.items()} == {"a": 8192, "b": 4096, "c": None}


def test_endpoint_health_takes_the_best_uptime_and_ignores_nonsense() -> None:
    health = parse_endpoints({"data": {"endpoints": [{"uptime_last_30m": 61.7, "status": -5},
                                                     {"uptime_last_30m": 99.5, "status": 0},
                                                     {"uptime_last_30m": 400}, "x"]}})
    assert (health.uptime, health.any_up) == (99.5, True)
    assert parse_endpoints({"data": {"endpoints": []}}).uptime is None
    with pytest.raises(ProviderError):
        parse_endpoints({"data": []})


async def test_a_provider_without_a_catalog_is_never_asked_for_one() -> None:
    engine, transport = engine_for(["m"], {}, FakeClock(), provider_catalog="none")
    assert await engine.preflight() == []
    assert transport.requests == []
    await engine.aclose()


async def test_text_that_is_not_valid_unicode_is_a_request_error_before_any_request() -> None:
    """The API's entry point: a lone surrogate (undecodable input) is reported, nothing is sent."""
    engine, transport = engine_for(["m"], {}, FakeClock(), provider_catalog="none")
    with pytest.raises(RequestError, match="message 1 is not valid text"):
        engine.chat("g", "bad \udce9 byte")
    assert transport.requests == [] and engine.status("m").status == "unknown"
    await engine.aclose()


async def test_a_request_that_cannot_be_built_blames_no_model() -> None:
    """Below the API's check (a chain driven directly): the client's encoding failure ends the run
    as a request error; nothing is recorded against any model."""
    engine, transport = engine_for(["m", "n"], {}, FakeClock(), provider_catalog="none")
    request = ChatRequest([ChatMessage("user", "bad \udce9")])
    events = [e async for e in engine.chain.run("g", request)]
    assert isinstance(events[-1], ChainFailed) and events[-1].kind == "request_error"
    assert not any(isinstance(e, Answered) for e in events)
    assert transport.requests == [] and engine.store.data["models"] == {}
    await engine.aclose()
