"""The simulator's three wires: what a simulated provider sends, spelled as each API spells it.

The request's path says which API it speaks (shared/reference/wires.md): OpenAI Chat Completions
(`…/chat/completions`), Anthropic Messages (`…/v1/messages`) or Gemini
(`…/models/{id}:generateContent`, `:streamGenerateContent`). A `Writer` spells one answer's
events (opening, tokens, finish and usage, terminator, an in-stream error, malformed lines,
keep-alives) and its non-streamed body; `error_reply` spells a scripted error reply. The
transport (sim/transport.py) decides what happens and when; this module only spells it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from tui.engine.sim.behaviours import (
    AuthFailure, ContentPolicy, ContextTooLong, ErrorReply, HttpError, NotFound, Quota, RateLimited,
)

OPENAI, ANTHROPIC, GEMINI = "openai", "anthropic", "gemini"
_ANTHROPIC_TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
                    403: "permission_error", 404: "not_found_error", 413: "request_too_large",
                    429: "rate_limit_error", 500: "api_error", 504: "timeout_error", 529: "overloaded_error"}
_GRPC = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
         429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE",
         504: "DEADLINE_EXCEEDED", 529: "UNAVAILABLE"}
_GOOGLE = "type.googleapis.com/google.rpc."
_STOP = {ANTHROPIC: {"stop": "end_turn", "length": "max_tokens"}, GEMINI: {"stop": "STOP", "length": "MAX_TOKENS"}}


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- the request ---------------------------------------------------------------------------------

def chat_api(method: str, path: str) -> str | None:
    """The API of a chat request (None: not a chat request)."""
    if method != "POST":
        return None
    route = path.rstrip("/")
    if route.endswith("/chat/completions"):
        return OPENAI
    if route.endswith("/messages"):
        return ANTHROPIC
    if route.endswith((":generateContent", ":streamGenerateContent")):
        return GEMINI
    return None


def listing_api(path: str, headers: Any) -> str:
    """The API of a `GET …/models` request: Anthropic's headers, Gemini's `/v1beta`, else OpenRouter's."""
    if "anthropic-version" in headers or "x-api-key" in headers:
        return ANTHROPIC
    return GEMINI if "/v1beta/" in path + "/" or "x-goog-api-key" in headers else OPENAI


def gemini_model(path: str) -> str | None:
    """`…/models/gemini-x:generateContent` -> `gemini-x`."""
    last = path.split("/models/", 1)[-1] if "/models/" in path else ""
    return last.rsplit(":", 1)[0] or None if ":" in last else None


def request_facts(api: str, path: str, body: dict[str, Any]) -> tuple[Any, bool, int | None]:
    """(messages as [{role, content}], streamed?, max output tokens) of a chat request in any API."""
    if api == GEMINI:
        contents = body.get("contents")
        messages = [{"role": "assistant" if c.get("role") == "model" else "user",
                     "content": [p for p in c.get("parts") or () if isinstance(p, dict)]}
                    for c in contents if isinstance(c, dict)] if isinstance(contents, list) else None
        config = body.get("generationConfig") if isinstance(body.get("generationConfig"), dict) else {}
        return messages, path.rstrip("/").endswith(":streamGenerateContent"), config.get("maxOutputTokens")
    limit = body.get("max_tokens", body.get("max_completion_tokens"))
    return body.get("messages"), body.get("stream") is True, limit


# -- error replies -------------------------------------------------------------------------------

def _message(leaf: ErrorReply, model: str) -> str:
    error = leaf.body(model).get("error")
    return str(error.get("message", "")) if isinstance(error, dict) else f"HTTP {leaf.status_code()}"


def error_reply(api: str, leaf: ErrorReply, model: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, body, headers) of a scripted error reply in the API's own shape."""
    status, headers = leaf.status_code(), leaf.headers()
    if api == OPENAI or (isinstance(leaf, HttpError) and leaf.payload is not None):
        return status, leaf.body(model), headers
    message = _message(leaf, model)
    if api == ANTHROPIC:
        kind = _ANTHROPIC_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        if status == 503:  # Anthropic's overload is 529
            status, kind, message = 529, "overloaded_error", "Overloaded (simulated)"
        if isinstance(leaf, Quota):
            status, kind = 400, "invalid_request_error"
            message = "Your credit balance is too low to access the Anthropic API (simulated)."
        elif isinstance(leaf, ContextTooLong):
            message = "prompt is too long: 9000 tokens > 8192 maximum (simulated)"
        elif isinstance(leaf, ContentPolicy):
            status, kind = 400, "invalid_request_error"
            message = "Output blocked by content filtering policy (simulated)"
        return status, {"type": "error", "error": {"type": kind, "message": message},
                        "request_id": "req_simulated"}, {**headers, "request-id": "req_simulated"}
    details: list[dict[str, Any]] = []
    headers = {k: v for k, v in headers.items() if not k.lower().startswith("retry-after")}
    if isinstance(leaf, RateLimited) and leaf.retry_after is not None:
        details.append({"@type": _GOOGLE + "RetryInfo", "retryDelay": f"{leaf.retry_after:g}s"})
    if isinstance(leaf, Quota):
        status = 429
        details.append({"@type": _GOOGLE + "QuotaFailure", "violations": [{
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
            "quotaId": "GenerateRequestsPerDayPerProjectPerModel", "quotaValue": "50"}]})
    elif isinstance(leaf, AuthFailure):
        status, message = 400, "API key not valid. Please pass a valid API key. (simulated)"
        details.append({"@type": _GOOGLE + "ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"})
    elif isinstance(leaf, ContextTooLong):
        message = "The input token count (9000) exceeds the maximum number of tokens allowed (8192). (simulated)"
    elif isinstance(leaf, NotFound):
        message = f"models/{model} is not found for API version v1beta (simulated)."
    elif status == 503:
        message = "The model is overloaded. Please try again later. (simulated)"
    inner: dict[str, Any] = {"code": status, "message": message, "status": _GRPC.get(status, "UNKNOWN")}
    if details:
        inner["details"] = details
    return status, {"error": inner}, headers


# -- answers -------------------------------------------------------------------------------------

class Writer:
    """One answer's events and body on the OpenAI wire (OpenRouter's flavour); subclasses speak the others."""

    def __init__(self, model: str, gen_id: str, created: int, include_usage: bool) -> None:
        self.model, self.gen_id, self.created, self.include_usage = model, gen_id, created, include_usage

    @staticmethod
    def event(obj: Any, name: str | None = None) -> bytes:
        return (f"event: {name}\n".encode() if name else b"") + b"data: " + dumps(obj) + b"\n\n"

    def keepalive(self) -> bytes:
        return b": OPENROUTER PROCESSING\n\n"

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.gen_id, "object": "chat.completion.chunk", "created": self.created,
                               "model": self.model, **extra,
                               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if self.include_usage:
            out["usage"] = None
        return out

    def opening(self) -> bytes:
        """Before the first token (a role-only delta: not a token)."""
        return self.event(self.chunk({"role": "assistant", "content": ""}))

    def token(self, text: str) -> bytes:
        return self.event(self.chunk({"content": text}))

    def malformed(self, n: int) -> bytes:
        return f'data: {{"id":"{self.gen_id}","choices":[{{"delta":{{"content":"trunc{n}'.encode() + b"\n\n"

    def finish(self, reason: str, usage: dict[str, Any]) -> bytes:
        out = self.event(self.chunk({}, reason))
        if self.include_usage:
            out += self.event({"id": self.gen_id, "object": "chat.completion.chunk", "created": self.created,
                               "model": self.model, "choices": [], "usage": usage})
        return out + b"data: [DONE]\n\n"

    def error_event(self, code: int, message: str, done: bool) -> bytes:
        """OpenRouter's in-stream error: top-level `error`, finish_reason "error"."""
        out = self.event({"id": self.gen_id, "object": "chat.completion.chunk", "created": self.created,
                          "model": self.model, "provider": "Simulated", "error": {"code": code, "message": message},
                          "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error",
                                       "native_finish_reason": "error"}]})
        return out + (b"data: [DONE]\n\n" if done else b"")

    def error_body(self, code: int, message: str) -> tuple[int, dict[str, Any]]:
        """A non-streamed request that meets the in-stream error: OpenRouter's error inside a 200."""
        return 200, {"error": {"code": code, "message": message}}

    def body(self, text: str, reason: str, usage: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.gen_id, "object": "chat.completion", "created": self.created, "model": self.model,
                "provider": "Simulated", "choices": [{"index": 0, "finish_reason": reason,
                                                      "message": {"role": "assistant", "content": text}}],
                "usage": usage}


class AnthropicWriter(Writer):
    """Messages: message_start, one text block, message_delta with the stop reason and usage, message_stop."""

    def keepalive(self) -> bytes:
        return self.event({"type": "ping"}, "ping")

    def opening(self) -> bytes:
        return (self.event({"type": "message_start", "message": {
            "id": self.gen_id, "type": "message", "role": "assistant", "content": [], "model": self.model,
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}}},
            "message_start") + self.keepalive()
            + self.event({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                         "content_block_start"))

    def token(self, text: str) -> bytes:
        return self.event({"type": "content_block_delta", "index": 0,
                           "delta": {"type": "text_delta", "text": text}}, "content_block_delta")

    def malformed(self, n: int) -> bytes:
        return f'event: content_block_delta\ndata: {{"type":"content_block_delta","delta":{{"text":"trunc{n}'.encode() \
            + b"\n\n"

    def finish(self, reason: str, usage: dict[str, Any]) -> bytes:
        return (self.event({"type": "content_block_stop", "index": 0}, "content_block_stop")
                + self.event({"type": "message_delta",
                              "delta": {"stop_reason": _STOP[ANTHROPIC].get(reason, reason), "stop_sequence": None},
                              "usage": {"input_tokens": usage["prompt_tokens"],
                                        "output_tokens": usage["completion_tokens"]}}, "message_delta")
                + self.event({"type": "message_stop"}, "message_stop"))

    def error_event(self, code: int, message: str, done: bool) -> bytes:
        kind = "overloaded_error" if code in (502, 503, 529) else "api_error"
        return self.event({"type": "error", "error": {"type": kind, "message": message}}, "error")

    def error_body(self, code: int, message: str) -> tuple[int, dict[str, Any]]:
        return 529, {"type": "error", "error": {"type": "overloaded_error", "message": message}}

    def body(self, text: str, reason: str, usage: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.gen_id, "type": "message", "role": "assistant", "model": self.model,
                "content": [{"type": "text", "text": text}], "stop_reason": _STOP[ANTHROPIC].get(reason, reason),
                "stop_sequence": None, "usage": {"input_tokens": usage["prompt_tokens"],
                                                 "output_tokens": usage["completion_tokens"],
                                                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}


class GeminiWriter(Writer):
    """streamGenerateContent?alt=sse: `data:` GenerateContentResponses (CRLF-framed), no terminator."""

    @staticmethod
    def event(obj: Any, name: str | None = None) -> bytes:
        return b"data: " + dumps(obj) + b"\r\n\r\n"

    def keepalive(self) -> bytes:
        return b": keep-alive\r\n\r\n"

    def response(self, parts: list[dict[str, Any]] | None, finish: str | None = None,
                 usage: dict[str, Any] | None = None) -> dict[str, Any]:
        candidate: dict[str, Any] = {"index": 0}
        if parts is not None:
            candidate["content"] = {"role": "model", "parts": parts}
        if finish is not None:
            candidate["finishReason"] = _STOP[GEMINI].get(finish, finish)
        out: dict[str, Any] = {"candidates": [candidate], "modelVersion": self.model, "responseId": self.gen_id}
        if usage is not None:
            out["usageMetadata"] = {"promptTokenCount": usage["prompt_tokens"],
                                    "candidatesTokenCount": usage["completion_tokens"],
                                    "totalTokenCount": usage["total_tokens"]}
        return out

    def opening(self) -> bytes:
        return b""

    def token(self, text: str) -> bytes:
        return self.event(self.response([{"text": text}]))

    def malformed(self, n: int) -> bytes:
        return f'data: {{"candidates":[{{"content":{{"parts":[{{"text":"trunc{n}'.encode() + b"\r\n\r\n"

    def finish(self, reason: str, usage: dict[str, Any]) -> bytes:
        return self.event(self.response(None, reason, usage))

    def error_event(self, code: int, message: str, done: bool) -> bytes:
        return self.event({"error": {"code": code, "message": message, "status": _GRPC.get(code, "UNKNOWN")}})

    def error_body(self, code: int, message: str) -> tuple[int, dict[str, Any]]:
        return code, {"error": {"code": code, "message": message, "status": _GRPC.get(code, "UNKNOWN")}}

    def body(self, text: str, reason: str, usage: dict[str, Any]) -> dict[str, Any]:
        return self.response([{"text": text}], reason, usage)


def writer_for(api: str, model: str, gen_id: str, created: int, include_usage: bool) -> Writer:
    cls = {ANTHROPIC: AnthropicWriter, GEMINI: GeminiWriter}.get(api, Writer)
    return cls(model, gen_id, created, include_usage or api != OPENAI)


def listing(api: str, catalog: dict[str, Any], path: str, openrouter: Any) -> dict[str, Any]:
    """The model listing in the API's shape (one page: the simulator lists everything at once)."""
    if api == ANTHROPIC:
        ids = list(catalog)
        return {"data": [{"type": "model", "id": m, "display_name": f"{m} (simulated)",
                          "created_at": "2027-01-15T00:00:00Z", "max_input_tokens": item.context_length,
                          "max_tokens": 8192} for m, item in catalog.items()],
                "has_more": False, "first_id": ids[0] if ids else None, "last_id": ids[-1] if ids else None}
    if api == GEMINI:
        return {"models": [{"name": f"models/{m}", "version": "001", "displayName": f"{m} (simulated)",
                            "inputTokenLimit": item.context_length, "outputTokenLimit": 8192,
                            "supportedGenerationMethods": ["generateContent", "countTokens"]}
                           for m, item in catalog.items()]}
    return openrouter(catalog)


def route(path: str) -> str:
    return urlsplit(path).path
