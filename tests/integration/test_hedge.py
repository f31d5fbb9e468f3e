"""Hedged first tokens against the loopback fault server: real sockets, real silence.

A model with no token after `hedge` gets the next usable model beside it; the first token wins,
the other request is closed at once and not blamed; never two hedges at once, never after content.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from faultserver import FaultServer, Stream, error_json

from tui.engine.api import ModelFallback
from tui.engine.config.loader import load_config
from tui.engine.events import (Answered, AttemptCancelled, AttemptFailed, AttemptStarted, ChainEvent, ChainFailed,
                               Token)
from tui.engine.policy.hedge import AUTO_FLOOR_S, AUTO_WITHOUT_HISTORY_S, hedge_after
from tui.engine.state.health_record import HealthRecord

KEY = "sk-hedge-test-0123456789abcdef"


def engine_for(tmp: Path, server: FaultServer, hedge: str = "0.2s", ttft: str = "2s") -> ModelFallback:
    path = tmp / "groups.yaml"
    path.write_text(f"""
providers:
  loop: {{base_url: {server.base_url}, api_key_env: MF_KEY}}
groups:
  g: [slow, fast, third]
policy: {{ttft_timeout: {ttft}, stall_timeout: 2s, hedge: {hedge}}}
health: {{probe: none}}
""")
    return ModelFallback(load_config(path), state_path=tmp / "state.json", env={"MF_KEY": KEY})


async def run(engine: ModelFallback) -> list[ChainEvent]:
    return [event async for event in engine.chat("g", "hi")]


async def test_a_silent_model_gets_a_partner_and_the_first_token_wins(fault_server: FaultServer,
                                                                      tmp_path: Path) -> None:
    fault_server.script("slow", Stream(tokens=["late"], first_delay=3.0))
    fault_server.script("fast", Stream(tokens=["quick ", "answer"]))
    engine = engine_for(tmp_path, fault_server)
    events = await run(engine)
    final = events[-1]
    assert isinstance(final, Answered) and final.model == "fast" and final.content == "quick answer"
    started = [e for e in events if isinstance(e, AttemptStarted)]
    assert [(e.model, e.hedge) for e in started] == [("slow", False), ("fast", True)]
    [cancelled] = [e for e in events if isinstance(e, AttemptCancelled)]
    assert (cancelled.attempt.model, cancelled.attempt.outcome) == ("slow", "cancelled")
    assert cancelled.attempt.detail == "no token in 0.2 s → hedged"
    assert [a.outcome for a in final.attempts] == ["cancelled", "ok"]
    assert {t.model for t in events if isinstance(t, Token)} == {"fast"}
    # the slow model's socket was closed at once; what stays open is the winner's, pooled for reuse
    assert await fault_server.wait_connections(1, timeout=2.0)
    assert engine.status("slow").status not in ("disabled", "probing")  # not blamed for being slow
    assert "slow" not in engine.store.data["models"]
    await engine.aclose()


async def test_the_first_model_may_still_win_and_the_partner_is_cancelled(fault_server: FaultServer,
                                                                          tmp_path: Path) -> None:
    fault_server.script("slow", Stream(tokens=["slow ", "but ", "first"], first_delay=0.4))
    fault_server.script("fast", Stream(tokens=["never"], first_delay=3.0))
    engine = engine_for(tmp_path, fault_server)
    events = await run(engine)
    final = events[-1]
    assert isinstance(final, Answered) and final.model == "slow" and final.content == "slow but first"
    [cancelled] = [e.attempt for e in events if isinstance(e, AttemptCancelled)]
    assert (cancelled.model, cancelled.detail) == ("fast", "hedge cancelled: slow answered first")
    assert [(a.model, a.outcome) for a in final.attempts] == [("fast", "cancelled"), ("slow", "ok")]
    assert len(fault_server.requests_for("fast")) == 1
    assert await fault_server.wait_connections(1, timeout=2.0)  # the cancelled partner's socket is closed
    await engine.aclose()


async def test_a_failure_during_the_race_is_recorded_and_the_other_goes_on(fault_server: FaultServer,
                                                                           tmp_path: Path) -> None:
    fault_server.script("slow", error_json(503, "overloaded"))  # fails at once: no hedge needed
    fault_server.script("fast", Stream(tokens=["ok"]))
    engine = engine_for(tmp_path, fault_server)
    events = await run(engine)
    assert isinstance(events[-1], Answered) and events[-1].model == "fast"
    assert not any(e.hedge for e in events if isinstance(e, AttemptStarted))
    assert engine.status("slow").status == "disabled"  # the usual rules

    fault_server.script("fast", Stream(tokens=["ok"], first_delay=0.5))
    fault_server.script("third", Stream(tokens=["third ", "wins"], first_delay=0.8))
    engine.enable("slow")
    fault_server.script("slow", Stream(tokens=["x"], first_delay=0.25, error_after=0))  # silent, then an error
    events = await run(engine)
    failed = [e.attempt for e in events if isinstance(e, AttemptFailed)]
    assert [(a.model, a.outcome) for a in failed] == [("slow", "failed")]
    assert isinstance(events[-1], Answered) and events[-1].model == "fast"
    assert len(fault_server.requests_for("third")) == 0  # never a third request while two were in flight
    await engine.aclose()


async def test_never_a_hedge_after_a_token(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("slow", Stream(tokens=["first ", "then ", "slowly"], delay=0.8))  # gaps longer than the hedge
    fault_server.script("fast", Stream(tokens=["unused"]))
    engine = engine_for(tmp_path, fault_server, hedge="0.5s")
    events = await run(engine)
    assert isinstance(events[-1], Answered) and events[-1].model == "slow"
    assert fault_server.requests_for("fast") == []
    await engine.aclose()


async def test_at_most_two_in_flight_and_the_chain_goes_on_after_both_fail(fault_server: FaultServer,
                                                                           tmp_path: Path) -> None:
    fault_server.script("slow", Stream(tokens=["x"], first_delay=5.0))
    fault_server.script("fast", Stream(tokens=["x"], first_delay=5.0))
    fault_server.script("third", Stream(tokens=["third"]))
    engine = engine_for(tmp_path, fault_server, hedge="0.1s", ttft="0.6s")
    events = await run(engine)
    order = [(type(e).__name__, getattr(e, "model", None) or e.attempt.model) for e in events
             if isinstance(e, (AttemptStarted, AttemptFailed))]
    assert order == [("AttemptStarted", "slow"), ("AttemptStarted", "fast"), ("AttemptFailed", "slow"),
                     ("AttemptFailed", "fast"), ("AttemptStarted", "third")]
    assert isinstance(events[-1], Answered) and events[-1].model == "third"
    assert engine.status("slow").status == engine.status("fast").status == "disabled"  # timeouts, by the rules
    await engine.aclose()


async def test_no_hedge_partner_left_means_waiting_for_the_first(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("slow", Stream(tokens=["alone"], first_delay=0.4))
    engine = engine_for(tmp_path, fault_server)
    engine.disable("fast", None)
    engine.disable("third", None)
    events = await run(engine)
    assert isinstance(events[-1], Answered) and events[-1].model == "slow"
    assert [a.outcome for a in events[-1].attempts] == ["skipped", "skipped", "ok"]
    await engine.aclose()


async def test_all_failed_is_still_all_failed_under_a_hedge(fault_server: FaultServer, tmp_path: Path) -> None:
    for name in ("slow", "fast", "third"):
        fault_server.script(name, error_json(503, "down"))
    engine = engine_for(tmp_path, fault_server)
    events = await run(engine)
    assert isinstance(events[-1], ChainFailed) and events[-1].kind == "all_failed"
    await engine.aclose()


@pytest.mark.parametrize(("hedge", "ttfts", "expected"), [
    (None, [], None), (2.0, [], 2.0), ("auto", [100, 200], AUTO_WITHOUT_HISTORY_S),
    ("auto", [100] * 10, AUTO_FLOOR_S), ("auto", [1000] * 9 + [9000], 9.0),
    ("auto", [500 * i for i in range(1, 11)], 5.0),
])
def test_when_the_hedge_starts(hedge, ttfts: list[int], expected: float | None) -> None:
    from tui.engine.config import ModelConfig, Policy

    record = HealthRecord()
    for ms in ttfts:
        record.record(True, 0.0, ms, ttft_ms=ms)
    assert hedge_after(ModelConfig("m", "m", "p", Policy(hedge=hedge)), record) == expected
