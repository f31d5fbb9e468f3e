"""Shared building blocks for the reliability suite (tests/reliability/).

- `matrix_engine`: a ModelFallback on the real clock whose providers live on a loopback FaultServer,
  with short budgets (ttft / stall / connect 0.5 s) so every fault ends in well under a second;
- `drive`: run one chat to its final event and keep every event plus the elapsed time;
- `RoutedFaultServer`: a FaultServer whose behaviour is chosen per request by a function
  (time windows, seeded random faults) instead of a fixed script;
- `CliLoopback`: a standalone fault server process + a config + the real CLI as a subprocess;
- `CANARY` / `ALT_CANARY` and `assert_no_canary`: the API keys that must never show up anywhere.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faultprocess import FaultProcess
from faultserver import FaultServer, RecordedRequest
from faultbehaviours import Behaviour, Json, behaviour_to_json

from tui.engine.api import ModelFallback
from tui.engine.config.loader import load_config
from tui.engine.events import (Answered, Attempt, AttemptFailed, ChainEvent, ChainFailed, Restarted, Token,
                               Waiting)

TESTS = Path(__file__).resolve().parents[1]
CANARY = "sk-canary-reliability-7Qf3xZ9k2LmN4pR8"  # the main provider's key: never printed, logged or stored
ALT_CANARY = "sk-canary-althost-Hq2Wv8Yt5Ub1Jc6D"  # the second provider's key

TTFT = STALL = CONNECT = 0.2
MARGIN = 2.0  # what a call may take beyond the budget the fault costs (a busy machine's scheduling, the
# fallback's answer): well under ROOMY, so a call that waited on a deadline it should not have is still caught
ROOMY = 5.0  # the deadlines of a fault that ends by itself: a busy machine's pause never reads as a timeout

GOOD_TOKENS = ["The ", "fallback ", "answered ", "in ", "full."]
GOOD_TEXT = "".join(GOOD_TOKENS)
BAD_TEXT_TOKENS = [f"bad{i} " for i in range(60)]  # what the failing model streams before its fault

MATRIX_YAML = """\
providers:
  loop:
    base_url: {url}
    api: {api}
    api_key_env: MF_LOOP_KEY
  alt:
    base_url: {alt_url}
    api_key_env: MF_ALT_KEY
default_provider: loop
groups:
  first: [bad, {{id: good, provider: alt, connect_timeout: 5s, ttft_timeout: 5s, stall_timeout: 5s}}]
  last: [pre, bad]
policy:
  connect_timeout: {connect}s
  ttft_timeout: {ttft}s
  stall_timeout: {stall}s
  cooldown: {{base: 10s, factor: 2, max: 5m}}
  retry_after_wait: 1s
  manual_disable: 5m
health: {{interval: 2m, timeout: 1s, probe: completion}}
"""


def matrix_engine(tmp: Path, url: str, alt_url: str | None = None, *, state: str = "state.json",
                  api: str = "openai", **overrides: float) -> ModelFallback:
    """Groups `first: [bad, good]` (good on the second provider, OpenAI's API) and `last: [pre, bad]`;
    `api` is the API the first provider (`loop`: bad and pre) speaks at `url`. The short budgets are
    bad's (its faults end in well under a second); good answers at once and gets roomy ones, so a
    scheduling pause on a busy machine never makes the fallback's answer a timeout."""
    values = {"connect": CONNECT, "ttft": TTFT, "stall": STALL, **overrides}
    path = tmp / "groups.yaml"
    path.write_text(MATRIX_YAML.format(url=url, alt_url=alt_url or url, api=api, **values), encoding="utf-8")
    return ModelFallback(load_config(path), state_path=tmp / state,
                         env={"MF_LOOP_KEY": CANARY, "MF_ALT_KEY": ALT_CANARY})


@dataclass
class Run:
    """Everything one chat run yielded, and how long it took (real seconds)."""

    events: list[ChainEvent]
    elapsed: float

    @property
    def final(self) -> Answered | ChainFailed:
        last = self.events[-1]
        assert isinstance(last, (Answered, ChainFailed)), f"the run ended without a final event: {last!r}"
        return last

    @property
    def attempts(self) -> list[Attempt]:
        return self.final.attempts

    def rows(self) -> list[tuple]:
        """(model, outcome, kind, status) per attempt: the shape a trail and `chat --json` report."""
        return [(a.model, a.outcome, a.kind, a.status) for a in self.attempts]

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def restarts(self) -> list[Restarted]:
        return self.of(Restarted)

    @property
    def waits(self) -> list[Waiting]:
        return self.of(Waiting)

    @property
    def failures(self) -> list[AttemptFailed]:
        return self.of(AttemptFailed)

    def streamed(self, model: str) -> str:
        return "".join(e.text for e in self.of(Token) if e.model == model and not e.reasoning)


async def drive(engine: ModelFallback, group: str, prompt: str = "hi", *, stream: bool = True,
                start_after: str | None = None) -> Run:
    events: list[ChainEvent] = []
    start = time.monotonic()
    async for event in engine.chat(group, prompt, stream=stream, start_after=start_after):
        events.append(event)
    return Run(events, time.monotonic() - start)


class RoutedFaultServer(FaultServer):
    """A FaultServer that asks `route(request)` for each request's behaviour (None: the scripts)."""

    def __init__(self, route: Callable[[RecordedRequest], Behaviour | None] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.route = route

    def _next(self, record: RecordedRequest) -> Behaviour:
        chosen = self.route(record) if self.route is not None else None
        return chosen if chosen is not None else super()._next(record)

    async def _serve(self, conn, behaviour: Behaviour, record: RecordedRequest) -> bool:
        # A delayed Json reply watches the client meanwhile, so a client that gave up is seen at once
        # (the base server would keep the socket for the whole delay, which looks like a leak).
        if isinstance(behaviour, Json) and behaviour.delay > 0:
            async def later() -> bool:
                await asyncio.sleep(behaviour.delay)
                return await FaultServer._serve(self, conn, dataclasses.replace(behaviour, delay=0), record)

            return await self._watched(conn, later())
        return await super()._serve(conn, behaviour, record)


# -- secrets -----------------------------------------------------------------------------------

def assert_no_canary(*texts: object, keys: Iterable[str] = (CANARY, ALT_CANARY)) -> None:
    """No key (nor a long piece of one) in any of `texts` (str, bytes, or anything with a repr)."""
    for text in texts:
        blob = text.decode("utf-8", "replace") if isinstance(text, bytes) else (
            text if isinstance(text, str) else repr(text))
        for key in keys:
            for piece in (key, key[3:], key[-16:]):  # the whole key, without `sk-`, its tail
                assert piece not in blob, f"a secret leaked: …{piece[-6:]} found in {blob[:200]!r}"


# -- the CLI against a standalone fault server ---------------------------------------------------

CLI_YAML = """\
providers:
  loop:
    base_url: http://127.0.0.1:{port}/v1
    api_key_env: MF_LOOP_KEY
  alt:
    base_url: http://127.0.0.1:{port}/v1
    api_key_env: MF_ALT_KEY
default_provider: loop
groups:
  first: [bad, {{id: good, provider: alt, connect_timeout: 5s, ttft_timeout: 5s, stall_timeout: 5s}}]
  last: [pre, bad]
policy: {{connect_timeout: 3s, ttft_timeout: 3s, stall_timeout: 3s, retry_after_wait: 1s,
         cooldown: {{base: 10s, factor: 2, max: 5m}}}}
"""


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str
    elapsed: float
    argv: list[str] = field(default_factory=list)

    @property
    def doc(self) -> Any:
        return json.loads(self.stdout)


class CliLoopback(FaultProcess):
    """`python tests/faultserver.py` as a process, a config pointing at it, and `python -m tui` runs."""

    def __init__(self, tmp: Path, scripts: dict[str, list[Behaviour]], *, yaml_text: str = CLI_YAML) -> None:
        super().__init__(tmp, {k: [behaviour_to_json(b) for b in v] for k, v in scripts.items()})
        self.tmp = tmp
        self.config = tmp / "groups.yaml"
        self.config.write_text(yaml_text.format(port=self.port))
        self.state = tmp / "state.json"

    def env(self, extra: dict | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELFALLBACK_", "MF_"))}
        env.update(MF_LOOP_KEY=CANARY, MF_ALT_KEY=ALT_CANARY, **(extra or {}))
        return env

    def run(self, *args: str, stdin: str | None = None, extra_env: dict | None = None,
            timeout: float = 60) -> CliResult:
        argv = [sys.executable, "-m", "tui", "--config", str(self.config), "--state", str(self.state), *args]
        start = time.monotonic()
        out = subprocess.run(argv, capture_output=True, text=True, input=stdin, env=self.env(extra_env),
                             timeout=timeout, cwd=self.tmp)
        return CliResult(out.returncode, out.stdout, out.stderr, time.monotonic() - start, argv)

    def status(self) -> dict[str, dict]:
        """`status --json` through the CLI's `main` in this process: the same code reading the same state
        file as the `chat` subprocess wrote, without another interpreter start-up."""
        import contextlib
        import io

        import tui.cli

        out, err = io.StringIO(), io.StringIO()
        saved = {k: os.environ.get(k) for k in ("MF_LOOP_KEY", "MF_ALT_KEY")}
        os.environ.update(MF_LOOP_KEY=CANARY, MF_ALT_KEY=ALT_CANARY)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = tui.cli.main(["--config", str(self.config), "--state", str(self.state), "status", "--json"])
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        assert code == 0, err.getvalue()
        assert_no_canary(out.getvalue(), err.getvalue())
        return {row["model"]: row for row in json.loads(out.getvalue())["models"]}


# -- the TUI ---------------------------------------------------------------------------------------

def isolate_tui(monkeypatch, tmp: Path) -> None:
    """Nothing a TUI test does may read or write the developer's own config, state or themes."""
    from textual.widgets import Input, TextArea

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)  # no blinking: stable screenshots
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)  # the prompt
    monkeypatch.chdir(tmp)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp / "xdg-state"))
    for name in ("MODELFALLBACK_CONFIG", "MODELFALLBACK_STATE", "TEXTUAL_THEME"):
        monkeypatch.delenv(name, raising=False)


def tui_app(engine: ModelFallback, tmp: Path):
    from tui.app import make_app

    return make_app(engine, config_dir=tmp / "config", export_dir=tmp / "exports", background=False)


async def wait_for(pilot, predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.02)


async def send_prompt(pilot, text: str) -> None:
    chat = pilot.app.main.chat
    chat.prompt.focus()
    await pilot.pause()
    chat.prompt.value = text
    await pilot.press("enter")


async def chat_done(pilot, count: int = 1, timeout: float = 10.0) -> None:
    """Wait for the `count`th answer view to exist and the chat to be idle."""
    from tui.widgets.answer import AnswerView

    chat = pilot.app.main.chat
    await wait_for(pilot, lambda: len(chat.query(AnswerView)) >= count and not chat.busy, timeout,
                   f"answer {count} to finish")
    await pilot.pause()
