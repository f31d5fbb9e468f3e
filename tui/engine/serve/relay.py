"""One served chat: the engine's event stream written to the client in its own format.

Failover is invisible until the first content byte: the status line and headers wait for the
first token, so a chain that fails before it is answered with a proper status (503 and
`Retry-After` when every model is out). After that the chain runs with `restart=False`: an
upstream failure ends the stream with an in-band error and the model is cooled, and nothing is
restarted behind the client's back. Reasoning text is not forwarded (no API carries another
vendor's thinking), so it never commits the stream either.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Awaitable, Callable
from typing import Any

from tui.engine.api import ModelFallback
from tui.engine.events import Answered, Attempt, AttemptFailed, AttemptSkipped, AttemptStarted, ChainFailed, Token
from tui.engine.events import ToolCallToken
from tui.engine.failures import FailureKind
from tui.engine.secrets import redact_known
from tui.engine.serve.parse import Inbound
from tui.engine.serve.traffic import Served, Traffic
from tui.engine.serve.wire import StreamWriter, Wire

Send = Callable[[dict[str, Any]], Awaitable[None]]
REQUEST_KINDS = {FailureKind.CONTEXT_LENGTH.value, FailureKind.BAD_REQUEST.value}  # the request's own problem
TRANSIENT = {FailureKind.RATE_LIMITED.value, FailureKind.UNAVAILABLE.value, FailureKind.SERVER_ERROR.value,
             FailureKind.TIMEOUT.value, FailureKind.CONNECTION.value, FailureKind.INTERRUPTED.value}
JSON = (b"content-type", b"application/json")
SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]


def ascii_header(text: str) -> bytes:
    """A header value: printable ASCII only (model names are; anything else becomes '?')."""
    return "".join(c if " " <= c <= "~" else "?" for c in text).encode("ascii")


def trail_header(attempts: list[Attempt], answering: str | None = None) -> bytes:
    """`x-modelfallback-attempts`: `model=outcome[:kind][:status]`, comma-separated, in order."""
    items = []
    for a in attempts:
        item = f"{a.model}={a.outcome}"
        if a.kind:
            item += f":{a.kind}"
        if a.status and a.status >= 400:
            item += f":{a.status}"
        items.append(item)
    if answering is not None and not (attempts and attempts[-1].model == answering and attempts[-1].outcome == "ok"):
        items.append(f"{answering}=answering")
    return ascii_header(", ".join(items))


async def send_body(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    head = [JSON, (b"content-length", str(len(body)).encode())] + (headers or [])
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


class Relay:
    """Serves one chat request; `run()` answers it whole or streamed."""

    def __init__(self, engine: ModelFallback, traffic: Traffic, wire: Wire, inbound: Inbound, record: Served,
                 send: Send) -> None:
        self.engine, self.traffic, self.wire, self.inbound = engine, traffic, wire, inbound
        self.record, self.send = record, send
        self.attempts: list[Attempt] = []

    async def run(self) -> None:
        target = self.inbound.model
        wait = self.engine.config.serve.wait
        final = await (self._stream() if self.inbound.request.stream else self._whole())
        if isinstance(final, ChainFailed) and final.kind == "all_failed" and wait > 0 \
                and not (self._kinds(final) & REQUEST_KINDS) \
                and await self.engine.wait_for_return(target, wait) is not None:
            self.attempts = []
            final = await (self._stream() if self.inbound.request.stream else self._whole())
        if isinstance(final, ChainFailed):
            await self._refuse(final)

    # -- the two ways to answer -------------------------------------------------------------------

    def _note(self, event: object) -> None:
        """Attempts and the answering model, for the trail header and the traffic view."""
        kind = type(event)
        if kind is AttemptStarted:
            self.record.model = event.model  # type: ignore[attr-defined]
            self.traffic.changed(self.record)
        elif kind is AttemptFailed or kind is AttemptSkipped:
            self.attempts.append(event.attempt)  # type: ignore[attr-defined]

    async def _whole(self) -> ChainFailed | None:
        """Non-streamed: the chain fails over fully; one JSON body at the end."""
        events = self.engine.chat(self.inbound.model, self.inbound.request, tokens=False)
        async with contextlib.aclosing(events):
            async for event in events:
                if isinstance(event, Answered):
                    self._answered(event)
                    await send_body(self.send, 200, self.wire.answer(event), self._headers(event.model, event))
                    self.traffic.end(self.record, "done", 200)
                    return None
                if isinstance(event, ChainFailed):
                    return event
                self._note(event)
        return None  # pragma: no cover - a chain always ends with Answered or ChainFailed

    async def _stream(self) -> ChainFailed | None:
        """Streamed: headers with the first content; after that, failures are in-band."""
        writer: StreamWriter | None = None
        send = self.send
        events = self.engine.chat(self.inbound.model, self.inbound.request, restart=False)
        async with contextlib.aclosing(events):
            async for event in events:
                kind = type(event)
                if kind is Token:
                    if event.reasoning:  # type: ignore[union-attr]
                        continue
                    if writer is None:
                        writer = await self._begin(event.model)  # type: ignore[union-attr]
                    await send({"type": "http.response.body", "body": writer.text(event.text),  # type: ignore[union-attr]
                                "more_body": True})
                elif kind is ToolCallToken:
                    if writer is None:
                        writer = await self._begin(event.model)  # type: ignore[union-attr]
                    await send({"type": "http.response.body", "body": writer.tool(event), "more_body": True})  # type: ignore[arg-type]
                elif kind is Answered:
                    if writer is None:
                        writer = await self._begin(event.model)  # type: ignore[union-attr]
                    self._answered(event)  # type: ignore[arg-type]
                    await send({"type": "http.response.body", "body": writer.end(event)})  # type: ignore[arg-type]
                    self.traffic.end(self.record, "done", 200)
                    return None
                elif kind is ChainFailed:
                    if writer is None:
                        return event  # type: ignore[return-value]
                    self.attempts = list(event.attempts)  # type: ignore[union-attr]
                    self.record.attempts = self.attempts
                    kinds = self._kinds(event)  # type: ignore[arg-type]
                    message = redact_known(event.message)  # type: ignore[union-attr]
                    await send({"type": "http.response.body", "body": writer.fail(message, bool(kinds & TRANSIENT))})
                    self.traffic.end(self.record, "failed", 200, message)
                    return None
                else:
                    self._note(event)
        return None  # pragma: no cover

    async def _begin(self, model: str) -> StreamWriter:
        self.record.model = model
        self.record.state = "streaming"
        self.traffic.changed(self.record)
        await self.send({"type": "http.response.start", "status": 200, "headers": SSE + self._headers(model)})
        return self.wire.stream(model, self.inbound.include_usage)

    # -- bookkeeping and refusals -------------------------------------------------------------------

    def _headers(self, model: str, answered: Answered | None = None) -> list[tuple[bytes, bytes]]:
        attempts = answered.attempts if answered is not None else self.attempts
        return [(b"x-modelfallback-model", ascii_header(model)),
                (b"x-modelfallback-attempts", trail_header(attempts, None if answered else model))]

    def _answered(self, answered: Answered) -> None:
        record = self.record
        record.model = answered.model
        record.attempts = answered.attempts
        record.prompt_tokens = answered.usage.prompt_tokens
        record.completion_tokens = answered.usage.completion_tokens
        record.cost = answered.usage.cost

    @staticmethod
    def _kinds(failed: ChainFailed) -> set[str]:
        return {a.kind for a in failed.attempts if a.outcome == "failed" and a.kind}

    async def _refuse(self, failed: ChainFailed) -> None:
        """No content went out: a proper status in the client's shape."""
        self.record.attempts = failed.attempts
        message = redact_known(failed.message)
        kinds = self._kinds(failed)
        headers = [(b"x-modelfallback-attempts", trail_header(failed.attempts))]
        code = None
        if failed.kind in ("request_error", FailureKind.CONTENT_POLICY.value) or (kinds and kinds <= REQUEST_KINDS):
            status = 400
            if failed.kind == FailureKind.CONTENT_POLICY.value:
                code = "content_filter"
            elif kinds == {FailureKind.CONTEXT_LENGTH.value}:
                code = "context_length_exceeded"  # aider and litellm recognise this wording and code
                message = f"This model's maximum context length is exceeded: {message}"
        else:
            status = self.wire.all_out_status(kinds)
            back = self.engine.first_return(self.inbound.model)
            if back is not None:
                headers.append((b"retry-after", str(max(1, math.ceil(back[1]))).encode()))
        await send_body(self.send, status, self.wire.error(status, message, code=code), headers)
        self.traffic.end(self.record, "failed", status, message)
