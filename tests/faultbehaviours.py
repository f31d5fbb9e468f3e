"""Behaviours for the fault server (tests/faultserver.py): what it does with one request.

Plain dataclasses, JSON-serialisable (`behaviour_from_json` / `behaviour_to_json`) so the
standalone server can read them from a script file. Stdlib only.

A behaviour says what happens, not how a wire spells it: `Stream`, `Reply`, `Error` and `Listing`
are written in the shape of the API the request came in on (OpenAI Chat Completions, Anthropic
Messages or Gemini, told apart by the path; tests/faultwires.py renders them). `Json` is sent
byte for byte whatever the API, for bodies no API would send on its own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


# -- behaviours --------------------------------------------------------------------------------

@dataclass
class Stream:
    """A 200 SSE answer, healthy by default; the `*_after` options inject faults after N token chunks."""

    tokens: list[str] | int = 3  # the content pieces, or how many ("tok0 ", "tok1 ", ...)
    # Tool calls after the content, each {"id", "name", "arguments": dict or JSON text}; each counts as one
    # piece for the `*_after` options. With calls, finish_reason "stop" becomes the API's tool-call reason.
    tool_calls: list[dict] = field(default_factory=list)
    delay: float = 0.0  # between token chunks
    first_delay: float = 0.0  # after the headers, before anything else
    keepalive: int = 0  # `: OPENROUTER PROCESSING` comment lines before the first token
    keepalive_forever: bool = False  # only comments, until the client gives up
    keepalive_interval: float = 0.02
    comment: str = "OPENROUTER PROCESSING"
    role_chunk: bool = True  # a first chunk with only `role` (Anthropic: message_start and a ping; not a token)
    after_role_delay: float = 0.0  # silence after the role chunk
    reasoning: list[str] = field(default_factory=list)  # reasoning pieces, before the content
    reasoning_field: str = "reasoning"  # or "reasoning_content"
    finish_reason: str | None = "stop"  # OpenAI's words, translated per API; an API's own word passes as is
    usage: bool = True
    done: bool = True  # send `data: [DONE]` (Anthropic: `message_stop`; Gemini has no terminator)
    model: str | None = None  # `model` of the chunks; default: the requested model
    cut_after: int | None = None  # close the socket after N token chunks (no terminator)
    stall_after: int | None = None  # go silent after N token chunks, socket left open
    stall_comments: bool = False  # while stalled, keep sending keep-alive comments (still no tokens)
    error_after: int | None = None  # an error chunk after N token chunks (0 = the first and only event)
    error: dict = field(default_factory=lambda: {"code": 502, "message": "Provider returned error"})
    # On the OpenAI wire: openrouter (error + finish_reason error) | litellm (+[DONE]) | anthropic. The
    # Anthropic and Gemini wires always send their own shape (`event: error`; `data: {"error": ...}`).
    error_style: str = "openrouter"
    bad_after: int | None = None  # malformed data line(s) after N token chunks
    bad_lines: int = 1
    crlf: bool = False  # CRLF line ends (always on the Gemini wire, as Google frames its streams)
    fragment: bool = False  # split every event into several writes (and HTTP chunks)
    chunked: bool = True  # False: no Transfer-Encoding, the body ends when the socket closes
    hold_open: bool = False  # after the last event, neither end the body nor close
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Json:
    """A complete response: status, JSON (or raw text) body, headers."""

    status: int = 200
    body: Any = None  # dict/list -> JSON; str -> sent as is; None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before the response headers
    content_type: str = "application/json"


@dataclass
class Reply:
    """A non-streamed answer in the request's API: a chat completion, an Anthropic Message or a Gemini
    GenerateContentResponse, with text, optional reasoning and tool calls (as in `Stream`)."""

    text: str = "ok"
    model: str | None = None  # default: the requested model
    finish_reason: str | None = "stop"  # as in `Stream`
    reasoning: str | None = None
    tool_calls: list[dict] = field(default_factory=list)
    usage: bool = True
    delay: float = 0.0  # before the response headers


@dataclass
class Error:
    """An error response in the request's API.

    OpenAI/OpenRouter: `{"error": {message, code, type, metadata}}`. Anthropic:
    `{"type": "error", "error": {type, message}}`, the type from the status unless `error_type` names one.
    Gemini: `{"error": {code, message, status, details}}`, the status from the HTTP status; a
    Retry-After (`retry_after` or the header) becomes a `RetryInfo` detail, as Google sends no header.
    `apis` replaces fields for one API (`{"anthropic": {"message": "prompt is too long: ..."}}`).
    """

    status: int = 500
    message: str = "error"
    code: Any = None  # OpenAI `code`; default the status, as OpenRouter does
    error_type: str | None = None  # OpenAI `type`; on Anthropic, used when it is one of Anthropic's types
    metadata: dict | None = None  # OpenRouter's `metadata`
    grpc_status: str | None = None  # Gemini `status`; default from the HTTP status
    reason: str | None = None  # Gemini ErrorInfo `reason` (API_KEY_INVALID)
    quota_id: str | None = None  # Gemini QuotaFailure `quotaId` (…PerDay… is a daily quota)
    retry_after: float | None = None  # Retry-After header (OpenAI, Anthropic); Gemini RetryInfo
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    apis: dict[str, dict] = field(default_factory=dict)


@dataclass
class Listing:
    """The model listing in the request's API: OpenRouter's `GET /models` (ids, context_length),
    Anthropic's paged `GET /v1/models` (`limit`, `after_id`, `has_more`), Gemini's paged
    `GET /v1beta/models` (`pageSize`, `pageToken`, `inputTokenLimit`). `models`: id -> context."""

    models: dict[str, int] = field(default_factory=dict)
    page_size: int | None = None  # the server's page size (a request's smaller limit wins)


@dataclass
class Reset:
    """Read the request, then RST the connection (SO_LINGER 0) before any response byte."""


@dataclass
class Close:
    """Read the request, then close (FIN) without a response."""


@dataclass
class Hang:
    """Accept, read the request, never answer (until the client closes)."""


@dataclass
class HeadersThenSilence:
    """Send 200 SSE headers, then nothing, with the socket open."""

    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Redirect:
    """A 3xx to another location (a client must not follow it)."""

    location: str = "http://example.invalid/v1/chat/completions"
    status: int = 302


Behaviour = Stream | Reply | Error | Listing | Json | Reset | Close | Hang | HeadersThenSilence | Redirect
BEHAVIOURS: dict[str, type] = {"stream": Stream, "reply": Reply, "error": Error, "listing": Listing, "json": Json,
                               "reset": Reset, "close": Close, "hang": Hang,
                               "headers_then_silence": HeadersThenSilence, "redirect": Redirect}


def completion(text: str, *, model: str | None = None, finish_reason: str | None = "stop",
               reasoning: str | None = None, usage: bool = True, tool_calls: list[dict] | None = None,
               delay: float = 0.0) -> Reply:
    """A non-streamed answer, in the shape of the request's API."""
    return Reply(text, model, finish_reason, reasoning, list(tool_calls or []), usage, delay)


def error_json(status: int, message: str, *, code: Any = None, type: str | None = None,
               metadata: dict | None = None, headers: dict[str, str] | None = None, **more: Any) -> Error:
    """An error response in the shape of the request's API (see `Error`)."""
    return Error(status, message, code, type, metadata, headers=dict(headers or {}), **more)


def openrouter_models(models: dict[str, int]) -> Json:
    """OpenRouter's `GET /models` body (its documented shape): id -> context_length."""
    return Json(200, {"data": [
        {"id": model, "canonical_slug": model, "name": model, "created": 1, "description": "",
         "context_length": context, "architecture": {"modality": "text->text", "tokenizer": "Other"},
         "pricing": {"prompt": "0.000001", "completion": "0.000002", "request": "0", "image": "0"},
         "top_provider": {"context_length": context, "max_completion_tokens": 4096, "is_moderated": False},
         "per_request_limits": None, "supported_parameters": ["max_tokens", "temperature", "stream"]}
        for model, context in models.items()]})


def openrouter_endpoints(model: str, *, uptime_30m: float, status: int = 0, context: int = 128_000) -> Json:
    """OpenRouter's `GET /models/{author}/{slug}/endpoints` body with one endpoint."""
    return Json(200, {"data": {"id": model, "name": model, "created": 1, "description": "",
                               "architecture": {"modality": "text->text", "tokenizer": "Other"},
                               "endpoints": [{
                                   "name": f"Scripted: {model}", "model_name": model, "context_length": context,
                                   "pricing": {"prompt": "0.000001", "completion": "0.000002"},
                                   "provider_name": "Scripted", "tag": "scripted", "quantization": "fp16",
                                   "max_completion_tokens": 4096, "max_prompt_tokens": context,
                                   "supported_parameters": ["max_tokens"], "status": status,
                                   "uptime_last_5m": uptime_30m, "uptime_last_30m": uptime_30m,
                                   "uptime_last_1d": 99.0,
                                   "latency_last_30m": {"p50": 0.25, "p75": 0.35, "p90": 0.48, "p99": 0.85},
                                   "throughput_last_30m": {"p50": 45.2, "p75": 38.5, "p90": 28.3, "p99": 15.1}}]}})


def openrouter_key(*, limit: float | None, usage: float) -> Json:
    """OpenRouter's `GET /api/v1/key` body (its documented shape); `limit` None: no credit limit."""
    remaining = None if limit is None else limit - usage
    return Json(200, {"data": {"label": "sk-or-v1-abc...xyz", "limit": limit, "limit_reset": None,
                               "limit_remaining": remaining, "include_byok_in_limit": False, "usage": usage,
                               "usage_daily": usage, "usage_weekly": usage, "usage_monthly": usage,
                               "byok_usage": 0, "is_free_tier": False}})


def behaviour_from_json(data: dict) -> Behaviour:
    """`{"type": "stream", "tokens": 3}` -> Stream(tokens=3)."""
    data = dict(data)
    cls = BEHAVIOURS[data.pop("type")]
    return cls(**data)


def behaviour_to_json(behaviour: Behaviour) -> dict:
    name = next(key for key, cls in BEHAVIOURS.items() if isinstance(behaviour, cls))
    return {"type": name, **dataclasses.asdict(behaviour)}
