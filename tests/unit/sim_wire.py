"""Helpers for the simulator tests: requests over the wire through a plain httpx client, and a tiny
SSE reader that pins the wire format itself (not what the engine's parser makes of it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tui.engine.clock import FakeClock
from tui.engine.sim import (
    Behaviour,
    SimulatorTransport,
)

GROUPS_YAML = Path(__file__).resolve().parents[2] / "groups.yaml"
BASE = "https://sim.invalid/api/v1"
FAST = 1000.0  # speed for tests that don't measure time
MSGS = [{"role": "system", "content": "be brief"},
        {"role": "user", "content": "How do fallback chains work?"}]


def sim(scripts: dict[str, Behaviour] | None = None, **kw: Any) -> SimulatorTransport:
    kw.setdefault("speed", FAST)
    return SimulatorTransport(scripts or {}, **kw)


def client(transport: SimulatorTransport, **kw: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, base_url=BASE, **kw)


def body(model: str, *, stream: bool = True, usage: bool = False, **extra: Any) -> dict:
    out: dict[str, Any] = {"model": model, "messages": MSGS, "stream": stream, **extra}
    if usage:
        out["stream_options"] = {"include_usage": True}
    return out


def parse_sse(raw: bytes) -> list[Any]:
    """Events in order: dicts for JSON data, "[DONE]", ("comment", text) or ("bad", text)."""
    out: list[Any] = []
    for block in raw.decode("utf-8").split("\n\n"):
        for line in block.split("\n"):
            if line.startswith(":"):
                out.append(("comment", line[1:].strip()))
            elif line.startswith("data: "):
                data = line[6:]
                if data == "[DONE]":
                    out.append("[DONE]")
                    continue
                try:
                    out.append(json.loads(data))
                except ValueError:
                    out.append(("bad", data))
    return out


def content(events: list[Any]) -> str:
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in events
                   if isinstance(e, dict) and e.get("choices"))


def finishes(events: list[Any]) -> list[str]:
    return [e["choices"][0]["finish_reason"] for e in events
            if isinstance(e, dict) and e.get("choices") and e["choices"][0]["finish_reason"]]


async def stream_raw(c: httpx.AsyncClient, payload: dict) -> tuple[int, bytes, BaseException | None]:
    """Status, the bytes received, and the exception that ended the body (if any)."""
    raw = b""
    async with c.stream("POST", "/chat/completions", json=payload) as r:
        try:
            async for piece in r.aiter_raw():
                raw += piece
        except httpx.TransportError as exc:
            return r.status_code, raw, exc
        return r.status_code, raw, None


async def run(transport: SimulatorTransport, payload: dict) -> tuple[int, list[Any], BaseException | None]:
    async with client(transport) as c:
        status, raw, exc = await stream_raw(c, payload)
    return status, parse_sse(raw), exc

async def statuses(t: SimulatorTransport, model: str, n: int, clock: FakeClock | None = None,
                   step: float = 0.0) -> list[int]:
    out = []
    async with client(t) as c:
        for _ in range(n):
            r = await c.post("/chat/completions", json=body(model, stream=False, max_tokens=2))
            out.append(r.status_code)
            if clock:
                clock.advance(step)
    return out

