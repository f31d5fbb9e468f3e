"""Shared by the ProviderClient loopback tests: the budgets, a request, and draining or failing one chat."""

from __future__ import annotations

import time

from faultserver import FaultServer

from tui.engine.config import Policy
from tui.engine.events import ChatMessage, ChatRequest
from tui.engine.failures import ProviderError
from tui.engine.provider.client import Delta, Done, ProviderClient

KEY = "sk-test-loopback-0123456789"
TTFT = STALL = 0.5
MARGIN = 1.0  # generous: the budget plus this is the most a call may take
POLICY = Policy(connect_timeout=0.5, ttft_timeout=TTFT, stall_timeout=STALL)
ROOMY = Policy(connect_timeout=5, ttft_timeout=5, stall_timeout=5)  # for tests of anything but a deadline


def request(stream: bool = True, **kw: object) -> ChatRequest:
    return ChatRequest([ChatMessage("user", "hi")], stream=stream, **kw)  # type: ignore[arg-type]


async def run(client: ProviderClient, model: str, *, stream: bool = True,
              policy: Policy = POLICY) -> tuple[list[Delta | Done], ProviderError | None, float]:
    """Drain one chat; (events, error or None, elapsed seconds)."""
    events: list[Delta | Done] = []
    start = time.monotonic()
    try:
        async for event in client.chat(model, request(stream), policy):
            events.append(event)
    except ProviderError as exc:
        return events, exc, time.monotonic() - start
    return events, None, time.monotonic() - start


def text(events: list[Delta | Done]) -> str:
    return "".join(e.text for e in events if isinstance(e, Delta) and not e.reasoning)


async def fails(client: ProviderClient, server: FaultServer, behaviour: object, *, stream: bool = True,
                within: float = MARGIN) -> ProviderError:
    server.script("m", behaviour)  # type: ignore[arg-type]
    events, error, elapsed = await run(client, "m", stream=stream)
    assert error is not None, f"expected a failure, got {events}"
    assert not any(isinstance(e, Done) for e in events), "a failed answer must never end in Done"
    assert elapsed < within, f"took {elapsed:.2f}s"
    assert KEY not in str(error) and KEY not in error.failure.detail
    return error
