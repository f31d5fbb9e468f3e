"""How the fault server spells a behaviour on each provider API (shared/reference/wires.md).

The request's path says which API it speaks: OpenAI Chat Completions (`…/chat/completions`),
Anthropic Messages (`POST /v1/messages`) or Gemini (`POST /v1beta/models/{id}:generateContent`,
`:streamGenerateContent?alt=sse`). A listing (`GET …/models`) is Anthropic's when the request
carries Anthropic's headers, Gemini's under `/v1beta`, else OpenRouter's.

`reply_body`, `error_response` and `listing_body` give whole bodies; tests/faultstreams.py
writes streamed answers.

Stdlib only, like the server.
"""

from __future__ import annotations

import http
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from faultbehaviours import Error, Listing, Reply

OPENAI, ANTHROPIC, GEMINI = "openai", "anthropic", "gemini"
APIS = (OPENAI, ANTHROPIC, GEMINI)

# OpenAI's finish reasons in the other APIs' words (an API's own word passes through unchanged).
_FINISH = {
    ANTHROPIC: {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"},
    GEMINI: {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP", "content_filter": "SAFETY"},
}
ANTHROPIC_TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
                    403: "permission_error", 404: "not_found_error", 413: "request_too_large",
                    429: "rate_limit_error", 500: "api_error", 504: "timeout_error", 529: "overloaded_error"}
GRPC = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
         408: "DEADLINE_EXCEEDED", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
         502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED", 529: "UNAVAILABLE"}
_GOOGLE = "type.googleapis.com/google.rpc."


# -- which API, which model ----------------------------------------------------------------------

def route_of(path: str) -> str:
    """The path without its query."""
    return urlsplit(path).path


def api_of(method: str, path: str, headers: dict[str, str]) -> str:
    """The API a request speaks, from its path (and, for a listing, its headers)."""
    route = route_of(path).rstrip("/")
    if route.endswith("/chat/completions"):
        return OPENAI
    if route.endswith(("/messages", "/messages/count_tokens")):
        return ANTHROPIC
    if ":generateContent" in route or ":streamGenerateContent" in route or "/v1beta/" in route + "/":
        return GEMINI
    if "anthropic-version" in headers or "x-api-key" in headers:
        return ANTHROPIC
    if "x-goog-api-key" in headers:
        return GEMINI
    return OPENAI


def gemini_model(path: str) -> str | None:
    """`/v1beta/models/gemini-x:generateContent` -> `gemini-x`."""
    route = route_of(path)
    if "/models/" not in route or ":" not in route.rsplit("/", 1)[-1]:
        return None
    return route.split("/models/", 1)[1].rsplit(":", 1)[0]


def is_stream_request(api: str, path: str, body: Any) -> bool:
    if api == GEMINI:
        return ":streamGenerateContent" in route_of(path)
    return isinstance(body, dict) and body.get("stream") is True


def finish_word(api: str, reason: str | None, has_tools: bool) -> str | None:
    if reason == "stop" and has_tools:
        reason = "tool_calls"
    return reason if reason is None or api == OPENAI else _FINISH[api].get(reason, reason)


def http_head(status: int, headers: dict[str, str]) -> bytes:
    """An HTTP/1.1 status line and headers."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {status} {phrase}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def arguments(call: dict) -> tuple[str, dict]:
    """A call's arguments as JSON text (OpenAI) and as an object (Anthropic, Gemini)."""
    args = call.get("arguments", {})
    if isinstance(args, str):
        return args, json.loads(args)
    return json.dumps(args), args


# -- whole bodies -------------------------------------------------------------------------------

def reply_body(api: str, reply: Reply, model: str) -> dict:
    """A non-streamed answer."""
    model = reply.model or model
    finish = finish_word(api, reply.finish_reason, bool(reply.tool_calls))
    calls = reply.tool_calls
    if api == ANTHROPIC:
        content: list[dict] = []
        if reply.reasoning is not None:
            content.append({"type": "thinking", "thinking": reply.reasoning, "signature": "sig-scripted"})
        if reply.text or not calls:
            content.append({"type": "text", "text": reply.text})
        content += [{"type": "tool_use", "id": c["id"], "name": c["name"], "input": arguments(c)[1]} for c in calls]
        usage = {"input_tokens": 5, "output_tokens": 3, "cache_creation_input_tokens": 0,
                 "cache_read_input_tokens": 0} if reply.usage else {"input_tokens": 0, "output_tokens": 0}
        return {"id": "msg_scripted", "type": "message", "role": "assistant", "model": model, "content": content,
                "stop_reason": finish, "stop_sequence": None, "usage": usage}
    if api == GEMINI:
        parts: list[dict] = []
        if reply.reasoning is not None:
            parts.append({"text": reply.reasoning, "thought": True})
        if reply.text or not calls:
            parts.append({"text": reply.text})
        parts += [{"functionCall": {"name": c["name"], "args": arguments(c)[1]}} for c in calls]
        body: dict[str, Any] = {"candidates": [{"content": {"role": "model", "parts": parts}, "index": 0,
                                                "finishReason": finish}],
                                "modelVersion": model, "responseId": "scripted"}
        if reply.usage:
            body["usageMetadata"] = {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8}
        return body
    message: dict[str, Any] = {"role": "assistant", "content": reply.text if reply.text or not calls else None}
    if reply.reasoning is not None:
        message["reasoning"] = reply.reasoning
    if calls:
        message["tool_calls"] = [{"id": c["id"], "type": "function",
                                  "function": {"name": c["name"], "arguments": arguments(c)[0]}} for c in calls]
    body = {"id": "gen-1", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}]}
    if reply.usage:
        body["usage"] = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8, "cost": 0.0001}
    return body


def _seconds(value: float) -> str:
    return f"{value:g}s"


def error_response(api: str, error: Error) -> tuple[int, dict[str, str], dict]:
    """(status, headers, body) of an error in the API's own shape."""
    if api in error.apis:
        error = Error(**{**error.__dict__, **error.apis[api], "apis": {}})
    headers = dict(error.headers)
    retry_header = next((k for k in headers if k.lower() == "retry-after"), None)
    if api == GEMINI:
        retry = error.retry_after
        if retry_header is not None:  # Google sends the delay in the body, never as a header
            value = headers.pop(retry_header)
            retry = float(value) if retry is None else retry
        details: list[dict] = []
        if error.reason:
            details.append({"@type": _GOOGLE + "ErrorInfo", "reason": error.reason, "domain": "googleapis.com"})
        if error.quota_id:
            details.append({"@type": _GOOGLE + "QuotaFailure", "violations": [{
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
                "quotaId": error.quota_id, "quotaValue": "10"}]})
        if retry is not None:
            details.append({"@type": _GOOGLE + "RetryInfo", "retryDelay": _seconds(retry)})
        inner: dict[str, Any] = {"code": error.status, "message": error.message,
                                 "status": error.grpc_status or GRPC.get(error.status, "UNKNOWN")}
        if details:
            inner["details"] = details
        return error.status, headers, {"error": inner}
    if error.retry_after is not None and retry_header is None:
        headers["retry-after"] = f"{error.retry_after:g}"
    if api == ANTHROPIC:
        kind = error.error_type if error.error_type in ANTHROPIC_TYPES.values() else ANTHROPIC_TYPES.get(
            error.status, "api_error" if error.status >= 500 else "invalid_request_error")
        headers.setdefault("request-id", "req_scripted")
        return error.status, headers, {"type": "error", "error": {"type": kind, "message": error.message},
                                       "request_id": "req_scripted"}
    inner = {"message": error.message, "code": error.status if error.code is None else error.code}
    if error.error_type is not None:
        inner["type"] = error.error_type
    if error.metadata is not None:
        inner["metadata"] = error.metadata
    return error.status, headers, {"error": inner}


def listing_body(api: str, listing: Listing, path: str) -> dict:
    """One page of the model listing."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
    ids = list(listing.models)
    if api == OPENAI:
        return {"data": [{"id": m, "name": m, "context_length": c, "created": 1,
                          "pricing": {"prompt": "0.000001", "completion": "0.000002"},
                          "top_provider": {"context_length": c, "max_completion_tokens": 4096}}
                         for m, c in listing.models.items()]}
    if api == ANTHROPIC:
        limit = int(query.get("limit", 20))
        start = ids.index(query["after_id"]) + 1 if query.get("after_id") in ids else 0
        size = min(limit, listing.page_size or limit)
        page = ids[start:start + size]
        return {"data": [{"type": "model", "id": m, "display_name": m, "created_at": "2025-09-29T00:00:00Z",
                          "max_input_tokens": listing.models[m], "max_tokens": 8192} for m in page],
                "has_more": start + size < len(ids), "first_id": page[0] if page else None,
                "last_id": page[-1] if page else None}
    size = min(int(query.get("pageSize", 50)), listing.page_size or 1000)
    start = int(query.get("pageToken") or 0)
    page = ids[start:start + size]
    body: dict[str, Any] = {"models": [{
        "name": f"models/{m}", "version": "001", "displayName": m, "inputTokenLimit": listing.models[m],
        "outputTokenLimit": 8192, "supportedGenerationMethods": ["generateContent", "countTokens"]} for m in page]}
    if start + size < len(ids):
        body["nextPageToken"] = str(start + size)
    return body
