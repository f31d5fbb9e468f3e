"""The §4 failure table, end to end: every fault × streaming / non-streaming × first / last in its group.

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
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from faultserver import (Close, FaultServer, Hang, HeadersThenSilence, Json, Redirect, Reset, Stream, completion,
                         error_json)

from reliability_kit import (ALT_CANARY, BAD_TEXT_TOKENS, CANARY, GOOD_TEXT, GOOD_TOKENS, MARGIN, STALL, TTFT,
                             assert_no_canary, drive, matrix_engine)
from tui.engine.events import Answered, ChainFailed

BAD5 = BAD_TEXT_TOKENS[:5]
BAD5_TEXT = "".join(BAD5)
OK_STREAM = Stream(tokens=BAD5)
OK_PLAIN = completion(BAD5_TEXT)
SLOW_MIN = TTFT * 0.9  # a timeout may fire a hair early on the loop clock


@dataclass(frozen=True)
class Fault:
    """One row of the failure table, as the faulty model `bad` plays it."""

    name: str
    stream: list | None  # bad's behaviours for a streamed request (None: not applicable)
    plain: list | None  # ... for a non-streamed request
    tries: tuple[tuple[str, str, int | None], ...]  # bad's failed tries: (outcome, kind, status)
    scope: str = "model"  # model / provider / request / none (nothing to disable: it recovered)
    out_s: float | None = 10.0  # how long bad is out (model scope); None: until enabled (provider)
    recovers: bool = False  # bad answers after a same-model retry (or despite the fault)
    stop: bool = False  # the chain stops (content policy)
    partial: int | None = None  # tokens of bad's answer shown before an interruption
    min_s: float = 0.0  # the fault costs at least this long (a wait, a timeout)
    budget: float = 0.0  # ... and at most this long; the call must end within budget + MARGIN

    def behaviours(self, stream: bool) -> list | None:
        return self.stream if stream else self.plain


def both(*behaviours) -> dict:
    return {"stream": list(behaviours), "plain": list(behaviours)}


FAILED = "failed"
FAULTS = [
    Fault("429-short-retry-after",
          stream=[error_json(429, "Rate limit exceeded", headers={"Retry-After": "0.2"}), OK_STREAM],
          plain=[error_json(429, "Rate limit exceeded", headers={"Retry-After": "0.2"}), OK_PLAIN],
          tries=(("retried", "rate_limited", 429),), scope="none", recovers=True, min_s=0.2, budget=0.2),
    Fault("429-persistent", **both(error_json(429, "Rate limit exceeded", headers={"Retry-After": "30"})),
          tries=((FAILED, "rate_limited", 429),), out_s=30.0),
    Fault("500-once-then-healthy", stream=[error_json(500, "Internal Server Error"), OK_STREAM],
          plain=[error_json(500, "Internal Server Error"), OK_PLAIN],
          tries=(("retried", "server_error", 500),), scope="none", recovers=True, budget=0.25),
    Fault("500-persistent", **both(error_json(500, "Internal Server Error")),
          tries=(("retried", "server_error", 500), (FAILED, "server_error", 500)), budget=0.25),
    Fault("503-persistent", **both(error_json(503, "overloaded", type="overloaded_error")),
          tries=((FAILED, "unavailable", 503),)),
    Fault("504-gateway-timeout", **both(error_json(504, "Gateway Timeout")), tries=((FAILED, "timeout", 504),)),
    Fault("reset-before-headers", **both(Reset()),
          tries=(("retried", "connection", None), (FAILED, "connection", None)), budget=0.25),
    Fault("closed-before-headers", **both(Close()),
          tries=(("retried", "connection", None), (FAILED, "connection", None)), budget=0.25),
    Fault("accept-and-never-answer", **both(Hang()), tries=((FAILED, "timeout", None),), min_s=SLOW_MIN, budget=TTFT),
    Fault("first-token-after-20s", stream=[Stream(first_delay=20)],
          plain=[completion(BAD5_TEXT, delay=20)], tries=((FAILED, "timeout", None),), min_s=SLOW_MIN, budget=TTFT),
    Fault("headers-then-silence", stream=[HeadersThenSilence()],
          plain=[HeadersThenSilence(headers={"Content-Type": "application/json"})],
          tries=None, min_s=SLOW_MIN, budget=TTFT),  # tries per mode: see HEADERS_SILENCE below
    Fault("keepalive-comments-forever", stream=[Stream(keepalive_forever=True)], plain=None,
          tries=((FAILED, "timeout", None),), min_s=SLOW_MIN, budget=TTFT),
    Fault("stream-cut-after-40-tokens", stream=[Stream(tokens=BAD_TEXT_TOKENS, cut_after=40)], plain=None,
          tries=((FAILED, "interrupted", None),), partial=40),
    Fault("truncated-json-body", stream=None,
          plain=[Json(200, '{"id": "x", "choices": [{"index": 0, "message": {"content": "half an ans')],
          tries=((FAILED, "protocol", None),)),
    Fault("stall-after-20-tokens", stream=[Stream(tokens=BAD_TEXT_TOKENS, stall_after=20)], plain=None,
          tries=((FAILED, "interrupted", None),), partial=20, min_s=SLOW_MIN, budget=TTFT),
    Fault("stall-with-keepalive-comments", stream=[Stream(tokens=BAD_TEXT_TOKENS, stall_after=20,
                                                          stall_comments=True)], plain=None,
          tries=((FAILED, "interrupted", None),), partial=20, min_s=SLOW_MIN, budget=TTFT),
    Fault("one-malformed-chunk-skipped", stream=[Stream(tokens=BAD5, bad_after=2)], plain=None,
          tries=(), scope="none", recovers=True),
    Fault("three-malformed-chunks", stream=[Stream(tokens=BAD5, bad_after=2, bad_lines=3)], plain=None,
          tries=((FAILED, "interrupted", None),), partial=2),
    Fault("three-malformed-chunks-before-content", stream=[Stream(tokens=BAD5, bad_after=0, bad_lines=3)],
          plain=None, tries=((FAILED, "protocol", None),)),
    Fault("malformed-json-body", stream=None, plain=[Json(200, "this is not json")],
          tries=((FAILED, "protocol", None),)),
    Fault("complete-without-done", stream=[Stream(tokens=BAD5, done=False, chunked=False)], plain=None,
          tries=(), scope="none", recovers=True, budget=0.1),
    Fault("finish-without-done-held-open", stream=[Stream(tokens=BAD5, done=False, usage=False, hold_open=True)],
          plain=None, tries=(), scope="none", recovers=True, budget=STALL),
    Fault("all-content-but-no-finish-or-done",
          stream=[Stream(tokens=BAD5, finish_reason=None, usage=False, done=False, chunked=False)], plain=None,
          tries=((FAILED, "interrupted", None),), partial=5),
    Fault("empty-completion", stream=[Stream(tokens=0)],
          plain=[Json(200, {"choices": [{"message": {"role": "assistant", "content": ""}, "finish_reason": "stop"}]})],
          tries=((FAILED, "protocol", None),)),
    Fault("context-length", **both(error_json(400, "This model's maximum context length is 8192 tokens",
                                              code="context_length_exceeded", type="invalid_request_error")),
          tries=((FAILED, "context_length", 400),), scope="request", out_s=None),
    Fault("content-policy", **both(error_json(403, "Your input was flagged",
                                              metadata={"reasons": ["violence"], "flagged_input": "hi"})),
          tries=((FAILED, "content_policy", 403),), scope="request", out_s=None, stop=True),
    Fault("bad-request-422", **both(error_json(422, "Unprocessable Entity")),
          tries=((FAILED, "bad_request", 422),), scope="request", out_s=None),
    Fault("401-key-echoed", **both(error_json(401, f"Incorrect API key provided: {CANARY}. Bearer {CANARY}")),
          tries=((FAILED, "auth", 401),), scope="provider", out_s=None),
    Fault("402-credits", **both(error_json(402, "Insufficient credits")),
          tries=((FAILED, "quota", 402),), scope="provider", out_s=None),
    Fault("404-not-found", **both(error_json(404, "The model `bad` does not exist")),
          tries=((FAILED, "not_found", 404),), out_s=3600.0),
    Fault("200-with-error-body", **both(Json(200, {"error": {"code": 502, "message": "Provider returned error"}})),
          tries=((FAILED, "unavailable", 502),)),
    Fault("error-chunk-first-and-only", stream=[Stream(role_chunk=False, error_after=0)], plain=None,
          tries=((FAILED, "unavailable", 502),)),
    Fault("error-chunk-after-content", stream=[Stream(tokens=BAD_TEXT_TOKENS, error_after=10)], plain=None,
          tries=((FAILED, "interrupted", 502),), partial=10),
    Fault("redirect-not-followed", **both(Redirect(location="http://127.0.0.1:9/v1/chat/completions")),
          tries=((FAILED, "protocol", 302),)),
]
HEADERS_SILENCE = {True: ((FAILED, "timeout", None),), False: ((FAILED, "interrupted", None),)}


def cells():
    for fault in FAULTS:
        for stream in (True, False):
            if fault.behaviours(stream) is None:
                continue
            for position in ("first", "last"):
                yield pytest.param(fault, stream, position,
                                   id=f"{fault.name}-{'stream' if stream else 'plain'}-{position}")


def good_behaviour(stream: bool):
    return Stream(tokens=GOOD_TOKENS) if stream else completion(GOOD_TEXT)


def assert_keys_went_to_their_own_provider(server: FaultServer) -> None:
    for request in server.requests:
        expected = ALT_CANARY if request.model == "good" else CANARY
        assert request.headers.get("authorization") == f"Bearer {expected}", request.model
        other = CANARY if expected == ALT_CANARY else ALT_CANARY
        assert other not in json.dumps(request.headers) and other.encode() not in request.body


@pytest.mark.parametrize(("fault", "stream", "position"), list(cells()))
async def test_fault_cell(fault: Fault, stream: bool, position: str, loop_server: FaultServer, tmp_path: Path,
                          debug_logs) -> None:
    tries = fault.tries if fault.tries is not None else HEADERS_SILENCE[stream]
    loop_server.script("bad", [*fault.behaviours(stream)])
    loop_server.script("good", good_behaviour(stream))
    loop_server.script("pre", good_behaviour(stream))  # never asked: it is disabled by hand
    engine = matrix_engine(tmp_path, loop_server.base_url)
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
            assert "flagged" in final.message
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
        assert_keys_went_to_their_own_provider(loop_server)
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

    produced = {kind for fault in FAULTS for tries in ([fault.tries] if fault.tries else HEADERS_SILENCE.values())
                for _, kind, _ in tries}
    assert produced == {k.value for k in FailureKind} - {"cancelled"}
