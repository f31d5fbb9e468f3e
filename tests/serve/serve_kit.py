"""Shared by the serve tests: an engine on the fault server, the endpoint on a free port, a client.

`served(tmp, fault_server)` starts `ServeApp` on uvicorn (the real server, the real sockets) in
front of a `ModelFallback` whose providers live on the fault server, with short budgets so every
fault ends well under a second. Groups: `main: [bad, good]`, `solo: [bad]`, `cross: [bad, cgood]`
where `cgood` is behind a provider speaking Anthropic's Messages API (the fault server answers
each request in the API its path names); any configured model can be named alone too.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from faultserver import FaultServer

from tui.engine.api import ModelFallback
from tui.engine.config.loader import load_config
from tui.engine.serve.app import Limits, ServeApp
from tui.engine.serve.server import LocalServer

KEY = "sk-canary-serve-upstream-9Xq2Lm7Pz4Rt"  # the provider key: must never reach a client or a log
CLIENT_KEY = "sk-client-own-key-never-forwarded-123"  # what a client sends as its own key
TOKEN = "serve-token-5a8b1c"

CONFIG = """\
providers:
  loop:
    base_url: {url}
    api_key_env: MF_SERVE_KEY
  claude:
    base_url: {url}
    api_key_env: MF_SERVE_KEY
default_provider: loop
groups:
  main: [bad, good]
  solo: [bad]
  cross: [bad, {{id: cgood, provider: claude}}]
policy:
  connect_timeout: 0.3s
  ttft_timeout: {ttft}s
  stall_timeout: {ttft}s
  cooldown: {{base: 30s, factor: 2, max: 5m}}
  retry_after_wait: 0s
health: {{interval: 2m, timeout: 0.5s, probe: completion, recheck: 1m}}
{extra}
"""


@dataclass
class Served:
    engine: ModelFallback
    app: ServeApp
    server: LocalServer

    @property
    def url(self) -> str:
        return f"http://{self.server.address}"

    def client(self, **kwargs: object) -> httpx.AsyncClient:
        kwargs.setdefault("timeout", 5.0)
        return httpx.AsyncClient(base_url=self.url, **kwargs)  # type: ignore[arg-type]


def make_engine(tmp: Path, fault: FaultServer, extra: str = "", ttft: float = 0.3) -> ModelFallback:
    path = tmp / "groups.yaml"
    path.write_text(CONFIG.format(url=fault.base_url, extra=extra, ttft=ttft), encoding="utf-8")
    config = load_config(path)
    config.providers["claude"] = dataclasses.replace(config.providers["claude"], api="anthropic")
    return ModelFallback(config, state_path=tmp / "state.json", env={"MF_SERVE_KEY": KEY})


@contextlib.asynccontextmanager
async def served(tmp: Path, fault: FaultServer, *, extra: str = "", token: str | None = None,
                 limits: Limits | None = None, header_timeout: float = 10.0,
                 ttft: float = 0.3) -> AsyncIterator[Served]:
    """`ttft`: the first-token and stall budgets, in seconds."""
    engine = make_engine(tmp, fault, extra, ttft)
    app = ServeApp(engine, token=token, limits=limits)
    server = LocalServer(app, "127.0.0.1", 0, header_timeout=header_timeout)
    await server.start()
    try:
        yield Served(engine, app, server)
    finally:
        await server.stop()
        await engine.aclose(settle=False)


def chat_body(model: str = "main", stream: bool = False, **extra: object) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream, **extra}


def messages_body(model: str = "main", stream: bool = False, **extra: object) -> dict:
    return {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}], "stream": stream,
            **extra}


def sse_events(text: str) -> list[tuple[str | None, str]]:
    """An SSE body as (event name or None, data) pairs."""
    events = []
    for block in text.split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if data:
            events.append((name, "\n".join(data)))
    return events


def openai_stream_text(text: str) -> tuple[str, bool, dict | None]:
    """(the content, whether it ended cleanly with a finish reason and [DONE], the error if one came)."""
    import json

    content, finished, done, error = [], False, False, None
    for _, data in sse_events(text):
        if data == "[DONE]":
            done = True
            continue
        chunk = json.loads(data)
        if "error" in chunk:
            error = chunk["error"]
        for choice in chunk.get("choices", []):
            content.append(choice.get("delta", {}).get("content") or "")
            finished = finished or choice.get("finish_reason") in ("stop", "length", "tool_calls")
    return "".join(content), finished and done and error is None, error


def anthropic_stream_text(text: str) -> tuple[str, bool, dict | None]:
    """(the text, whether it ended with message_delta + message_stop, the error event's error)."""
    import json

    content, stopped, delta, error = [], False, False, None
    for name, data in sse_events(text):
        event = json.loads(data)
        if name == "error":
            error = event["error"]
        elif name == "content_block_delta" and event["delta"]["type"] == "text_delta":
            content.append(event["delta"]["text"])
        elif name == "message_delta":
            delta = True
        elif name == "message_stop":
            stopped = True
    return "".join(content), delta and stopped and error is None, error
