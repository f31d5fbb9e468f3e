"""The command line through real subprocesses, against the fault server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from faultprocess import FaultProcess

CANARY = "sk-canary-5f1e9a7b3c2d4e6f"


class Loopback(FaultProcess):
    """A standalone fault server process with a script, plus a config pointing at it."""

    def __init__(self, tmp: Path, scripts: dict) -> None:
        super().__init__(tmp, scripts)
        self.tmp = tmp
        self.config = tmp / "groups.yaml"
        self.config.write_text(f"""
providers:
  local:
    base_url: http://127.0.0.1:{self.port}/v1
    api_key_env: MF_TEST_KEY
groups:
  g: [model-a, model-b]
  solo: [model-b]
policy: {{ttft_timeout: 2s, stall_timeout: 2s}}
""")
        self.state = tmp / "state.json"

    def run(self, *args: str, stdin: str | None = None, env_extra: dict | None = None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODELFALLBACK_")}
        env.update(MF_TEST_KEY=CANARY, **(env_extra or {}))
        return subprocess.run([sys.executable, "-m", "tui", "--config", str(self.config), "--state", str(self.state),
                               *args], capture_output=True, text=True, input=stdin, env=env, timeout=60)


@pytest.fixture
def loopback(tmp_path: Path):
    servers = []

    def start(scripts: dict) -> Loopback:
        server = Loopback(tmp_path, scripts)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        assert CANARY not in text


def test_failover_then_skip_then_status_then_enable(loopback) -> None:
    """The issue's done-means scenario, end to end through the CLI."""
    lb = loopback({"model-a": [{"type": "json", "status": 503, "body": {"error": {"message": "overloaded",
                                                                                   "code": 503}}}],
                   "model-b": [{"type": "stream", "tokens": ["Hel", "lo ", "there"]}]})
    first = lb.run("chat", "--json", "-g", "g", "hi")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["ok"] is True and doc["model"] == "model-b" and doc["content"] == "Hello there"
    assert doc["error"] is None and doc["finish_reason"] == "stop"
    assert doc["usage"]["total_tokens"] is not None
    failed, answered = doc["attempts"]
    assert (failed["model"], failed["outcome"], failed["kind"], failed["status"]) == ("model-a", "failed",
                                                                                      "unavailable", 503)
    assert failed["cooldown_s"] == 10
    assert answered["outcome"] == "ok" and answered["model"] == "model-b"
    assert len(lb.requests("model-a")) == 1
    assert lb.requests("model-b")[0]["headers"]["authorization"] == f"Bearer {CANARY}"

    second = lb.run("chat", "--json", "-g", "g", "hi again")
    doc2 = json.loads(second.stdout)
    assert doc2["attempts"][0]["outcome"] == "skipped" and doc2["attempts"][0]["kind"] == "disabled"
    assert len(lb.requests("model-a")) == 1  # no request reached it inside the cooldown

    status = lb.run("status", "--json")
    rows = {r["model"]: r for r in json.loads(status.stdout)["models"]}
    assert rows["model-a"]["status"] == "disabled" and rows["model-a"]["source"] == "auto"
    assert 0 < rows["model-a"]["remaining_s"] <= 10 and rows["model-a"]["kind"] == "unavailable"
    text = lb.run("status")
    assert "left" in text.stdout and "model-a" in text.stdout

    enabled = lb.run("enable", "model-a")
    assert enabled.returncode == 0 and "enabled model-a" in enabled.stdout
    rows = {r["model"]: r for r in json.loads(lb.run("status", "--json").stdout)["models"]}
    assert rows["model-a"]["status"] != "disabled"
    assert_no_canary(first.stdout, first.stderr, second.stdout, status.stdout, text.stdout,
                     lb.state.read_text())


def test_plain_chat_streams_answer_to_stdout_and_trail_to_stderr(loopback) -> None:
    lb = loopback({"model-a": [{"type": "json", "status": 503, "body": {"error": {"message": "down", "code": 503}}}],
                   "model-b": [{"type": "stream", "tokens": ["an ", "answer"]}]})
    out = lb.run("chat", "-g", "g", "hi")
    assert out.returncode == 0
    assert out.stdout == "an answer\n"
    assert "model-a 503 → out 0:10" in out.stderr and "answered by model-b" in out.stderr


def test_prompt_from_stdin_and_no_stream(loopback) -> None:
    lb = loopback({"model-b": [{"type": "json", "status": 200, "body": {
        "id": "x", "model": "model-b", "choices": [{"index": 0, "message": {"role": "assistant", "content": "done"},
                                                      "finish_reason": "stop"}]}}]})
    out = lb.run("chat", "--json", "--no-stream", "-g", "solo", "-", stdin="a prompt from stdin")
    doc = json.loads(out.stdout)
    assert doc["content"] == "done"
    sent = lb.requests("model-b")[0]["json"]
    assert sent["stream"] is False and sent["messages"] == [{"role": "user", "content": "a prompt from stdin"}]


def test_every_model_failing_exits_1_with_an_error_object(loopback) -> None:
    lb = loopback({"model-a": [{"type": "json", "status": 404, "body": {"error": {"message": "no such model",
                                                                                   "code": 404}}}],
                   "model-b": [{"type": "reset"}]})
    out = lb.run("chat", "--json", "-g", "g", "hi")
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["ok"] is False and doc["model"] is None and doc["content"] is None
    assert doc["error"]["kind"] == "all_failed" and "back in" in doc["error"]["message"]
    kinds = [(a["model"], a["outcome"], a.get("kind")) for a in doc["attempts"]]
    assert kinds == [("model-a", "failed", "not_found"), ("model-b", "retried", "connection"),
                     ("model-b", "failed", "connection")]
    assert doc["attempts"][0]["cooldown_s"] == 3600


def test_manual_disable_and_enable(loopback) -> None:
    lb = loopback({})
    out = lb.run("disable", "model-a", "--for", "90s", "--reason", "flaky today")
    assert out.returncode == 0 and "disabled model-a for 1m30s" in out.stdout
    rows = {r["model"]: r for r in json.loads(lb.run("status", "--json").stdout)["models"]}
    assert rows["model-a"]["source"] == "manual" and rows["model-a"]["reason"] == "flaky today"
    assert 85 <= rows["model-a"]["remaining_s"] <= 90
    out = lb.run("disable", "model-b", "--until-enabled")
    rows = {r["model"]: r for r in json.loads(lb.run("status", "--json").stdout)["models"]}
    assert rows["model-b"]["remaining_s"] is None and rows["model-b"]["status"] == "disabled"
    chat = lb.run("chat", "--json", "-g", "g", "hi")
    assert chat.returncode == 1
    assert [a["kind"] for a in json.loads(chat.stdout)["attempts"]] == ["disabled", "disabled"]
    assert lb.requests("model-a") == [] and lb.requests("model-b") == []
    assert lb.run("enable", "model-b").returncode == 0


@pytest.mark.parametrize("args, message", [
    (["disable", "modl-a"], "unknown model 'modl-a'; did you mean 'model-a'?"),
    (["disable", "model-a", "--for", "5 parsecs"], "--for: expected a duration"),
    (["chat", "-g", "nope", "hi"], "unknown group 'nope'"),
    (["disable", "evil\x1b]0;pwned\x07\x1b[2J\rforged"], "unknown model 'evil\\x1b]0;pwned\\x07\\x1b[2J\\x0dforged'"),
])
def test_usage_errors_exit_2_with_one_line(loopback, args, message) -> None:
    lb = loopback({})
    out = lb.run(*args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not any(ch in out.stderr for ch in "\x1b\x07\r")  # never a raw control sequence


def test_config_error_exits_2_naming_file_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "groups.yaml"
    bad.write_text("providers:\n  p: {base_url: http://x/v1}\ngroups:\n  g: [a]\npolicy:\n  ttft_timout: 5s\n")
    out = subprocess.run([sys.executable, "-m", "tui", "--config", str(bad), "--state", str(tmp_path / "s.json"),
                          "status"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.startswith(f"{bad}:6: policy.ttft_timout:") and "did you mean 'ttft_timeout'" in out.stderr
    assert "Traceback" not in out.stderr


def test_corrupt_state_file_is_moved_aside_with_a_warning(loopback) -> None:
    lb = loopback({})
    lb.state.write_text("{not json")
    out = lb.run("status")
    assert out.returncode == 0 and "warning: state file" in out.stderr
    assert list(lb.tmp.glob("state.json.corrupt-*"))


def test_global_options_after_the_subcommand(loopback) -> None:
    lb = loopback({})
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELFALLBACK_")}
    out = subprocess.run([sys.executable, "-m", "tui", "status", "--json", "--config", str(lb.config), "--state",
                          str(lb.state)], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0 and set(json.loads(out.stdout)["groups"]) == {"g", "solo"}


def test_demo_chat_needs_no_key_and_shows_a_failover(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENROUTER_API_KEY",) and not k.startswith("MODELFALLBACK")}
    out = subprocess.run([sys.executable, "-m", "tui", "--demo", "--state", str(tmp_path / "s.json"), "chat",
                          "--json", "-g", "coding", "hello"], capture_output=True, text=True, env=env, timeout=60,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["ok"] and "Simulated" in doc["content"]
    assert doc["attempts"][0]["outcome"] == "failed"
    assert "Demo mode" in out.stderr
