"""Streamed answers of the fault server, on each provider API's wire (shared/reference/wires.md).

A `Wire` writes the SSE events of one answer (opening, text and reasoning pieces, tool calls,
finish and usage, terminator, an in-stream error, a malformed line) as its API spells them;
`StreamPlayer` plays a `Stream` behaviour onto a connection with it, placing the faults the
behaviour asks for (a cut, a stall, an error, malformed lines) after N pieces. Stdlib only.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from faultbehaviours import Stream
from faultwires import ANTHROPIC, GEMINI, OPENAI, ANTHROPIC_TYPES, GRPC, arguments, finish_word, http_head


# -- the events of each wire ------------------------------------------------------------------------

class Wire:
    """The SSE text of one streamed answer on the OpenAI wire; subclasses speak the others.

    Every method returns the text to send (possibly empty); the server decides when.
    """

    api = OPENAI

    def __init__(self, spec: Stream, model: str) -> None:
        self.spec, self.model = spec, model
        self.eol = "\r\n" if spec.crlf else "\n"
        self.base = {"id": "gen-1", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

    def finish_reason(self) -> str | None:
        return finish_word(self.api, self.spec.finish_reason, bool(self.spec.tool_calls))

    def sse(self, obj: Any, event: str | None = None) -> str:
        prefix = f"event: {event}{self.eol}" if event else ""
        return f"{prefix}data: {json.dumps(obj)}{self.eol}{self.eol}"

    def comment(self) -> str:
        return f": {self.spec.comment}{self.eol}{self.eol}"

    def keepalive(self) -> str:
        return self.comment()

    def start(self) -> str:
        """Before any keep-alive (Anthropic's message_start)."""
        return ""

    def role(self) -> str:
        """After the keep-alives, before the first token (OpenAI's role-only delta)."""
        return self.sse(self.chunk({"role": "assistant", "content": ""})) if self.spec.role_chunk else ""

    def chunk(self, delta: dict, finish: str | None = None) -> dict:
        return {**self.base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def piece(self, text: str, reasoning: bool) -> str:
        return self.sse(self.chunk({self.spec.reasoning_field: text} if reasoning else {"content": text}))

    def tool_call(self, index: int, call: dict) -> str:
        text = arguments(call)[0]
        half = len(text) // 2
        first = {"index": index, "id": call["id"], "type": "function",
                 "function": {"name": call["name"], "arguments": ""}}
        return "".join(self.sse(self.chunk({"tool_calls": [fragment]})) for fragment in (
            first, {"index": index, "function": {"arguments": text[:half]}},
            {"index": index, "function": {"arguments": text[half:]}}))

    def bad_line(self) -> str:
        return f'data: {{"choices": [{{"delta": {{"content": "x{self.eol}{self.eol}'

    def finish(self, reason: str | None, tokens: int) -> str:
        out = self.sse(self.chunk({}, reason)) if reason is not None else ""
        if self.spec.usage:
            out += self.sse({**self.base, "choices": [], "usage": {
                "prompt_tokens": 5, "completion_tokens": tokens, "total_tokens": 5 + tokens, "cost": 0.0001}})
        return out

    def done(self) -> str:
        return f"data: [DONE]{self.eol}{self.eol}"

    def error(self) -> str:
        spec = self.spec
        if spec.error_style == "anthropic":
            return self.sse({"type": "error", "error": spec.error}, event="error")
        if spec.error_style == "litellm":
            return self.sse({"error": spec.error}) + self.done()
        chunk = self.chunk({"content": ""}, "error")
        chunk["choices"][0]["native_finish_reason"] = "error"
        return self.sse({**chunk, "provider": "Scripted", "error": spec.error})


class AnthropicWire(Wire):
    """Messages streaming: message_start, content blocks (text, thinking, tool_use), message_delta, message_stop."""

    api = ANTHROPIC

    def __init__(self, spec: Stream, model: str) -> None:
        super().__init__(spec, model)
        self.index = -1
        self.open: str | None = None  # the open content block's type

    def ev(self, obj: dict) -> str:
        return self.sse(obj, event=obj["type"])

    def keepalive(self) -> str:
        return self.ev({"type": "ping"})

    def start(self) -> str:
        if not self.spec.role_chunk:
            return ""
        return self.ev({"type": "message_start", "message": {
            "id": "msg_scripted", "type": "message", "role": "assistant", "content": [], "model": self.model,
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 1}}}) + \
            self.keepalive()

    def role(self) -> str:
        return ""

    def block(self, kind: str, block: dict | None = None) -> str:
        """Close the open block unless it is of `kind`, then open one of `kind` (None: just close)."""
        if self.open == kind and block is None:
            return ""
        out = self.ev({"type": "content_block_stop", "index": self.index}) if self.open else ""
        self.open = kind
        if kind is not None:
            self.index += 1
            empty = {"type": "thinking", "thinking": ""} if kind == "thinking" else {"type": "text", "text": ""}
            start = block or empty
            out += self.ev({"type": "content_block_start", "index": self.index, "content_block": start})
        return out

    def piece(self, text: str, reasoning: bool) -> str:
        kind = "thinking" if reasoning else "text"
        delta = {"type": "thinking_delta", "thinking": text} if reasoning else {"type": "text_delta", "text": text}
        return self.block(kind) + self.ev({"type": "content_block_delta", "index": self.index, "delta": delta})

    def tool_call(self, index: int, call: dict) -> str:
        text = arguments(call)[0]
        half = len(text) // 2
        out = self.block("tool_use", {"type": "tool_use", "id": call["id"], "name": call["name"], "input": {}})
        for part in (text[:half], text[half:]):
            out += self.ev({"type": "content_block_delta", "index": self.index,
                            "delta": {"type": "input_json_delta", "partial_json": part}})
        return out

    def bad_line(self) -> str:
        return f'event: content_block_delta{self.eol}data: {{"type": "content_block_delta", "ind{self.eol}{self.eol}'

    def finish(self, reason: str | None, tokens: int) -> str:
        if reason is None:
            return ""
        out = self.block(None) if self.open else ""
        return out + self.ev({"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None},
                              "usage": {"output_tokens": tokens if self.spec.usage else 0}})

    def done(self) -> str:
        return self.ev({"type": "message_stop"})

    def error(self) -> str:
        error = self.spec.error
        if not isinstance(error.get("type"), str):  # OpenRouter's {code, message}: Anthropic's closest type
            code = error.get("code")
            kind = "overloaded_error" if code in (502, 503, 529) else ANTHROPIC_TYPES.get(code, "api_error")
            error = {"type": kind, "message": str(error.get("message", "error"))}
        return self.sse({"type": "error", "error": error}, event="error")


class GeminiWire(Wire):
    """streamGenerateContent?alt=sse: CRLF-framed `data:` GenerateContentResponses, no terminator."""

    api = GEMINI

    def __init__(self, spec: Stream, model: str) -> None:
        super().__init__(spec, model)
        self.eol = "\r\n"

    def response(self, parts: list[dict] | None, finish: str | None = None, usage: int | None = None) -> str:
        candidate: dict[str, Any] = {"index": 0}
        if parts is not None:
            candidate["content"] = {"role": "model", "parts": parts}
        if finish is not None:
            candidate["finishReason"] = finish
        body: dict[str, Any] = {"candidates": [candidate], "modelVersion": self.model, "responseId": "scripted"}
        if usage is not None:
            body["usageMetadata"] = {"promptTokenCount": 5, "candidatesTokenCount": usage,
                                     "totalTokenCount": 5 + usage}
        return self.sse(body)

    def role(self) -> str:
        return ""

    def piece(self, text: str, reasoning: bool) -> str:
        return self.response([{"text": text, "thought": True} if reasoning else {"text": text}])

    def tool_call(self, index: int, call: dict) -> str:
        return self.response([{"functionCall": {"name": call["name"], "args": arguments(call)[1]}}])

    def bad_line(self) -> str:
        return f'data: {{"candidates": [{{"content": {{"parts": [{{"text": "x{self.eol}{self.eol}'

    def finish(self, reason: str | None, tokens: int) -> str:
        if reason is None:
            return self.response(None, usage=tokens) if self.spec.usage else ""
        return self.response(None, reason, tokens if self.spec.usage else None)

    def done(self) -> str:
        return ""

    def error(self) -> str:
        error = self.spec.error
        if "status" not in error:  # OpenRouter's {code, message}: Google's shape
            code = error.get("code") if isinstance(error.get("code"), int) else 500
            error = {"code": code, "message": str(error.get("message", "error")),
                     "status": GRPC.get(code, "UNKNOWN")}
        return self.sse({"error": error})


def wire_for(api: str, spec: Stream, model: str) -> Wire:
    return {ANTHROPIC: AnthropicWire, GEMINI: GeminiWire}.get(api, Wire)(spec, model)


# -- playing one answer ----------------------------------------------------------------------

class StreamPlayer:
    """Plays one `Stream` behaviour onto a connection, in the request's API (a `Wire`)."""

    def __init__(self, send: Callable[[bytes], Awaitable[None]], spec: Stream, api: str, model: str | None) -> None:
        self.send, self.spec = send, spec
        self.wire = wire_for(api, spec, spec.model or model or "scripted-model")

    async def emit(self, text: str) -> None:
        if not text:
            return
        data = text.encode()
        pieces = [data[:1], data[1:len(data) // 2], data[len(data) // 2:]] if self.spec.fragment else [data]
        for piece in pieces:
            if piece:
                await self.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if self.spec.chunked else piece)
                if self.spec.fragment:
                    await asyncio.sleep(0.001)

    async def play(self) -> bool:
        spec, wire = self.spec, self.wire
        framing = {"Transfer-Encoding": "chunked"} if spec.chunked else {"Connection": "close"}
        await self.send(http_head(200, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                         **framing, **spec.headers}))
        await asyncio.sleep(spec.first_delay)
        await self.emit(wire.start())
        for _ in range(spec.keepalive):
            await self.emit(wire.keepalive())
            await asyncio.sleep(spec.keepalive_interval)
        while spec.keepalive_forever:
            await self.emit(wire.keepalive())
            await asyncio.sleep(spec.keepalive_interval)
        await self.emit(wire.role())
        if spec.role_chunk:
            await asyncio.sleep(spec.after_role_delay)
        tokens = [f"tok{i} " for i in range(spec.tokens)] if isinstance(spec.tokens, int) else spec.tokens
        pieces = ([(text, True) for text in spec.reasoning] + [(text, False) for text in tokens]
                  + [(call, None) for call in spec.tool_calls])
        for index in range(len(pieces) + 1):
            if spec.cut_after == index:
                return False  # closed by the caller: no terminator, no [DONE]
            if spec.stall_after == index:
                while spec.stall_comments:
                    await self.emit(wire.comment())
                    await asyncio.sleep(spec.keepalive_interval)
                await asyncio.Event().wait()  # until the client closes (the watcher cancels us)
            if spec.error_after == index:
                await self.emit(wire.error())
                return await self.end()
            if spec.bad_after == index:
                for _ in range(spec.bad_lines):
                    await self.emit(wire.bad_line())
            if index == len(pieces):
                break
            item, reasoning = pieces[index]
            if reasoning is None:
                await self.emit(wire.tool_call(index - len(pieces) + len(spec.tool_calls), item))
            else:
                await self.emit(wire.piece(item, reasoning))
            await asyncio.sleep(spec.delay)
        await self.emit(wire.finish(wire.finish_reason(), len(tokens)))
        if spec.done:
            await self.emit(wire.done())
        return await self.end()

    async def end(self) -> bool:
        if self.spec.hold_open:
            await asyncio.Event().wait()  # until the client closes (the watcher cancels us)
        if self.spec.chunked:
            await self.send(b"0\r\n\r\n")
            return True
        return False  # the body ends when the socket closes
