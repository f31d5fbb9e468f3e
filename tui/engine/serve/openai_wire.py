"""OpenAI Chat Completions as served: answers, `chat.completion.chunk` streams and error bodies.

A stream that fails after content ends with a chunk whose top level is `error` (the openai SDK
and litellm raise `APIError` on it) plus OpenRouter's `finish_reason: "error"` for clients that
ignore `error`, and no `[DONE]`: a truncated answer never looks complete.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tui.engine.events import Answered, ToolCallToken, Usage
from tui.engine.serve.parse import Inbound, read_openai
from tui.engine.serve.wire import StreamWriter, Wire, dumps, new_id

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "invalid_request_error",
               405: "invalid_request_error", 408: "timeout", 413: "invalid_request_error",
               429: "rate_limit_exceeded", 503: "service_unavailable"}


def finish_reason(answered: Answered) -> str:
    if answered.tool_calls:
        return "tool_calls"
    reason = answered.finish_reason
    return reason if reason in ("stop", "length", "tool_calls", "content_filter") else "stop"


def usage_json(usage: Usage) -> dict[str, Any] | None:
    if usage.prompt_tokens is None and usage.completion_tokens is None:
        return None
    prompt, completion = usage.prompt_tokens or 0, usage.completion_tokens or 0
    out: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion,
                           "total_tokens": usage.total_tokens or prompt + completion}
    if usage.cost is not None:
        out["cost"] = usage.cost  # OpenRouter's field; clients that do not know it ignore it
    return out


class OpenAIStream(StreamWriter):
    def __init__(self, model: str, include_usage: bool) -> None:
        self.include_usage = include_usage
        head = {"id": new_id("chatcmpl-"), "object": "chat.completion.chunk", "created": int(time.time()),
                "model": model}
        # Every chunk shares this prefix: each token costs one json.dumps of its text, not of a whole chunk.
        self._prefix = b"data: " + dumps(head)[:-1] + b',"choices":[{"index":0,"delta":'
        self._started = False

    def _chunk(self, delta: bytes, finish: str | None = None) -> bytes:
        reason = b"null" if finish is None else json.dumps(finish).encode()
        return self._prefix + delta + b',"finish_reason":' + reason + b"}]}\n\n"

    def _role(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return self._chunk(b'{"role":"assistant","content":""}')

    def text(self, text: str) -> bytes:
        return self._role() + self._chunk(b'{"content":' + dumps(text) + b"}")

    def tool(self, token: ToolCallToken) -> bytes:
        call: dict[str, Any] = {"index": token.index}
        if token.id:
            call["id"] = token.id
            call["type"] = "function"
        function: dict[str, Any] = {"arguments": token.arguments}
        if token.name:
            function["name"] = token.name
        call["function"] = function
        return self._role() + self._chunk(dumps({"tool_calls": [call]}))

    def end(self, answered: Answered) -> bytes:
        out = self._role() + self._chunk(b"{}", finish_reason(answered))
        usage = usage_json(answered.usage)
        if self.include_usage:
            # The usage chunk: no choices, the prefix's choices list left empty.
            out += self._prefix.split(b',"choices"')[0] + b',"choices":[],"usage":' + dumps(usage) + b"}\n\n"
        return out + b"data: [DONE]\n\n"

    def fail(self, message: str, transient: bool) -> bytes:
        error = {"message": message, "type": "server_error", "code": "upstream_interrupted" if transient else None}
        chunk = dumps({"error": error, "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}]})
        return b"data: " + chunk + b"\n\n"


class OpenAIWire(Wire):
    name = "openai"

    def parse(self, body: Any) -> Inbound:
        return read_openai(body)

    def error(self, status: int, message: str, *, code: str | None = None) -> bytes:
        kind = ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
        return dumps({"error": {"message": message, "type": kind, "param": None, "code": code}})

    def answer(self, answered: Answered) -> bytes:
        message: dict[str, Any] = {"role": "assistant", "content": answered.content, "refusal": None}
        if answered.tool_calls:
            message["content"] = answered.content or None
            message["tool_calls"] = [{"id": c.id, "type": "function",
                                      "function": {"name": c.name, "arguments": c.arguments}}
                                     for c in answered.tool_calls]
        return dumps({"id": new_id("chatcmpl-"), "object": "chat.completion", "created": int(time.time()),
                      "model": answered.model,
                      "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(answered),
                                   "logprobs": None}],
                      "usage": usage_json(answered.usage)})

    def stream(self, model: str, include_usage: bool) -> StreamWriter:
        return OpenAIStream(model, include_usage)
