"""The `gemini` adapter: Google's Gemini API, `generateContent` and `streamGenerateContent?alt=sse` (wires.md §3).

Base URL as Google's SDK takes it (`https://generativelanguage.googleapis.com`; one ending in
`/v1beta` or `/v1` is accepted too); the key goes in `x-goog-api-key`. Every stream event is a
whole `GenerateContentResponse` with only the new parts; there is no terminator, the finish reason
and usage come last and the body ends. Function calls arrive whole and usually without an id, so
the adapter gives each one. The request's translation is `gemini_wire`.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from tui.engine.conversation import ChatRequest
from tui.engine.events import Usage
from tui.engine.failures import Failure, FailureKind
from tui.engine.provider.adapter import Adapter, Listed, listing_items
from tui.engine.provider.answer import AnswerItem, Delta, Done
from tui.engine.provider.classify import classify_error_object, classify_response
from tui.engine.provider.gemini_wire import gemini_body
from tui.engine.provider.retry_after import lower_headers
from tui.engine.provider.stream_state import StreamState, nonneg_int, text_of

K = FailureKind
FILTERED = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE", "IMAGE_SAFETY",
            "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"}


def _finish(reason: str, calls: bool) -> str:
    if reason == "STOP":
        return "tool_calls" if calls else "stop"
    if reason == "MAX_TOKENS":
        return "length"
    if reason in FILTERED:
        return "content_filter"
    return reason.lower()


def parse_usage(value: Any) -> Usage | None:
    """`usageMetadata` as canonical usage: output counts thoughts too, as the other APIs count reasoning."""
    if not isinstance(value, dict):
        return None
    prompt = nonneg_int(value.get("promptTokenCount"))
    tool_prompt = nonneg_int(value.get("toolUsePromptTokenCount"))
    answer = nonneg_int(value.get("candidatesTokenCount"))
    thoughts = nonneg_int(value.get("thoughtsTokenCount"))
    usage = Usage(None if prompt is None else prompt + (tool_prompt or 0),
                  None if answer is None and thoughts is None else (answer or 0) + (thoughts or 0),
                  nonneg_int(value.get("totalTokenCount")))
    usage.cache_read_tokens = nonneg_int(value.get("cachedContentTokenCount"))
    return usage if any(v is not None for v in usage.to_json().values()) else None


class GeminiStream(StreamState):
    """GenerateContentResponse events (and a whole one) as canonical pieces."""

    def __init__(self, provider: str, status: int, headers: Mapping[str, str], now_wall: float) -> None:
        super().__init__(provider, status, headers, now_wall, classify_gemini_error)
        self._calls = 0

    def _chunk(self, obj: dict, event: str | None) -> list[AnswerItem]:
        # The usual event is one candidate with one text part: its path is read first, the rare
        # fields (error, blocked prompt, usage) only when present.
        if "error" in obj and obj["error"]:
            raise self.error(obj["error"])
        if self.model is None and text_of(obj.get("modelVersion")):
            self.model = obj["modelVersion"]
        if "usageMetadata" in obj:
            self.usage = parse_usage(obj["usageMetadata"]) or self.usage
        if "promptFeedback" in obj:
            feedback = obj["promptFeedback"]
            if isinstance(feedback, dict) and text_of(feedback.get("blockReason")):
                raise self.fail(K.CONTENT_POLICY, f"the prompt was blocked ({feedback['blockReason']})")
        candidates = obj.get("candidates")
        if type(candidates) is not list or not candidates or type(candidates[0]) is not dict:
            return []
        candidate = candidates[0]
        out: list[AnswerItem] = []
        content = candidate.get("content")
        parts = content.get("parts") if type(content) is dict else None
        if type(parts) is list:
            for part in parts:
                if type(part) is not dict:
                    continue
                text = part.get("text")
                if text and type(text) is str:
                    out.append(Delta(text, True) if part.get("thought") is True else self.text(text))
                if "functionCall" in part:
                    out.append(self._function_call(part["functionCall"]))
        if "finishReason" in candidate:
            reason = candidate["finishReason"]
            if isinstance(reason, str) and reason and reason != "FINISH_REASON_UNSPECIFIED":
                self.finish_reason = _finish(reason, self.tool_calls)
        return out

    def _function_call(self, call: Any) -> AnswerItem:
        """A whole function call (Gemini sends them whole), with an id of our own when it has none."""
        if not isinstance(call, dict):
            raise ValueError("functionCall is not an object")  # a malformed line, counted as such
        call_id = text_of(call.get("id")) or f"call_{uuid.uuid4().hex[:24]}"
        item = self.call(self._calls, call_id, text_of(call.get("name")) or None,
                         json.dumps(call.get("args") or {}, ensure_ascii=False))
        self._calls += 1
        return item

    def json_answer(self, data: Any) -> list[AnswerItem]:
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, dict):
            raise self.fail(K.PROTOCOL, "unexpected JSON response (not an object)")
        items = self._chunk(data, None)
        if self.finish_reason is None and not items:
            raise self.fail(K.PROTOCOL, "response without candidates")
        reasoning = any(isinstance(i, Delta) and i.reasoning for i in items)
        self.check_not_empty(bool(self.content) or self.tool_calls, reasoning, self.finish_reason)
        items.append(Done(self.finish_reason, self.usage, self.model))
        return items


def _details(error: dict) -> list[dict]:
    details = error.get("details")
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def classify_gemini_error(error: Any, status: int | None, headers: Mapping[str, str] | None, now_wall: float,
                          after_content: bool = False) -> Failure:
    """A Google error object (`{"code", "message", "status", "details": [...]}`). The details decide
    what the shared rules cannot see: `RetryInfo.retryDelay` is the wait, a per-day `QuotaFailure`
    is a quota, `ErrorInfo` API_KEY_INVALID is an auth failure (Gemini sends it as a 400)."""
    if isinstance(error, list) and len(error) == 1:
        error = error[0]
    if isinstance(error, dict) and isinstance(error.get("error"), dict):
        error = error["error"]
    merged = lower_headers(headers)
    details = _details(error) if isinstance(error, dict) else []
    for detail in details:
        delay = detail.get("retryDelay")
        if str(detail.get("@type", "")).endswith("RetryInfo") and isinstance(delay, str) and delay.endswith("s"):
            merged.setdefault("retry-after", delay[:-1])
    failure = classify_error_object(error, status, merged, now_wall, after_content)
    if after_content:
        return failure
    reasons = {str(d.get("reason", "")) for d in details}
    quota_ids = [str(v.get("quotaId", "")) for d in details for v in d.get("violations", []) if isinstance(v, dict)]
    if "API_KEY_INVALID" in reasons:
        return dataclasses.replace(failure, kind=K.AUTH, retry_after_s=None)
    if failure.kind is K.RATE_LIMITED and any("PerDay" in q for q in quota_ids):
        return dataclasses.replace(failure, kind=K.QUOTA, retry_after_s=None,
                                   reset_at=now_wall + failure.retry_after_s if failure.retry_after_s else None)
    return failure


class GeminiAdapter(Adapter):
    api = "gemini"

    def normalize_base(self, base: str) -> str:
        return base if base.endswith(("/v1beta", "/v1", "/v1alpha")) else base + "/v1beta"

    def chat_path(self, model_id: str, stream: bool) -> str:
        model = quote(model_id.removeprefix("models/"), safe="-._~")
        return f"/models/{model}:streamGenerateContent?alt=sse" if stream else f"/models/{model}:generateContent"

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-goog-api-key": key}

    def build_body(self, model_id: str, request: ChatRequest, max_tokens: int | None) -> dict[str, Any]:
        return gemini_body(request, max_tokens)

    def stream_state(self, provider: str, status: int, headers: Mapping[str, str], now_wall: float) -> GeminiStream:
        return GeminiStream(provider, status, headers, now_wall)

    def classify_response(self, status: int, headers: Mapping[str, str] | None, body: bytes | str | dict | None,
                          now_wall: float) -> Failure:
        data: Any = body
        if isinstance(body, (bytes, bytearray, str)):
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                data = None
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if isinstance(data, dict) and isinstance(data.get("error"), dict) and not 300 <= status < 400:
            return classify_gemini_error(data["error"], status, headers, now_wall)
        return classify_response(status, headers, body, now_wall)

    def classify_error(self, error: Any, status: int | None, headers: Mapping[str, str] | None, now_wall: float,
                       after_content: bool = False) -> Failure:
        return classify_gemini_error(error, status, headers, now_wall, after_content)

    def listing_path(self, page: str | None) -> str:
        return "/models?pageSize=1000" + (f"&pageToken={quote(page, safe='')}" if page else "")

    def parse_listing(self, data: Any) -> tuple[dict[str, Listed], str | None]:
        out: dict[str, Listed] = {}
        for item in listing_items(data, "models"):
            if isinstance(item.get("name"), str):
                ident = item["name"].removeprefix("models/")
                out[ident] = Listed(ident, nonneg_int(item.get("inputTokenLimit")) or None)
        token = data.get("nextPageToken")
        return out, token if isinstance(token, str) and token else None
