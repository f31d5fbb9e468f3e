"""Health on the command line, through real processes against the fault server on 127.0.0.1:
rechecks without a loop, the providers' free listings, and input that is not UTF-8.

Time moves by editing the wall-clock stamps in the shared state file (what another process's
clock would have written), never by sleeping for a countdown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faultprocess import FaultProcess

CANARY = "sk-canary-9b8a7c6d5e4f3a2b"
OK = {"type": "stream", "tokens": ["fine ", "thanks"]}
DOWN = {"type": "json", "status": 503, "body": {"error": {"message": "overloaded", "code": 503}}}


class Server(FaultProcess):
    """The fault server in its own process, a config pointing at it, and the shared state file."""

    def __init__(self, tmp: Path, scripts: dict, *, provider_extra: str = "", health: str = "") -> None:
        super().__init__(tmp, scripts)
        self.config = tmp / "groups.yaml"
        self.config.write_text(
            f"providers:\n  local: {{base_url: 'http://127.0.0.1:{self.port}/v1', api_key_env: MF_TEST_KEY"
            f"{provider_extra}}}\n"
            "groups:\n  g: [model-a, model-b]\n"
            "policy: {ttft_timeout: 2s, stall_timeout: 2s, cooldown: {base: 60s, factor: 2, max: 5m}}\n"
            f"health: {{timeout: 1s{health}}}\n")
        self.state = tmp / "state.json"

    def chats(self, model: str) -> list[dict]:
        return [r for r in self.requests() if r["method"] == "POST" and (r["json"] or {}).get("model") == model
                and (r["json"] or {}).get("max_tokens") != 1]

    def checks(self, model: str) -> list[dict]:
        return [r for r in self.requests() if r["method"] == "POST" and (r["json"] or {}).get("model") == model
                and (r["json"] or {}).get("max_tokens") == 1]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODELFALLBACK_")}
        env["MF_TEST_KEY"] = CANARY
        return env

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tui", "--config", str(self.config), "--state", str(self.state), *args]

    def run(self, *args: str | bytes, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        out = subprocess.run(self.argv(*args), capture_output=True, input=stdin, env=self.env(), timeout=60)
        assert CANARY.encode() not in out.stdout + out.stderr
        return out

    def state_doc(self) -> dict:
        return json.loads(self.state.read_text())

    def age_state(self, seconds: float) -> None:
        """As if `seconds` had passed: every wall-clock stamp in the state moves back."""
        doc = self.state_doc()
        for rec in doc["models"].values():
            for key in ("rechecked",):
                if key in rec:
                    rec[key] -= seconds
            for key in ("since", "until"):
                if rec.get("disabled") and rec["disabled"].get(key) is not None:
                    rec["disabled"][key] -= seconds
        for lease in doc.get("leases", {}).values():
            lease["until"] -= seconds
        self.state.write_text(json.dumps(doc))



@pytest.fixture
def server(tmp_path: Path):
    started: list[Server] = []

    def start(scripts: dict, **kw) -> Server:
        started.append(Server(tmp_path, scripts, **kw))
        return started[-1]

    yield start
    for s in started:
        s.close()


def chat_json(server: Server, prompt: str = "hi") -> dict:
    out = server.run("chat", "--json", "-g", "g", prompt)
    return json.loads(out.stdout)


def test_a_skipped_model_is_rechecked_beside_the_request_and_the_next_process_uses_it(server) -> None:
    lb = server({"model-a": [DOWN, OK], "model-b": [OK]})
    first = chat_json(lb)
    assert [a["outcome"] for a in first["attempts"]] == ["failed", "ok"] and first["attempts"][0]["cooldown_s"] == 60
    status = json.loads(lb.run("status", "--json").stdout)["models"][0]
    assert status["status"] == "disabled" and 0 < status["next_check_s"] <= 15  # the recheck, not the 60 s cooldown
    lb.age_state(16)  # the recheck is due; the 60 s cooldown still has 44 s to run
    second = chat_json(lb)
    assert second["model"] == "model-b" and second["attempts"][0]["outcome"] == "skipped"
    assert len(lb.checks("model-a")) == 1 and len(lb.chats("model-a")) == 1  # checked, not asked
    assert "disabled" not in lb.state_doc()["models"]["model-a"]  # the result is in the shared state
    third = chat_json(lb)
    assert third["model"] == "model-a" and [a["outcome"] for a in third["attempts"]] == ["ok"]


def test_the_answer_is_out_before_the_cli_waits_at_most_the_health_timeout_for_a_check(server) -> None:
    lb = server({"model-a": [DOWN, {"type": "hang"}], "model-b": [OK]})
    chat_json(lb)
    lb.age_state(16)
    proc = subprocess.Popen(lb.argv("chat", "-g", "g", "hi"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=lb.env())
    start = time.monotonic()
    line = proc.stdout.readline()  # the answer, complete (stdout is a pipe)
    answered = time.monotonic() - start
    still_checking = proc.poll() is None
    _, err = proc.communicate(timeout=30)
    total = time.monotonic() - start
    assert line == b"fine thanks\n" and proc.returncode == 0, err
    assert still_checking  # the process was still waiting for the hanging check after the answer was out
    assert total - answered < 1.0 + 1.5  # health.timeout (1 s), plus slack for a loaded machine
    row = lb.state_doc()["health"]["model-a"]
    assert row["status"] == "degraded" and "timeout" in row["error"]
    assert lb.state_doc()["models"]["model-a"]["trips"] == 1  # a failed check adds no trip


def test_a_model_the_listing_lacks_costs_no_chat_request_and_gets_a_did_you_mean(server) -> None:
    lb = server({"model-a": [OK], "model-b": [OK],
                 "/v1/models": {"type": "json", "status": 200, "body": {"data": [
                     {"id": "model-a1", "context_length": 8192}, {"id": "model-b", "context_length": 100}]}},
                 "/v1/models/model-b/endpoints": {"type": "json", "status": 200, "body": {"data": {
                     "id": "model-b", "endpoints": [{"status": 0, "uptime_last_30m": 97.5, "context_length": 100}]}}}},
                provider_extra=", catalog: openrouter")
    out = lb.run("check", "--json")
    rows = {r["model"]: r for r in json.loads(out.stdout)}
    assert rows["model-a"]["status"] == "disabled"
    assert rows["model-a"]["error"] == "not_found: not listed by local; did you mean 'model-a1'?"
    assert rows["model-b"]["status"] == "healthy"
    assert lb.chats("model-a") == [] and lb.checks("model-a") == []
    models = {r["model"]: r for r in json.loads(lb.run("status", "--json").stdout)["models"]}
    assert models["model-b"]["uptime"] == 97.5 and models["model-a"]["kind"] == "not_found"
    # model-b's context (100 tokens) cannot hold a long prompt: skipped with the reason, never asked
    chat = lb.run("chat", "-g", "g", "word " * 200)
    assert chat.returncode == 1
    assert b"skipped model-b (context 100 < ~254)" in chat.stderr
    assert lb.chats("model-a") == [] and lb.chats("model-b") == []


@pytest.mark.parametrize("listing", [{"type": "hang"}, {"type": "json", "status": 200, "body": "<html>nope"},
                                     {"type": "json", "status": 500, "body": {"error": {"message": "down"}}}],
                         ids=["hangs", "garbage", "500"])
def test_a_listing_that_fails_never_blocks_and_probes_take_over(server, listing: dict) -> None:
    lb = server({"model-a": [OK], "model-b": [OK], "/v1/models": listing}, provider_extra=", catalog: openrouter")
    start = time.monotonic()
    out = lb.run("check", "--json")
    # Bounded by health.timeout (1 s): a hanging listing is silent until the client leaves, so without the
    # bound the check would run into the run's own timeout. 30 s leaves room for a loaded machine's start-up.
    assert time.monotonic() - start < 30
    assert out.returncode == 0 and b"note: local's model list" in out.stderr
    assert {r["model"]: r["status"] for r in json.loads(out.stdout)} == {"model-a": "healthy", "model-b": "healthy"}
    assert len(lb.checks("model-a")) == 1  # probed instead


@pytest.mark.parametrize("where", ["stdin", "argument"])
def test_a_prompt_that_is_not_utf8_is_our_problem_not_the_models(server, where: str) -> None:
    lb = server({"model-a": [OK], "model-b": [OK]})
    raw = b"caf\xe9 na\xefve \xff\xfe end"
    if where == "stdin":
        out = lb.run("chat", "--json", "-g", "g", "-", stdin=raw)
        label = b"standard input"
    else:
        out = subprocess.run(lb.argv("chat", "--json", "-g", "g") + [raw], capture_output=True, env=lb.env(),
                             timeout=60)
        label = b"the PROMPT argument"
    assert out.returncode == 0, out.stderr
    assert b"warning: " + label + b" is not valid UTF-8 (first bad byte 0xe9 at offset 3); " \
           b"4 undecodable byte sequence(s) replaced" in out.stderr
    doc = json.loads(out.stdout)
    assert doc["model"] == "model-a" and [a["outcome"] for a in doc["attempts"]] == ["ok"]
    [sent] = lb.chats("model-a")
    assert sent["json"]["messages"][0]["content"] == "caf\ufffd na\ufffdve \ufffd\ufffd end"
    assert json.loads(lb.state.read_text())["models"] == {}  # nothing disabled


def test_chat_wait_sends_when_the_first_model_is_back(server) -> None:
    lb = server({"model-a": [DOWN, OK], "model-b": [OK]})
    chat_json(lb)  # model-a out for 60 s
    assert lb.run("disable", "model-b", "--for", "1h").returncode == 0
    lb.age_state(50)  # 10 s of cooldown left, far more than a process start-up on a loaded machine
    out = lb.run("chat", "--json", "--wait", "20s", "-g", "g", "hi")
    assert out.returncode == 0, out.stderr
    assert b"every model of 'g' is out; model-a is back in 0:" in out.stderr
    assert b"waiting up to 20s" in out.stderr
    assert b"model-a is back; sending" in out.stderr
    assert json.loads(out.stdout)["model"] == "model-a"


def test_chat_wait_is_bounded_and_ends_with_the_usual_all_failed(server) -> None:
    lb = server({"model-a": [DOWN], "model-b": [OK]})
    chat_json(lb)
    assert lb.run("disable", "model-b", "--until-enabled").returncode == 0
    out = lb.run("chat", "--json", "--wait", "0.5s", "-g", "g", "hi")
    assert out.returncode == 1
    assert b"nothing came back within 500ms" in out.stderr
    doc = json.loads(out.stdout)
    assert doc["ok"] is False and doc["error"]["kind"] == "all_failed"
    assert lb.run("chat", "--wait", "soon", "-g", "g", "hi").returncode == 2


def test_the_count_of_replaced_sequences_leaves_out_a_real_replacement_character(capsys) -> None:
    from tui.cli.chat import decode_utf8

    raw = "ok \ufffd ".encode() + b"\xe2\x82 \xff\xfe \xf0\x9f\x98"  # a cut €, two stray bytes, a cut emoji
    assert decode_utf8(raw, "input") == "ok \ufffd \ufffd \ufffd\ufffd \ufffd"
    assert "4 undecodable byte sequence(s) replaced" in capsys.readouterr().err
