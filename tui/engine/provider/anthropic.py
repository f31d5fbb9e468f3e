"""The `anthropic` adapter: Anthropic's Messages API (wires.md §2).

Base URL as Anthropic's SDK takes it (`https://api.anthropic.com`; one ending in `/v1` is accepted
too); the key goes in `x-api-key` with `anthropic-version: 2023-06-01`. The stream is named events:
`message_start`, per block `content_block_start` / `_delta` / `_stop` (text, tool-input JSON,
thinking), `message_delta` (stop reason, cumulative usage), `message_stop`; `ping` anywhere, and
`error` in place of the rest. The request's translation is `anthropic_wire`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from tui.engine.conversation import ChatRequest
from tui.engine.events import Usage
from tui.engine.failures import Failure, FailureKind
from tui.engine.provider.adapter import Adapter, Listed, listing_items
from tui.engine.provider.answer import AnswerItem, Delta, Done
from tui.engine.provider.anthropic_wire import anthropic_body
from tui.engine.provider.classify import classify_error_object, classify_response
from tui.engine.provider.retry_after import lower_headers
from tui.engine.provider.stream_state import StreamState, nonneg_int, text_of

K = FailureKind
VERSION = "2023-06-01"
FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
          "refusal": "content_filter", "pause_turn": "stop", "model_context_window_exceeded": "length"}
_LIMITS = ("requests", "tokens", "input-tokens", "output-tokens")


def parse_usage(value: Any, into: Usage | None = None) -> Usage | None:
    """Anthropic's usage (input excludes cache reads and writes) as canonical usage (input includes them).
    Stream usage is cumulative: `into` is updated with what this event states."""
    if not isinstance(value, dict):
        return into
    usage = into or Usage()
    fields = {k: nonneg_int(value.get(k)) for k in ("input_tokens", "output_tokens", "cache_creation_input_tokens",
                                                    "cache_read_input_tokens")}
    if fields["cache_creation_input_tokens"] is not None:
        usage.cache_write_tokens = fields["cache_creation_input_tokens"]
    if fields["cache_read_input_tokens"] is not None:
        usage.cache_read_tokens = fields["cache_read_input_tokens"]
    if fields["input_tokens"] is not None:
        usage.prompt_tokens = fields["input_tokens"] + (usage.cache_write_tokens or 0) + (usage.cache_read_tokens or 0)
    if fields["output_tokens"] is not None:
        usage.completion_tokens = fields["output_tokens"]
    if usage.prompt_tokens is not None and usage.completion_tokens is not None:
        usage.total_tokens = usage.prompt_tokens + usage.completion_tokens
    return usage


class AnthropicStream(StreamState):
    """Messages events (and whole Message bodies) as canonical pieces."""

    quiet_events = frozenset(("ping", "content_block_stop"))

    def __init__(self, provider: str, status: int, headers: Mapping[str, str], now_wall: float) -> None:
        super().__init__(provider, status, headers, now_wall, classify_anthropic_error)
        self._calls: dict[int, int] = {}  # content block index -> tool call index

    def _chunk(self, obj: dict, event: str | None) -> list[AnswerItem]:
        kind = obj.get("type") or event
        if kind == "content_block_delta":
            delta = obj.get("delta")
            if not isinstance(delta, dict):
                return []
            dtype = delta.get("type")
            if dtype == "text_delta":
                text = text_of(delta.get("text"))
                return [self.text(text)] if text else []
            if dtype == "input_json_delta":
                index = self._calls.get(obj.get("index"))  # type: ignore[arg-type]
                piece = text_of(delta.get("partial_json"))
                return [self.call(index, None, None, piece)] if index is not None and piece else []
            if dtype == "thinking_delta":
                text = text_of(delta.get("thinking"))
                return [Delta(text, True)] if text else []
            return []  # signature_delta, citations_delta: nothing to show
        if kind == "content_block_start":
            block = obj.get("content_block")
            if not isinstance(block, dict):
                return []
            if block.get("type") == "tool_use":
                index = self._calls[obj.get("index")] = len(self._calls)  # type: ignore[index]
                return [self.call(index, text_of(block.get("id")) or None, text_of(block.get("name")) or None, "")]
            if block.get("type") == "text" and text_of(block.get("text")):
                return [self.text(block["text"])]
            return []
        if kind == "message_delta":
            delta = obj.get("delta")
            reason = delta.get("stop_reason") if isinstance(delta, dict) else None
            if isinstance(reason, str) and reason:
                self.finish_reason = FINISH.get(reason, reason)
            self.usage = parse_usage(obj.get("usage"), self.usage)
            return []
        if kind == "message_start":
            message = obj.get("message")
            if isinstance(message, dict):
                self.model = text_of(message.get("model")) or self.model
                self.usage = parse_usage(message.get("usage"), self.usage)
            return []
        if kind == "message_stop":
            self.finished = True
            return []
        if kind == "error" or "error" in obj:
            raise self.error(obj)
        return []  # ping, content_block_stop, and event types added later

    def json_answer(self, data: Any) -> list[AnswerItem]:
        if not isinstance(data, dict):
            raise self.fail(K.PROTOCOL, "unexpected JSON response (not an object)")
        if data.get("type") == "error" or data.get("error"):
            raise self.error(data)
        content = data.get("content")
        if not isinstance(content, list):
            raise self.fail(K.PROTOCOL, "response without content[]")
        items: list[AnswerItem] = []
        reasoning = False
        calls = 0
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text" and text_of(block.get("text")):
                items.append(self.text(block["text"]))
            elif block.get("type") == "thinking" and text_of(block.get("thinking")):
                items.append(Delta(block["thinking"], True))
                reasoning = True
            elif block.get("type") == "tool_use":
                arguments = json.dumps(block.get("input") or {}, ensure_ascii=False)
                items.append(self.call(calls, text_of(block.get("id")) or None, text_of(block.get("name")) or None,
                                       arguments))
                calls += 1
        reason = text_of(data.get("stop_reason")) or None
        finish = FINISH.get(reason, reason) if reason else None
        self.check_not_empty(bool(self.content) or self.tool_calls, reasoning, finish)
        items.append(Done(finish, parse_usage(data.get("usage")), text_of(data.get("model")) or None))
        return items


def _with_reset(headers: Mapping[str, str] | None, now_wall: float) -> dict[str, str]:
    """The headers, plus a `retry-after` from the `anthropic-ratelimit-*-reset` of an exhausted limit
    when the response stated none (the shared reader knows only the usual headers)."""
    merged = lower_headers(headers)
    if "retry-after" in merged:
        return merged
    from datetime import datetime

    waits = []
    for limit in _LIMITS:
        if merged.get(f"anthropic-ratelimit-{limit}-remaining", "").strip() != "0":
            continue
        try:
            when = datetime.fromisoformat(merged.get(f"anthropic-ratelimit-{limit}-reset", "").replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is not None:
            waits.append(max(0.0, when.timestamp() - now_wall))
    if waits:
        merged["retry-after"] = f"{max(waits):.3f}"
    return merged


def classify_anthropic_error(error: Any, status: int | None, headers: Mapping[str, str] | None, now_wall: float,
                             after_content: bool = False) -> Failure:
    """An Anthropic error object (`{"type": "error", "error": {"type", "message"}}`, or its inner
    object). The shared rules read its `type` and message; the reset headers are added first."""
    return classify_error_object(error, status, _with_reset(headers, now_wall), now_wall, after_content)


class AnthropicAdapter(Adapter):
    api = "anthropic"

    def normalize_base(self, base: str) -> str:
        return base[: -len("/v1")] if base.endswith("/v1") else base

    def chat_path(self, model_id: str, stream: bool) -> str:
        return "/v1/messages"

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key}

    def fixed_headers(self) -> dict[str, str]:
        return {"anthropic-version": VERSION}

    def build_body(self, model_id: str, request: ChatRequest, max_tokens: int | None) -> dict[str, Any]:
        return anthropic_body(model_id, request, max_tokens)

    def stream_state(self, provider: str, status: int, headers: Mapping[str, str],
                     now_wall: float) -> AnthropicStream:
        return AnthropicStream(provider, status, headers, now_wall)

    def classify_response(self, status: int, headers: Mapping[str, str] | None, body: bytes | str | dict | None,
                          now_wall: float) -> Failure:
        return classify_response(status, _with_reset(headers, now_wall), body, now_wall)

    def classify_error(self, error: Any, status: int | None, headers: Mapping[str, str] | None, now_wall: float,
                       after_content: bool = False) -> Failure:
        return classify_anthropic_error(error, status, headers, now_wall, after_content)

    def listing_path(self, page: str | None) -> str:
        return "/v1/models?limit=1000" + (f"&after_id={quote(page, safe='')}" if page else "")

    def parse_listing(self, data: Any) -> tuple[dict[str, Listed], str | None]:
        out: dict[str, Listed] = {}
        for item in listing_items(data, "data"):
            if isinstance(item.get("id"), str):
                context = nonneg_int(item.get("max_input_tokens"))
                out[item["id"]] = Listed(item["id"], context or None)
        last = data.get("last_id")
        more = data.get("has_more") is True and isinstance(last, str) and last
        return out, last if more else None
