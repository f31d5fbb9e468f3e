"""What an OpenAI-compatible answer has said so far, and whether it amounts to a completion.

Split from the client so the chunk rules (what counts as a token, what is an error chunk, when an
answer is complete, empty or cut) are plain synchronous code, separate from sockets and deadlines.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.engine.provider.classify import classify_error_object, short_detail
from tui.engine.events import Usage
from tui.engine.failures import Failure, FailureKind, ProviderError
from tui.engine.provider.sse import SSEComment, SSEItem

log = logging.getLogger("modelfallback.client")

K = FailureKind
MAX_BAD_LINES = 3  # a single bad SSE line is skipped and logged; the third ends the stream


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def parse_usage(value: Any) -> Usage | None:
    """Usage from a chunk's or body's `usage` object; None when absent or meaningless."""
    if not isinstance(value, dict):
        return None
    cost = value.get("cost")
    usage = Usage(_int(value.get("prompt_tokens")), _int(value.get("completion_tokens")),
                  _int(value.get("total_tokens")),
                  float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) else None)
    return usage if any(v is not None for v in usage.to_json().values()) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _first_choice(data: dict) -> dict | None:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        return None
    first = choices[0]
    if isinstance(first, dict) and first.get("index", 0) == 0:
        return first  # the usual shape: one choice, index 0
    dicts = [c for c in choices if isinstance(c, dict)]
    return next((c for c in dicts if c.get("index", 0) == 0), dicts[0] if dicts else None)


@dataclass(frozen=True)
class Message:
    """A whole non-streamed answer."""

    content: str
    reasoning: str
    finish_reason: str | None
    model: str | None


class StreamState:
    """Accumulates one streamed answer; `handle` returns (text, is_reasoning) pieces or raises ProviderError."""

    def __init__(self, provider: str, status: int, headers: Mapping[str, str], now_wall: float) -> None:
        self.provider = provider
        self.status = status
        self.headers = headers
        self.now_wall = now_wall
        self.content: list[str] = []
        self.any_token = False  # a content or reasoning token has arrived (the first-token clock stops)
        self.finished = False  # [DONE] seen
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.model: str | None = None
        self.comments = 0
        self.bad_lines = 0
        self._dropped_seen = 0
        self._new_token = False
        self._lost: str | None = None

    @property
    def partial(self) -> str:
        return "".join(self.content)

    def fail(self, kind: FailureKind, detail: str) -> ProviderError:
        return ProviderError(Failure(kind, short_detail(detail)), self.partial)

    def waiting_note(self) -> str:
        """Why nothing came: for the TIMEOUT detail."""
        if self.comments:
            return f" (only {self.comments} keep-alive comment{'s' if self.comments != 1 else ''})"
        return " (headers, then silence)"

    def took_token(self) -> bool:
        """Whether a token arrived since the last call: it pushes the stall deadline."""
        new, self._new_token = self._new_token, False
        return new

    def lost_connection(self, detail: str) -> None:
        self._lost = detail

    def count_dropped(self, dropped: int) -> None:
        """Lines the SSE parser dropped as over-long count as malformed lines."""
        while self._dropped_seen < dropped:
            self._dropped_seen += 1
            self._bad("<over-long line>")

    # -- chunks ----------------------------------------------------------------------------

    def handle(self, item: SSEItem) -> list[tuple[str, bool]]:
        if isinstance(item, SSEComment):
            self.comments += 1
            return []
        data = item.data.strip()
        if data == "[DONE]":
            self.finished = True
            return []
        if not data:
            return []
        objects = self._decode(data)
        if objects is None:
            self._bad(data)
            return []
        if len(objects) == 1:  # the usual case: one chunk object per event
            try:
                return self._chunk(objects[0], item.event)
            except ProviderError:
                raise
            except Exception:  # a chunk of the wrong shape is a malformed line, not a crash
                self._bad(data)
                return []
        out: list[tuple[str, bool]] = []
        for obj in objects:
            try:
                out += self._chunk(obj, item.event)
            except ProviderError:
                raise
            except Exception:  # a chunk of the wrong shape is a malformed line, not a crash
                self._bad(data)
        return out

    @staticmethod
    def _decode(data: str) -> list[dict] | None:
        try:
            obj = json.loads(data)
            return [obj] if isinstance(obj, dict) else None
        except (ValueError, RecursionError):
            pass
        if "\n" not in data:
            return None
        # Some servers omit the blank line between events, so their data lines get joined.
        try:
            objs = [json.loads(line) for line in data.split("\n") if line.strip()]
        except (ValueError, RecursionError):
            return None
        return objs if objs and all(isinstance(o, dict) for o in objs) else None

    def _bad(self, data: str) -> None:
        self.bad_lines += 1
        log.warning("%s: unparseable stream line %d of at most %d: %s", self.provider,
                    self.bad_lines, MAX_BAD_LINES, short_detail(data, 120))
        if self.bad_lines >= MAX_BAD_LINES:
            kind = K.INTERRUPTED if self.any_token else K.PROTOCOL
            raise self.fail(kind, f"unparseable stream: {self.bad_lines} malformed lines")

    def _error(self, error: Any) -> ProviderError:
        failure = classify_error_object(error, self.status, self.headers, self.now_wall,
                                        after_content=self.any_token)
        return ProviderError(failure, self.partial)

    def _chunk(self, obj: dict, event: str | None) -> list[tuple[str, bool]]:
        error = obj.get("error")
        if error or event == "error" or obj.get("type") == "error" or obj.get("object") == "error":
            raise self._error(error if isinstance(error, (dict, str)) and error else obj)
        if self.model is None and _text(obj.get("model")):
            self.model = obj["model"]
        if "usage" in obj:  # most chunks carry none: skip the call
            self.usage = parse_usage(obj["usage"]) or self.usage
        choice = _first_choice(obj)
        if choice is None:
            return []
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            delta = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        out: list[tuple[str, bool]] = []
        if "reasoning" in delta or "reasoning_content" in delta:
            reasoning = _text(delta.get("reasoning")) or _text(delta.get("reasoning_content"))
            if reasoning:
                out.append((reasoning, True))
        content = delta.get("content")
        if content and isinstance(content, str):
            self.content.append(content)
            out.append((content, False))
        if out:
            self.any_token = self._new_token = True
        finish = choice.get("finish_reason")
        if finish == "error":
            raise self._error({"message": "the provider ended the answer with finish_reason 'error'"})
        if finish and isinstance(finish, str):
            self.finish_reason = finish
        return out

    # -- completion ------------------------------------------------------------------------

    def check_complete(self) -> None:
        """Raise unless what arrived is a finished, non-empty answer."""
        if not self.finished and self.finish_reason is None:
            if self._lost is not None:
                detail = f"connection lost: {self._lost}"
            else:
                detail = "stream ended without a finish reason"
            if self.any_token:
                raise self.fail(K.INTERRUPTED, detail)
            raise self.fail(K.PROTOCOL, f"empty completion: {detail}, before any content")
        self._check_not_empty(bool(self.content), self.any_token, self.finish_reason)

    def _check_not_empty(self, content: bool, reasoning: bool, finish: str | None) -> None:
        if content or reasoning:
            return
        if finish == "content_filter":
            raise self.fail(K.CONTENT_POLICY, "the provider's content filter withheld the answer")
        raise self.fail(K.PROTOCOL, f"empty completion (finish_reason {finish!r})")

    def json_message(self, data: Any) -> Message:
        """The answer of a non-streamed body, or ProviderError (error object, no choices, empty)."""
        if not isinstance(data, dict):
            raise self.fail(K.PROTOCOL, "unexpected JSON response (not an object)")
        error = data.get("error")
        if error or data.get("type") == "error" or data.get("object") == "error":
            raise self._error(error if isinstance(error, (dict, str)) and error else data)
        choice = _first_choice(data)
        if choice is None:
            raise self.fail(K.PROTOCOL, "response without choices")
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        content = _text(message.get("content"))
        reasoning = _text(message.get("reasoning")) or _text(message.get("reasoning_content"))
        finish = _text(choice.get("finish_reason")) or None
        self._check_not_empty(bool(content), bool(reasoning), finish)
        return Message(content, reasoning, finish, _text(data.get("model")) or None)
