"""The §4 failure table, end to end: every fault × streaming / non-streaming × first / last in its group,
through each provider API and each transport.

Each cell runs `ModelFallback.chat` against the real loopback FaultServer with short budgets
(ttft, stall and connect 0.2 s) and checks:
- the outcome: the answer from the right model, or a clean ChainFailed;
- the attempts recorded (model, outcome, kind, status) and the request count per model;
- what was disabled and for how long (`engine.status`), and that a follow-up request respects it;
- that no truncated answer is presented as complete (the final content is always a whole answer,
  a partial only ever appears as a `Restarted` event);
- that the call ended within its time budget;
- that the canary keys appear in no event, status row, state file or log record, and each key
  went only to its own provider.

Group `first` is `[bad, good]` (good on another provider, so provider-wide blocks leave it alone);
group `last` is `[pre, bad]` with `pre` disabled by hand, so the faulty model is the last resort.

The table (fault_table.py) runs in full on the OpenAI API over httpx's pool. Every row that an API's
wire can express runs again with `bad` speaking Anthropic's and Gemini's API (first position:
the chain's handling does not depend on the API, the wire's reading does), plus the kinds only
that API can express; and every OpenAI row runs again over aiohttp's pool (`MODELFALLBACK_HTTP`),
so the transport keeps every failure kind, resets and cuts included. `good` always speaks OpenAI's
API, so each cross-API cell is a failover from one API to another.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fault_table import APIS, BAD5_TEXT, FAULTS, HEADERS_SILENCE, NATIVE, SLOW_MIN, Fault
from faultserver import FaultServer, Stream, completion

from reliability_kit import (ALT_CANARY, BAD_TEXT_TOKENS, CANARY, GOOD_TEXT, GOOD_TOKENS, MARGIN, ROOMY, STALL,
                             assert_no_canary, drive, matrix_engine)
# httpx and each adapter loaded before any cell's clock starts (the engine imports them on first use,
# which on a loaded machine can take longer than a cell's 0.2 s budget)
import httpx  # noqa: F401
import tui.engine.provider.anthropic  # noqa: F401
import tui.engine.provider.gemini  # noqa: F401
from tui.engine.events import Answered, ChainFailed

KEY_HEADER = {"openai": ("authorization", "Bearer {}"), "anthropic": ("x-api-key", "{}"),
              "gemini": ("x-goog-api-key", "{}")}

def cells():
    """(fault, stream, position, api, transport): the whole table on OpenAI over httpx (ids as `NAME-MODE-POS`),
    then each other API's rows and its own (`API-NAME-MODE-first`), then OpenAI over aiohttp (`aiohttp-...`)."""
    def modes(fault: Fault):
        return [stream for stream in (True, False) if fault.behaviours(stream) is not None]

    for fault in FAULTS:
        for stream in modes(fault):
            for position in ("first", "last"):
                yield pytest.param(fault, stream, position, "openai", "httpx",
                                   id=f"{fault.name}-{'stream' if stream else 'plain'}-{position}")
    for api in APIS[1:]:
        for fault in [f.in_api(api) for f in FAULTS if api in f.apis] + NATIVE[api]:
            for stream in modes(fault):
                yield pytest.param(fault, stream, "first", api, "httpx",
                                   id=f"{api}-{fault.name}-{'stream' if stream else 'plain'}-first")
    for fault in FAULTS:
        for stream in modes(fault):
            yield pytest.param(fault, stream, "first", "openai", "aiohttp",
                               id=f"aiohttp-{fault.name}-{'stream' if stream else 'plain'}-first")


def good_behaviour(stream: bool):
    return Stream(tokens=GOOD_TOKENS) if stream else completion(GOOD_TEXT)


def assert_keys_went_to_their_own_provider(server: FaultServer, api: str = "openai") -> None:
    for request in server.requests:
        expected = ALT_CANARY if request.model == "good" else CANARY
        header, form = KEY_HEADER["openai" if request.model == "good" else api]
        assert request.headers.get(header) == form.format(expected), request.model
        other = CANARY if expected == ALT_CANARY else ALT_CANARY
        assert other not in json.dumps(request.headers) and other.encode() not in request.body


HELD_OPEN_STALL = 1.0


def deadlines(fault: Fault) -> dict[str, float]:
    """bad's connect, first-token and stall deadlines: the short ones where one of them ends the fault
    (a hang, silence or a stall: the rows that cost at least SLOW_MIN), roomy ones where the fault
    ends by itself (an error, a wait for Retry-After, a cut, malformed data), so a busy machine's
    pause never reads as a timeout. A stream held open after its last chunk is closed by the stall
    deadline (the finish grace is at most that deadline): HELD_OPEN_STALL, short enough to prove it
    within the budget's margin, long enough that a busy machine's pause between two chunks is no stall."""
    if fault.min_s == SLOW_MIN:
        return {}
    if fault.recovers and fault.budget == STALL:
        return {"ttft": ROOMY, "stall": HELD_OPEN_STALL, "connect": ROOMY}
    return {"ttft": ROOMY, "stall": ROOMY, "connect": ROOMY}


@pytest.mark.parametrize(("fault", "stream", "position", "api", "transport"), list(cells()))
async def test_fault_cell(fault: Fault, stream: bool, position: str, api: str, transport: str,
                          loop_server: FaultServer, tmp_path: Path, debug_logs, monkeypatch) -> None:
    if transport == "aiohttp":
        import tui.engine.provider.aiohttp_wire  # noqa: F401 - imported before the clock starts

        monkeypatch.setenv("MODELFALLBACK_HTTP", "aiohttp")
    tries = fault.tries_for(stream)
    loop_server.script("bad", [*fault.behaviours(stream)])
    loop_server.script("good", good_behaviour(stream))
    loop_server.script("pre", good_behaviour(stream))  # never asked: it is disabled by hand
    engine = matrix_engine(tmp_path, loop_server.base_url if api == "openai" else loop_server.url,
                           loop_server.base_url, api=api, **deadlines(fault))
    group = position
    if position == "last":
        engine.disable("pre", 3600, reason="out for the test")
    try:
        run = await drive(engine, group, stream=stream)
        final = run.final

        # -- attempts: skips, bad's tries, then who answered ------------------------------------------
        head = [("pre", "skipped", "disabled", None)] if position == "last" else []
        bad_rows = [("bad", outcome, kind, status) for outcome, kind, status in tries]
        if fault.recovers:
            expected_rows = head + bad_rows + [("bad", "ok", None, 200)]
        elif fault.stop or position == "last":
            expected_rows = head + bad_rows
        else:
            expected_rows = head + bad_rows + [("good", "ok", None, 200)]
        assert run.rows() == expected_rows
        assert len(loop_server.requests_for("bad")) == len(tries) + (1 if fault.recovers else 0)
        assert loop_server.requests_for("pre") == []

        # -- the outcome: a whole answer from the right model, or a clean failure ----------------------
        if fault.recovers:
            assert isinstance(final, Answered) and final.model == "bad"
            assert final.content == BAD5_TEXT and final.finish_reason == "stop"
        elif fault.stop:
            assert isinstance(final, ChainFailed) and final.kind == "content_policy" and final.stopped_at == "bad"
            assert fault.says in final.message
            assert loop_server.requests_for("good") == []
        elif position == "first":
            assert isinstance(final, Answered) and final.model == "good"
            assert final.content == GOOD_TEXT and final.finish_reason == "stop"
            assert len(loop_server.requests_for("good")) == 1
        else:
            assert isinstance(final, ChainFailed) and final.kind == "all_failed"
            assert "every model in 'last' failed" in final.message and "back in" in final.message
        assert sum(isinstance(e, (Answered, ChainFailed)) for e in run.events) == 1 and run.events[-1] is final

        # -- no truncated answer presented as complete -------------------------------------------------
        if fault.partial is not None:
            partial = "".join(BAD_TEXT_TOKENS[:fault.partial])
            assert [(r.model, r.partial) for r in run.restarts] == [("bad", partial)]
            assert run.streamed("bad") == partial  # it was shown while it streamed ...
            if isinstance(final, Answered):  # ... but the answer is the next model's, whole
                assert partial not in final.content
        else:
            assert run.restarts == []
        if isinstance(final, ChainFailed):
            assert BAD_TEXT_TOKENS[0] not in final.message

        # -- what is disabled, and for how long ------------------------------------------------------
        status = engine.status("bad")
        bad_attempt = [a for a in run.attempts if a.model == "bad"][len(tries) - 1] if tries else None
        if fault.scope == "model":
            assert (status.status, status.source, status.kind) == ("disabled", "auto", tries[-1][1])
            assert fault.out_s - run.elapsed - 1.0 <= status.remaining_s <= fault.out_s
            assert bad_attempt.cooldown_s == fault.out_s
            assert status.to_json()["remaining_s"] == pytest.approx(fault.out_s, abs=run.elapsed + 1.0)
        elif fault.scope == "provider":
            assert (status.status, status.remaining_s, status.kind) == ("blocked", None, tries[-1][1])
            assert bad_attempt.cooldown_s is None  # until enabled (or a new key)
            assert engine.status("good").usable  # another provider's model is untouched
        else:
            assert status.usable and status.status not in ("disabled", "blocked", "probing")
            assert bad_attempt is None or bad_attempt.cooldown_s is None
        if fault.scope != "model" or position == "first":
            assert engine.status("good").status in ("healthy", "unknown")

        # -- within the time budget --------------------------------------------------------------------
        assert fault.min_s <= run.elapsed < fault.budget + MARGIN, f"took {run.elapsed:.2f}s"
        if fault.min_s:
            assert run.elapsed >= fault.min_s
        retried = [kind for outcome, kind, _ in tries if outcome == "retried"]
        if retried == ["rate_limited"]:  # the provider's short Retry-After, waited visibly
            assert [(w.model, w.seconds) for w in run.waits] == [("bad", 0.2)]
        elif retried:  # the one quick jittered retry of a 5xx or a connection failure
            assert [w.model for w in run.waits] == ["bad"] and 0.05 <= run.waits[0].seconds <= 0.25
        else:
            assert run.waits == []

        # -- the follow-up request respects what was disabled -----------------------------------------
        before = len(loop_server.requests_for("bad"))
        if fault.stop:
            again = await drive(engine, group, stream=stream, start_after="bad")  # "try the next model"
            if position == "first":
                assert isinstance(again.final, Answered) and again.final.model == "good"
            else:
                assert isinstance(again.final, ChainFailed) and again.final.attempts == []
            assert len(loop_server.requests_for("bad")) == before
        else:
            again = await drive(engine, group, stream=stream)
            out = fault.scope in ("model", "provider")
            assert len(loop_server.requests_for("bad")) == before + (0 if out else 1)
            if out:
                skip = again.attempts[1 if position == "last" else 0]
                assert (skip.model, skip.outcome) == ("bad", "skipped")
                assert skip.kind == ("disabled" if fault.scope == "model" else "blocked")

        # -- secrets -------------------------------------------------------------------------------
        assert_keys_went_to_their_own_provider(loop_server, api)
        state_file = tmp_path / "state.json"
        state_text = state_file.read_text() if state_file.exists() else ""
        assert_no_canary(run.events, again.events, state_text, [s.to_json() for s in engine.statuses()],
                         list(engine.statuses()))
    finally:
        await engine.aclose()
    assert await loop_server.wait_connections(0, timeout=2.0), "a connection was left open"


async def test_cancelled_mid_stream_records_nothing_and_closes_the_connection(loop_server: FaultServer,
                                                                              tmp_path: Path, debug_logs) -> None:
    """Esc / Ctrl+C: the consumer stops iterating; nothing is disabled and the socket is closed."""
    loop_server.script("bad", Stream(tokens=BAD_TEXT_TOKENS, delay=0.05))
    engine = matrix_engine(tmp_path, loop_server.base_url)
    try:
        events = engine.chat("first", "hi")
        seen = []
        async for event in events:
            seen.append(event)
            if len([e for e in seen if type(e).__name__ == "Token"]) == 3:
                break
        await events.aclose()
        assert loop_server.requests_for("good") == []
        status = engine.status("bad")
        assert status.usable and status.status != "disabled"
        assert engine.store.data["models"] == {}
    finally:
        await engine.aclose()
    assert await loop_server.wait_connections(0, timeout=2.0)


def test_the_matrix_covers_every_failure_kind() -> None:
    """Every §4 kind but `cancelled` (tested above, it is the consumer's act) has a row that produces it."""
    from tui.engine.failures import FailureKind

    def produced(faults: list[Fault]) -> set[str]:
        return {kind for fault in faults for tries in ([fault.tries] if fault.tries else HEADERS_SILENCE.values())
                for _, kind, _ in tries}

    every = {k.value for k in FailureKind} - {"cancelled"}
    assert produced(FAULTS) == every
    for api in APIS[1:]:  # each API's wire produces every kind too
        assert produced([f.in_api(api) for f in FAULTS if api in f.apis] + NATIVE[api]) == every, api
