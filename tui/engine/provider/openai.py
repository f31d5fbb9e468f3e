"""The `openai` adapter: Chat Completions as OpenAI, OpenRouter, LiteLLM, vLLM, Ollama and most servers speak it.

OpenRouter's quirks are this API's too: errors inside HTTP 200 bodies and inside stream chunks
(`finish_reason: "error"`), `: OPENROUTER PROCESSING` keep-alive comments (the shared SSE reader
keeps them apart), a usage chunk with the cost, and a `/models` listing with prices and context
lengths. Compatible servers reuse tool-call index 0 for parallel calls (a new `id` is a new call).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui.engine.conversation import ChatRequest, ToolChoice
from tui.engine.events import Usage
from tui.engine.failures import Failure, FailureKind
from tui.engine.provider.adapter import Adapter, Listed, listing_items
from tui.engine.provider.answer import AnswerItem, Delta, Done
from tui.engine.provider.classify import classify_error_object, classify_response
from tui.engine.provider.stream_state import StreamState, nonneg_int, text_of

K = FailureKind
FINISH = {"function_call": "tool_calls"}  # the legacy name; the others are canonical as they are


def parse_usage(value: Any) -> Usage | None:
    """Usage from a chunk's or body's `usage` object; None when absent or meaningless."""
    if not isinstance(value, dict):
        return None
    cost = value.get("cost")
    usage = Usage(nonneg_int(value.get("prompt_tokens")), nonneg_int(value.get("completion_tokens")),
                  nonneg_int(value.get("total_tokens")),
                  float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) else None)
    details = value.get("prompt_tokens_details")
    if isinstance(details, dict):
        usage.cache_read_tokens = nonneg_int(details.get("cached_tokens"))
    return usage if any(v is not None for v in usage.to_json().values()) else None


def _first_choice(data: dict) -> dict | None:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        return None
    first = choices[0]
    if isinstance(first, dict) and first.get("index", 0) == 0:
        return first  # the usual shape: one choice, index 0
    dicts = [c for c in choices if isinstance(c, dict)]
    return next((c for c in dicts if c.get("index", 0) == 0), dicts[0] if dicts else None)


class OpenAIStream(StreamState):
    """Chat Completions chunks (and whole bodies) as canonical pieces."""

    done_marker = "[DONE]"

    def __init__(self, provider: str, status: int, headers: Mapping[str, str], now_wall: float) -> None:
        super().__init__(provider, status, headers, now_wall, classify_error_object)
        self._call_ids: dict[int, str] = {}  # the wire's index -> the id of the call it carries
        self._call_index: dict[int, int] = {}  # the wire's index -> the canonical index
        self._calls = 0

    def _chunk(self, obj: dict, event: str | None) -> list[AnswerItem]:
        error = obj.get("error")
        if error or event == "error" or obj.get("type") == "error" or obj.get("object") == "error":
            raise self.error(error if isinstance(error, (dict, str)) and error else obj)
        if self.model is None and text_of(obj.get("model")):
            self.model = obj["model"]
        if "usage" in obj:  # most chunks carry none: skip the call
            self.usage = parse_usage(obj["usage"]) or self.usage
        choice = _first_choice(obj)
        if choice is None:
            return []
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            delta = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        out: list[AnswerItem] = []
        if "reasoning" in delta or "reasoning_content" in delta:
            reasoning = text_of(delta.get("reasoning")) or text_of(delta.get("reasoning_content"))
            if reasoning:
                out.append(Delta(reasoning, True))
        content = delta.get("content")
        if content and isinstance(content, str):
            self.content.append(content)  # `self.text(content)` inlined: this runs once per token
            out.append(Delta(content))
        if "tool_calls" in delta:
            calls = delta["tool_calls"]
            if calls and isinstance(calls, list):
                out += self._tool_fragments(calls)
        finish = choice.get("finish_reason")
        if finish == "error":
            raise self.error({"message": "the provider ended the answer with finish_reason 'error'"})
        if finish and isinstance(finish, str):
            self.finish_reason = FINISH.get(finish, finish)
        return out

    def _tool_fragments(self, calls: list) -> list[AnswerItem]:
        out: list[AnswerItem] = []
        for call in calls:
            if not isinstance(call, dict):
                continue
            wire = call.get("index") if isinstance(call.get("index"), int) else 0
            fn = call.get("function") if isinstance(call.get("function"), dict) else {}
            call_id = text_of(call.get("id")) or None
            if wire not in self._call_index or (call_id and self._call_ids.get(wire) not in (None, call_id)):
                self._call_index[wire] = self._calls  # a new call (or a reused index with a new id)
                self._calls += 1
            if call_id:
                self._call_ids[wire] = call_id
            out.append(self.call(self._call_index[wire], call_id, text_of(fn.get("name")) or None,
                                 text_of(fn.get("arguments"))))
        return out

    def json_answer(self, data: Any) -> list[AnswerItem]:
        if not isinstance(data, dict):
            raise self.fail(K.PROTOCOL, "unexpected JSON response (not an object)")
        error = data.get("error")
        if error or data.get("type") == "error" or data.get("object") == "error":
            raise self.error(error if isinstance(error, (dict, str)) and error else data)
        choice = _first_choice(data)
        if choice is None:
            raise self.fail(K.PROTOCOL, "response without choices")
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        content = text_of(message.get("content"))
        reasoning = text_of(message.get("reasoning")) or text_of(message.get("reasoning_content"))
        finish = text_of(choice.get("finish_reason")) or None
        items: list[AnswerItem] = []
        if reasoning:
            items.append(Delta(reasoning, reasoning=True))
        if content:
            items.append(self.text(content))
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            items += self._tool_fragments(calls)
        self.check_not_empty(bool(content) or self.tool_calls, bool(reasoning), finish)
        items.append(Done(FINISH.get(finish, finish) if finish else None, parse_usage(data.get("usage")),
                          text_of(data.get("model")) or None))
        return items


def _tool_choice(choice: ToolChoice) -> str | dict:
    if choice.mode == "tool":
        return {"type": "function", "function": {"name": choice.name}}
    return choice.mode


class OpenAIAdapter(Adapter):
    api = "openai"
    may_refuse = False  # the canonical request is OpenAI's shape: everything in it is carried

    def chat_path(self, model_id: str, stream: bool) -> str:
        return "/chat/completions"

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def build_body(self, model_id: str, request: ChatRequest, max_tokens: int | None) -> dict[str, Any]:
        body: dict[str, Any] = dict(request.extra.get("openai", {}))
        body.update(model=model_id, messages=[m.to_json() for m in request.messages], stream=request.stream)
        if request.stream:
            options = body.get("stream_options")
            body["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
        tokens = request.max_tokens if request.max_tokens is not None else max_tokens
        if tokens is not None:
            body["max_tokens"] = tokens
        for key in ("temperature", "top_p", "seed"):
            value = getattr(request, key)
            if value is not None:
                body[key] = value
        if request.stop:
            body["stop"] = list(request.stop)
        if request.tools:
            body["tools"] = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                               "parameters": dict(t.parameters)}}
                             for t in request.tools]
            if request.parallel_tool_calls is not None:
                body["parallel_tool_calls"] = request.parallel_tool_calls
        if request.tool_choice is not None:
            body["tool_choice"] = _tool_choice(request.tool_choice)
        return body

    def stream_state(self, provider: str, status: int, headers: Mapping[str, str], now_wall: float) -> OpenAIStream:
        return OpenAIStream(provider, status, headers, now_wall)

    def classify_response(self, status: int, headers: Mapping[str, str] | None, body: bytes | str | dict | None,
                          now_wall: float) -> Failure:
        return classify_response(status, headers, body, now_wall)

    def classify_error(self, error: Any, status: int | None, headers: Mapping[str, str] | None, now_wall: float,
                       after_content: bool = False) -> Failure:
        return classify_error_object(error, status, headers, now_wall, after_content)

    def listing_path(self, page: str | None) -> str:
        return "/models"

    def parse_listing(self, data: Any) -> tuple[dict[str, Listed], str | None]:
        out: dict[str, Listed] = {}
        for item in listing_items(data, "data"):
            if not isinstance(item.get("id"), str):
                continue
            context = _positive(item.get("context_length"))
            top = item.get("top_provider")
            if context is None and isinstance(top, dict):
                context = _positive(top.get("context_length"))
            out[item["id"]] = Listed(item["id"], context, _price(item.get("pricing")))
        return out, None


def _positive(value: Any) -> int | None:
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        return None
    return int(value)


def _price(pricing: Any) -> tuple[float, float] | None:
    """OpenRouter's `pricing` (USD per token, as strings) in USD per million tokens."""
    if not isinstance(pricing, dict):
        return None
    try:
        prompt, completion = float(pricing["prompt"]), float(pricing["completion"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (prompt >= 0 and completion >= 0):
        return None
    return round(prompt * 1e6, 6), round(completion * 1e6, 6)
