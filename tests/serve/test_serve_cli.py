"""`modelfallback serve` as a user runs it: a real process, its log lines, its exit codes, kill -9."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from faultbehaviours import Error, Stream, behaviour_to_json
from faultprocess import FaultProcess
from serve_kit import KEY

from tui.cli import main

YAML = """\
providers:
  loop:
    base_url: http://127.0.0.1:{port}/v1
    api_key_env: MF_SERVE_KEY
groups:
  main: [bad, good]
policy: {{connect_timeout: 1s, ttft_timeout: 2s, stall_timeout: 2s, cooldown: {{base: 60s, factor: 2, max: 5m}}}}
"""


def test_serve_without_the_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if it were not installed
    for argv in (["--demo", "serve"], ["--demo", "--serve"], ["--demo", "--serve", "127.0.0.1:0"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err == "modelfallback: serve needs the serve extra: pip install 'modelfallback[serve]'\n"


def test_bad_listen_addresses_are_usage_errors(capsys: pytest.CaptureFixture) -> None:
    assert main(["--demo", "serve", "--listen", "127.0.0.1:notaport"]) == 2
    assert "--listen: expected HOST:PORT" in capsys.readouterr().err


class ServeProcess:
    """`python -m tui serve` on a free port in front of a fault server process."""

    def __init__(self, tmp: Path, scripts: dict) -> None:
        self.fault = FaultProcess(tmp / "fault", {k: [behaviour_to_json(b) for b in v] for k, v in scripts.items()})
        self.config = tmp / "groups.yaml"
        self.config.write_text(YAML.format(port=self.fault.port))
        self.state = tmp / "state.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELFALLBACK_", "MF_"))}
        env["MF_SERVE_KEY"] = KEY
        self.proc = subprocess.Popen([sys.executable, "-m", "tui", "--config", str(self.config), "--state",
                                      str(self.state), "serve", "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp)
        assert self.proc.stderr is not None
        started = self.proc.stderr.readline()
        assert started.startswith("serving http://127.0.0.1:"), started
        self.url = started.split()[1].removesuffix("/v1")

    def close(self) -> tuple[str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=10)
        self.fault.close()
        return out, err


def test_headless_serve_logs_one_line_per_request(tmp_path: Path) -> None:
    served = ServeProcess(tmp_path, {"bad": [Error(503, "down")], "good": [Stream(tokens=["Hi ", "there"])]})
    try:
        with httpx.Client(base_url=served.url, timeout=10, headers={"user-agent": "test-agent/1.0"}) as client:
            r = client.post("/v1/chat/completions",
                            json={"model": "main", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
            assert r.status_code == 200 and "Hi there" in "".join(
                json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
                for line in r.text.splitlines() if line.startswith("data: {") and '"choices":[{' in line)
    finally:
        out, err = served.close()
    lines = out.splitlines()
    assert len(lines) == 1, out
    line = lines[0]
    for part in ("test-agent/1.0", "/v1/chat/completions", "main", "→ good", "done 200", "bad 503 → out 1:00",
                 "tok", " ms"):
        assert part in line, (part, line)
    assert KEY not in out + err


def test_kill_9_mid_stream_loses_no_state(tmp_path: Path) -> None:
    """The cooldown a failure caused is on disk and intact after a kill -9 in the middle of a stream,
    and the next process reads it."""
    served = ServeProcess(tmp_path, {"bad": [Error(503, "down")],
                                     "good": [Stream(tokens=200, delay=0.02)]})
    try:
        with httpx.Client(base_url=served.url, timeout=10) as client, client.stream(
                "POST", "/v1/chat/completions",
                json={"model": "main", "stream": True, "messages": [{"role": "user", "content": "hi"}]}) as r:
            chunks = r.iter_bytes()
            next(chunks)  # the answer is streaming from `good`; `bad` has just been cooled
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # automatic changes are written behind, promptly
                if served.state.exists() and "bad" in served.state.read_text():
                    break
                time.sleep(0.02)
            served.proc.send_signal(signal.SIGKILL)
            served.proc.wait(10)
    finally:
        served.close()
    state = json.loads(served.state.read_text())  # intact JSON, not a torn write
    assert "bad" in json.dumps(state)
    out = subprocess.run([sys.executable, "-m", "tui", "--config", str(served.config), "--state", str(served.state),
                          "status", "--json"], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "MF_SERVE_KEY": KEY})
    rows = {row["model"]: row for row in json.loads(out.stdout)["models"]}
    assert rows["bad"]["status"] == "disabled" and rows["good"]["status"] != "disabled"


@pytest.mark.parametrize(("setting", "expected"), [(None, "aiohttp"), ("httpx", "httpx"), ("auto", "auto")])
async def test_headless_serve_starts_its_upstream_on_aiohttps_pool(monkeypatch: pytest.MonkeyPatch,
                                                                   setting: str | None, expected: str) -> None:
    """A server has many requests in flight from its first second: `serve` starts the engine's
    clients on aiohttp's pool unless MODELFALLBACK_HTTP says otherwise, for its own run only."""
    import argparse

    from tui.cli import serve as serve_cli
    from tui.engine.provider import http_client

    if setting is None:
        monkeypatch.delenv("MODELFALLBACK_HTTP", raising=False)
    else:
        monkeypatch.setenv("MODELFALLBACK_HTTP", setting)
    seen: list[str] = []

    class Opened(Exception):
        pass

    def open_engine(args: argparse.Namespace) -> None:
        seen.append(http_client.transport_choice())
        raise Opened

    monkeypatch.setattr(serve_cli, "open_engine", open_engine)
    with pytest.raises(Opened):
        await asyncio.create_task(serve_cli.run(argparse.Namespace()))
    assert seen == [expected]
    assert http_client.transport_choice() == (setting or "auto")  # outside serve's run: as it was
