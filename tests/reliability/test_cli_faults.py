"""A representative subset of the fault matrix through the real CLI (`python -m tui`) as a subprocess.

The server is the standalone fault server process; the state file is shared by the `chat` run and
the `status --json` run after it, as two terminals would share it. Budgets: 3 s ttft/stall, so a
loaded machine's scheduling never outlasts them; a fault's silence lasts until the client gives up,
so an attempt that ends between the budget and far below the run's 60 s timeout was cut by the
budget. No test compares the wall-clock time of a whole run: a cold start on a busy machine varies.
Every stdout, stderr and state file is searched for the canary keys.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faultserver import Hang, Json, Stream, completion, error_json

from reliability_kit import (ALT_CANARY, BAD_TEXT_TOKENS, CANARY, CLI_YAML, GOOD_TEXT, GOOD_TOKENS, CliLoopback,
                             assert_no_canary)

BUDGET = 3.0  # CLI_YAML's ttft and stall budgets
CUT = 20.0  # an attempt cut by the budget ends well before this; a silent fault would hold it to the 60 s timeout


@pytest.fixture
def cli(tmp_path: Path):
    started: list[CliLoopback] = []

    def start(bad: list, *, good=None, name: str = "lb", yaml_text: str = CLI_YAML) -> CliLoopback:
        lb = CliLoopback(tmp_path / name, {"bad": bad, "good": [good or Stream(tokens=GOOD_TOKENS)],
                                           "pre": [Stream(tokens=GOOD_TOKENS)]}, yaml_text=yaml_text)
        started.append(lb)
        return lb

    yield start
    for lb in started:
        lb.close()


def rows(doc: dict) -> list[tuple]:
    return [(a["model"], a["outcome"], a.get("kind"), a.get("status")) for a in doc["attempts"]]


def check_secrets(lb: CliLoopback, *outputs) -> None:
    texts = [t for o in outputs for t in (o.stdout, o.stderr)]
    assert_no_canary(*texts, lb.state.read_text() if lb.state.exists() else "")
    for request in lb.requests():
        expected = ALT_CANARY if (request["json"] or {}).get("model") == "good" else CANARY
        assert request["headers"]["authorization"] == f"Bearer {expected}"


def test_503_persistent_fails_over_and_status_shows_the_cooldown(cli) -> None:
    lb = cli([error_json(503, "overloaded", type="overloaded_error")])
    out = lb.run("chat", "--json", "-g", "first", "hi")
    assert out.returncode == 0, out.stderr
    doc = out.doc
    assert (doc["ok"], doc["model"], doc["content"], doc["error"]) == (True, "good", GOOD_TEXT, None)
    assert rows(doc) == [("bad", "failed", "unavailable", 503), ("good", "ok", None, 200)]
    assert doc["attempts"][0]["cooldown_s"] == 10
    status = lb.status()
    assert (status["bad"]["status"], status["bad"]["source"], status["bad"]["kind"]) == ("disabled", "auto",
                                                                                         "unavailable")
    assert 5 < status["bad"]["remaining_s"] <= 10
    assert status["good"]["status"] == "healthy"
    assert len(lb.requests("bad")) == 1  # a 503 is not retried on the same model: straight to `good`
    check_secrets(lb, out)


@pytest.mark.parametrize("as_json", [True, False])
def test_stream_cut_after_40_tokens_never_prints_the_partial_as_the_answer(cli, as_json: bool) -> None:
    lb = cli([Stream(tokens=BAD_TEXT_TOKENS, cut_after=40)])
    out = lb.run("chat", *(["--json"] if as_json else []), "-g", "first", "hi")
    assert out.returncode == 0, out.stderr
    if as_json:
        assert out.doc["content"] == GOOD_TEXT and out.doc["model"] == "good"
        assert rows(out.doc)[0] == ("bad", "failed", "interrupted", None)
    else:
        assert out.stdout == GOOD_TEXT + "\n"  # exactly the whole answer, nothing of the cut one
        assert "bad interrupted → out 0:10 · answered by good" in out.stderr
    assert BAD_TEXT_TOKENS[0] not in out.stdout
    assert lb.status()["bad"]["kind"] == "interrupted"
    check_secrets(lb, out)


def test_stall_of_the_last_model_exits_1_with_a_clean_error_in_budget(cli) -> None:
    lb = cli([Stream(tokens=BAD_TEXT_TOKENS, stall_after=20)])
    assert lb.run("disable", "pre", "--for", "1h", "--reason", "test").returncode == 0
    out = lb.run("chat", "--json", "-g", "last", "hi")
    assert out.returncode == 1
    doc = out.doc
    assert (doc["ok"], doc["model"], doc["content"], doc["finish_reason"], doc["usage"]) == (False, None, None,
                                                                                              None, None)
    assert doc["error"]["kind"] == "all_failed" and "every model in 'last' failed" in doc["error"]["message"]
    assert rows(doc) == [("pre", "skipped", "disabled", None), ("bad", "failed", "interrupted", None)]
    assert "bad0" not in out.stdout
    assert BUDGET * 0.9 <= doc["attempts"][1]["elapsed_ms"] / 1000 < CUT
    status = lb.status()
    assert status["pre"]["source"] == "manual" and status["bad"]["kind"] == "interrupted"
    check_secrets(lb, out)


def test_429_short_retry_after_waits_visibly_then_retries_the_same_model(cli) -> None:
    lb = cli([error_json(429, "Rate limit exceeded", headers={"Retry-After": "0.2"}), Stream(tokens=["ok"])])
    out = lb.run("chat", "-g", "first", "hi")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "ok\n"
    assert "waiting 200ms (429 rate_limited, retrying bad)" in out.stderr
    assert "bad 429 → retried · answered by bad" in out.stderr
    assert len(lb.requests("bad")) == 2 and lb.requests("good") == []
    assert lb.status()["bad"]["status"] not in ("disabled", "blocked")
    check_secrets(lb, out)


def test_accept_and_never_answer_non_streamed_fails_over_within_the_ttft_budget(cli) -> None:
    lb = cli([Hang()], good=completion(GOOD_TEXT))
    out = lb.run("chat", "--json", "--no-stream", "-g", "first", "hi")
    assert out.returncode == 0, out.stderr
    assert rows(out.doc) == [("bad", "failed", "timeout", None), ("good", "ok", None, 200)]
    assert BUDGET * 0.9 <= out.doc["attempts"][0]["elapsed_ms"] / 1000 < CUT
    assert lb.status()["bad"]["kind"] == "timeout"
    check_secrets(lb, out)


def test_401_blocks_the_provider_until_enabled_and_the_echoed_key_is_masked(cli) -> None:
    lb = cli([error_json(401, f"Incorrect API key provided: {CANARY}")])
    out = lb.run("chat", "--json", "-g", "first", "hi")
    assert out.returncode == 0 and out.doc["model"] == "good"
    assert rows(out.doc)[0] == ("bad", "failed", "auth", 401) and "***" in out.doc["attempts"][0]["detail"]
    status = lb.status()
    assert (status["bad"]["status"], status["bad"]["remaining_s"], status["bad"]["kind"]) == ("blocked", None, "auth")
    assert status["pre"]["status"] == "blocked"  # same provider, same key
    assert status["good"]["status"] == "healthy"  # another provider
    text = lb.run("status")
    assert "until enabled" in text.stdout
    assert lb.run("enable", "bad").returncode == 0
    assert lb.status()["bad"]["status"] != "blocked"
    check_secrets(lb, out, text)


def test_content_policy_stops_with_exit_1(cli) -> None:
    lb = cli([error_json(403, "Your input was flagged", metadata={"reasons": ["violence"], "flagged_input": "x"})])
    out = lb.run("chat", "--json", "-g", "first", "hi")
    assert out.returncode == 1
    assert out.doc["error"]["kind"] == "content_policy" and out.doc["content"] is None
    assert rows(out.doc) == [("bad", "failed", "content_policy", 403)]
    assert lb.requests("good") == []
    assert lb.status()["bad"]["status"] not in ("disabled", "blocked")
    check_secrets(lb, out)


def test_200_with_error_body_non_streamed(cli) -> None:
    lb = cli([Json(200, {"error": {"code": 502, "message": "Provider returned error"}})], good=completion(GOOD_TEXT))
    out = lb.run("chat", "--json", "--no-stream", "-g", "first", "hi")
    assert out.returncode == 0 and out.doc["content"] == GOOD_TEXT
    assert rows(out.doc)[0] == ("bad", "failed", "unavailable", 502)
    check_secrets(lb, out)


def test_complete_stream_without_done_is_an_answer(cli) -> None:
    lb = cli([Stream(tokens=["all ", "of ", "it"], done=False, usage=False, hold_open=True)])
    out = lb.run("chat", "--json", "-g", "first", "hi")
    assert out.returncode == 0
    assert (out.doc["model"], out.doc["content"], out.doc["finish_reason"]) == ("bad", "all of it", "stop")
    # The server holds the body open for good: the answer ends by the stall budget at the latest, not when
    # the connection closes (never).
    assert out.doc["attempts"][0]["elapsed_ms"] / 1000 < CUT
    check_secrets(lb, out)


def test_error_chunk_as_the_only_event_of_the_last_model(cli) -> None:
    lb = cli([Stream(role_chunk=False, error_after=0)])
    assert lb.run("disable", "pre", "--until-enabled").returncode == 0
    out = lb.run("chat", "-g", "last", "hi")
    assert out.returncode == 1 and out.stdout == ""
    assert "error: every model in 'last' failed" in out.stderr
    assert "skipped pre (disabled until enabled, manual) · bad 502 → out 0:10" in out.stderr
    check_secrets(lb, out)


@pytest.mark.parametrize("as_json", [False, True])
def test_ctrl_c_mid_stream_exits_130_and_records_nothing(cli, as_json: bool) -> None:
    """`cancelled`: the user's Ctrl+C stops the answer at once; no model is blamed for it. The stream
    goes silent after a few tokens with a 30 s stall budget, so the answer can never end on its own
    before the signal, however slow the machine; stopping well inside the budget proves the signal
    stopped it."""
    relaxed = CLI_YAML.replace("ttft_timeout: 3s, stall_timeout: 3s", "ttft_timeout: 30s, stall_timeout: 30s")
    assert relaxed != CLI_YAML
    lb = cli([Stream(tokens=BAD_TEXT_TOKENS, stall_after=5)], yaml_text=relaxed)
    argv = [sys.executable, "-m", "tui", "--config", str(lb.config), "--state", str(lb.state), "chat",
            *(["--json"] if as_json else []), "-g", "first", "hi"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=lb.env(),
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(lb.requests("bad")) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lb.requests("bad"), "the chat never reached the fault server"
    time.sleep(0.3)  # most often a few tokens in; earlier is a Ctrl+C before the first token, also a cancel
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.monotonic() - start < CUT
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
    assert out == ""  # nothing half-said is printed as an answer
    assert lb.requests("good") == []
    assert not lb.state.exists() or json.loads(lb.state.read_text())["models"] == {}
    assert_no_canary(out, err)
