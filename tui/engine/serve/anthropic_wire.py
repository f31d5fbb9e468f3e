"""Anthropic Messages as served: answers, the event stream and error bodies.

The stream keeps the framing Anthropic clients need: `message_start` first, start/stop around
every block, one `message_delta` with a stop reason, then `message_stop`. A failure after content
is `event: error` (`overloaded_error` when it is worth a retry: Claude Code retries it) with no
`message_delta` or `message_stop`, so a truncated answer never looks complete. When every model
is out the status is 529 `overloaded_error` (429 `rate_limit_error` when every failure was a rate
limit): the statuses Claude Code and the SDK retry, honouring `retry-after`.
"""

from __future__ import annotations

from typing import Any

from tui.engine.events import Answered, ToolCallToken, Usage
from tui.engine.serve.parse import Inbound, read_anthropic
from tui.engine.serve.wire import StreamWriter, Wire, dumps, new_id

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
               403: "permission_error", 404: "not_found_error", 405: "invalid_request_error",
               408: "timeout_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
               503: "overloaded_error", 504: "timeout_error", 529: "overloaded_error"}
STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}


def stop_reason(answered: Answered) -> str:
    if answered.tool_calls:
        return "tool_use"
    return STOP_REASONS.get(answered.finish_reason or "stop", "end_turn")


def usage_json(usage: Usage) -> dict[str, int]:
    return {"input_tokens": usage.prompt_tokens or 0, "output_tokens": usage.completion_tokens or 0}


def _event(name: bytes, data: dict[str, Any]) -> bytes:
    return b"event: " + name + b"\ndata: " + dumps(data) + b"\n\n"


class AnthropicStream(StreamWriter):
    def __init__(self, model: str) -> None:
        self.model = model
        self._started = False
        self._block = -1  # the index of the open content block
        self._open: str | None = None  # "text", or the tool call's own index as "tool:N"
        self._text_prefix = b""

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        message = {"id": new_id("msg_"), "type": "message", "role": "assistant", "content": [], "model": self.model,
                   "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 0, "output_tokens": 0}}
        return _event(b"message_start", {"type": "message_start", "message": message})

    def _close_block(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return _event(b"content_block_stop", {"type": "content_block_stop", "index": self._block})

    def _open_block(self, kind: str, block: dict[str, Any]) -> bytes:
        out = self._close_block()
        self._block += 1
        self._open = kind
        return out + _event(b"content_block_start", {"type": "content_block_start", "index": self._block,
                                                     "content_block": block})

    def text(self, text: str) -> bytes:
        out = self._start()
        if self._open != "text":
            out += self._open_block("text", {"type": "text", "text": ""})
            self._text_prefix = (b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
                                 + str(self._block).encode() + b',"delta":{"type":"text_delta","text":')
        return out + self._text_prefix + dumps(text) + b"}}\n\n"

    def tool(self, token: ToolCallToken) -> bytes:
        out = self._start()
        key = f"tool:{token.index}"
        if self._open != key:
            out += self._open_block(key, {"type": "tool_use", "id": token.id or f"toolu_{token.index}",
                                          "name": token.name or "", "input": {}})
        if token.arguments:
            out += _event(b"content_block_delta", {"type": "content_block_delta", "index": self._block,
                                                   "delta": {"type": "input_json_delta",
                                                             "partial_json": token.arguments}})
        return out

    def end(self, answered: Answered) -> bytes:
        out = self._start() + self._close_block()
        delta = {"type": "message_delta", "delta": {"stop_reason": stop_reason(answered), "stop_sequence": None},
                 "usage": usage_json(answered.usage)}
        return out + _event(b"message_delta", delta) + _event(b"message_stop", {"type": "message_stop"})

    def fail(self, message: str, transient: bool) -> bytes:
        kind = "overloaded_error" if transient else "api_error"
        return _event(b"error", {"type": "error", "error": {"type": kind, "message": message}})


class AnthropicWire(Wire):
    name = "anthropic"

    def parse(self, body: Any) -> Inbound:
        return read_anthropic(body)

    def error(self, status: int, message: str, *, code: str | None = None) -> bytes:
        kind = ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return dumps({"type": "error", "error": {"type": kind, "message": message}, "request_id": new_id("req_")})

    def answer(self, answered: Answered) -> bytes:
        content: list[dict[str, Any]] = []
        if answered.content or not answered.tool_calls:
            content.append({"type": "text", "text": answered.content})
        for call in answered.tool_calls:
            try:
                arguments = call.input()
            except ValueError:
                arguments = {}  # the model wrote arguments that are not an object: Anthropic's input must be one
            content.append({"type": "tool_use", "id": call.id, "name": call.name, "input": arguments})
        return dumps({"id": new_id("msg_"), "type": "message", "role": "assistant", "model": answered.model,
                      "content": content, "stop_reason": stop_reason(answered), "stop_sequence": None,
                      "usage": usage_json(answered.usage)})

    def stream(self, model: str, include_usage: bool) -> StreamWriter:
        return AnthropicStream(model)

    def all_out_status(self, kinds: set[str]) -> int:
        return 429 if kinds == {"rate_limited"} else 529
