"""A chain whose models speak different APIs, on one fault server: failover from one API to another,
tool calls as the answer, hedged first tokens across APIs, and a price-based spend estimate."""

from __future__ import annotations

from pathlib import Path

from faultbehaviours import Error, Stream
from faultserver import FaultServer

from tui.engine.api import ModelFallback
from tui.engine.config.loader import load_config
from tui.engine.conversation import ToolSpec
from tui.engine.events import (Answered, AttemptCancelled, AttemptFailed, ChainEvent, ChatMessage, ChatRequest,
                               ToolCallToken)

KEY = "sk-cross-api-0123456789abcdef"


def engine_for(tmp: Path, server: FaultServer, chain: str, policy: str = "{}") -> ModelFallback:
    path = tmp / "groups.yaml"
    path.write_text(f"""
providers:
  oa: {{base_url: {server.base_url}, api_key_env: MF_KEY}}
  claude: {{base_url: {server.url}, api: anthropic, api_key_env: MF_KEY}}
  google: {{base_url: {server.url}, api: gemini, api_key_env: MF_KEY}}
default_provider: oa
groups:
  g: {chain}
policy: {policy}
health: {{probe: none}}
""")
    return ModelFallback(load_config(path), state_path=tmp / "state.json", env={"MF_KEY": KEY})


async def run(engine: ModelFallback, request: ChatRequest | str = "hi") -> list[ChainEvent]:
    return [event async for event in engine.chat("g", request)]


async def test_failover_from_anthropic_to_gemini_answers_with_tool_calls(fault_server: FaultServer,
                                                                           tmp_path: Path) -> None:
    fault_server.script("claude-x", Error(529, "Overloaded"))
    fault_server.script("gemini-x", Stream(tokens=[], tool_calls=[
        {"id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}},
        {"id": "c2", "name": "get_weather", "arguments": {"city": "Rome"}}]))
    engine = engine_for(tmp_path, fault_server, "[{id: claude-x, provider: claude}, {id: gemini-x, provider: google}]")
    request = ChatRequest([ChatMessage("user", "Weather in Paris and Rome?")],
                          tools=(ToolSpec("get_weather", "Weather by city"),))
    events = await run(engine, request)
    await engine.aclose()
    [failed] = [e for e in events if isinstance(e, AttemptFailed)]
    assert (failed.attempt.model, failed.failure.kind.value, failed.action) == ("claude-x", "unavailable", "failover")
    final = events[-1]
    assert isinstance(final, Answered) and final.model == "gemini-x" and final.finish_reason == "tool_calls"
    assert final.content == ""
    assert [(c.name, c.input()) for c in final.tool_calls] == [("get_weather", {"city": "Paris"}),
                                                               ("get_weather", {"city": "Rome"})]
    assert {e.model for e in events if isinstance(e, ToolCallToken)} == {"gemini-x"}
    assert final.ttft_ms is not None  # a tool call is the first content


async def test_a_cut_anthropic_answer_restarts_on_an_openai_model(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("claude-x", Stream(tokens=["Half ", "an ", "answer"], cut_after=2))
    fault_server.script("gpt-x", Stream(tokens=["Whole"]))
    engine = engine_for(tmp_path, fault_server, "[{id: claude-x, provider: claude}, gpt-x]")
    events = await run(engine)
    await engine.aclose()
    final = events[-1]
    assert isinstance(final, Answered) and final.model == "gpt-x" and final.content == "Whole"
    assert [a.outcome for a in final.attempts] == ["failed", "ok"] and final.attempts[0].kind == "interrupted"


async def test_hedging_across_apis_first_token_wins(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("gemini-x", Stream(tokens=["late"], first_delay=3.0))
    fault_server.script("claude-x", Stream(tokens=["quick"]))
    engine = engine_for(tmp_path, fault_server, "[{id: gemini-x, provider: google}, {id: claude-x, provider: claude}]",
                        policy="{hedge: 0.2s, ttft_timeout: 5s}")
    events = await run(engine)
    await engine.aclose()
    final = events[-1]
    assert isinstance(final, Answered) and final.model == "claude-x" and final.content == "quick"
    [cancelled] = [e.attempt for e in events if isinstance(e, AttemptCancelled)]
    assert cancelled.model == "gemini-x"


async def test_a_configured_price_gives_an_estimate_when_no_cost_is_reported(fault_server: FaultServer,
                                                                             tmp_path: Path) -> None:
    fault_server.script("claude-x", Stream(tokens=["ok"]))
    engine = engine_for(tmp_path, fault_server,
                        "[{id: claude-x, provider: claude, price: {input: 3.00, output: 15.00}}]")
    events = await run(engine)
    await engine.aclose()
    final = events[-1]
    assert isinstance(final, Answered)
    usage = final.usage
    assert usage.cost is None and usage.prompt_tokens and usage.completion_tokens
    assert usage.estimated_cost == (usage.prompt_tokens * 3.0 + usage.completion_tokens * 15.0) / 1e6


async def test_the_vendors_listings_feed_preflight(fault_server: FaultServer, tmp_path: Path) -> None:
    """Gemini's `inputTokenLimit` and Anthropic's `max_input_tokens` become context lengths; an id a
    listing lacks is out as not_found with a did-you-mean, before any chat request."""
    from faultbehaviours import Listing

    fault_server.script("/v1beta/models", Listing({"gemini-2.5-flash": 1_048_576}, page_size=1))
    fault_server.script("/v1/models", Listing({"claude-sonnet-4-5": 200_000, "claude-haiku-4-5": 200_000}))
    path = tmp_path / "groups.yaml"
    path.write_text(f"""
providers:
  claude: {{base_url: {fault_server.url}, api: anthropic, api_key_env: MF_KEY, catalog: listing}}
  google: {{base_url: {fault_server.url}, api: gemini, api_key_env: MF_KEY, catalog: listing}}
default_provider: claude
groups:
  g: [claude-sonet-4-5, {{id: gemini-2.5-flash, provider: google}}, claude-haiku-4-5]
health: {{probe: none}}
""")
    engine = ModelFallback(load_config(path), state_path=tmp_path / "state.json", env={"MF_KEY": KEY})
    notes = await engine.preflight()
    await engine.aclose()
    assert [n.text for n in notes] == [
        "claude-sonet-4-5: not listed by claude; did you mean 'claude-sonnet-4-5'?"]
    assert engine.status("claude-sonet-4-5").kind == "not_found"
    assert engine.catalog.context_length("gemini-2.5-flash") == 1_048_576
    assert engine.catalog.context_length("claude-haiku-4-5") == 200_000
    assert not [r for r in fault_server.requests if "messages" in r.path or "generateContent" in r.path]


async def test_a_model_whose_api_cannot_carry_the_request_is_skipped_unblamed(fault_server: FaultServer,
                                                                                tmp_path: Path) -> None:
    from tui.engine.conversation import ImagePart, TextPart
    from tui.engine.events import AttemptSkipped, ChainFailed

    fault_server.script("gpt-x", Stream(tokens=["A cat."]))
    image = ChatRequest([ChatMessage("user", (TextPart("What is this?"), ImagePart(url="https://example.com/pic")))])
    engine = engine_for(tmp_path, fault_server, "[{id: gemini-x, provider: google}, gpt-x]")
    events = await run(engine, image)
    final = events[-1]
    assert isinstance(final, Answered) and final.model == "gpt-x"
    [skipped] = [e.attempt for e in events if isinstance(e, AttemptSkipped)]
    assert (skipped.model, skipped.kind) == ("gemini-x", "unsupported") and "image by URL" in (skipped.detail or "")
    assert engine.status("gemini-x").status not in ("disabled", "probing")  # not blamed
    assert not fault_server.requests_for("gemini-x")
    await engine.aclose()

    engine = engine_for(tmp_path, fault_server, "[{id: gemini-x, provider: google}]")
    events = await run(engine, image)
    await engine.aclose()
    assert isinstance(events[-1], ChainFailed) and events[-1].kind == "request_error"
