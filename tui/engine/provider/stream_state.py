"""What an answer has said so far, and whether it amounts to a completion: the rules every API shares.

Split from the client so the chunk rules (what counts as a token, when an answer is complete, empty
or cut, how many unparseable lines are tolerated) are plain synchronous code, separate from sockets
and deadlines. Each adapter subclasses `StreamState` with its API's chunk shapes (`_chunk`) and its
whole-body shape (`json_answer`); the rules below stay written once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from tui.engine.conversation import ToolCallDelta
from tui.engine.failures import Failure, FailureKind, ProviderError
from tui.engine.provider.answer import AnswerItem, Delta
from tui.engine.provider.classify import short_detail
from tui.engine.provider.sse import SSEComment, SSEItem

log = logging.getLogger("modelfallback.client")

K = FailureKind
MAX_BAD_LINES = 3  # a single bad SSE line is skipped and logged; the third ends the stream

# (error object, HTTP status, headers, wall time, after_content) -> Failure: the adapter's body rules
ErrorClassifier = Callable[[Any, int | None, Mapping[str, str] | None, float, bool], Failure]


def nonneg_int(value: Any) -> int | None:
    """A token count as an API reports it; None for anything that is not a non-negative integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""


class StreamState:
    """Accumulates one answer; `handle` returns its canonical pieces or raises ProviderError.

    Subclasses set `finished` when the API's terminator arrives (`[DONE]`, `message_stop`), or leave
    it to the end of the body (Gemini): an answer with a finish reason is complete either way.
    """

    done_marker: str | None = None  # a data line that ends the stream (OpenAI's `[DONE]`)
    quiet_events: frozenset[str] = frozenset()  # named events that say nothing (Anthropic's `ping`): not decoded

    def __init__(self, provider: str, status: int, headers: Mapping[str, str], now_wall: float,
                 classify: ErrorClassifier) -> None:
        self.provider = provider
        self.status = status
        self.headers = headers
        self.now_wall = now_wall
        self._classify = classify
        self.content: list[str] = []
        self.any_token = False  # a content, reasoning or tool-call piece has arrived (the first-token clock stops)
        self.tool_calls = False  # a tool-call piece has arrived: an answer of only calls is not empty
        self.finished = False  # the API's terminator seen
        self.finish_reason: str | None = None
        self.usage: Any = None
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

    # -- events ----------------------------------------------------------------------------

    def handle(self, item: SSEItem) -> list[AnswerItem]:
        if isinstance(item, SSEComment):
            self.comments += 1
            return []
        if item.event is not None and item.event in self.quiet_events:
            return []
        data = item.data.strip()
        if data == self.done_marker:
            self.finished = True
            return []
        if not data:
            return []
        objects = self._decode(data)
        if objects is None:
            self._bad(data)
            return []
        if len(objects) == 1:  # the usual case: one chunk object per event, no list to gather
            try:
                out = self._chunk(objects[0], item.event)
            except ProviderError:
                raise
            except Exception:  # a chunk of the wrong shape is a malformed line, not a crash
                self._bad(data)
                return []
            if out:
                self.any_token = self._new_token = True
            return out
        out = []
        for obj in objects:
            try:
                got = self._chunk(obj, item.event)
            except ProviderError:
                raise
            except Exception:  # a chunk of the wrong shape is a malformed line, not a crash
                self._bad(data)
                continue
            if got:
                out += got
        if out:
            self.any_token = self._new_token = True
        return out

    @staticmethod
    def _decode(data: str) -> list[dict] | None:
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError):
            obj = None
        if isinstance(obj, dict):
            return [obj]
        if isinstance(obj, list):  # Gemini may wrap an error in a one-element array
            return obj if obj and all(isinstance(o, dict) for o in obj) else None
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

    def error(self, error: Any) -> ProviderError:
        """An in-body or in-stream error object, classified by the adapter's rules; after content it
        is `interrupted` (the partial is kept)."""
        return ProviderError(self._classify(error, self.status, self.headers, self.now_wall, self.any_token),
                             self.partial)

    def text(self, text: str) -> Delta:
        """An answer text piece: kept as the partial, and returned for the caller."""
        self.content.append(text)
        return Delta(text)

    def call(self, index: int, id: str | None, name: str | None, arguments: str) -> ToolCallDelta:
        self.tool_calls = True
        return ToolCallDelta(index, id, name, arguments)

    def _chunk(self, obj: dict, event: str | None) -> list[AnswerItem]:
        """One decoded event of the API's stream: its pieces (raise ProviderError for an error)."""
        raise NotImplementedError

    def json_answer(self, data: Any) -> list[AnswerItem]:
        """A whole non-streamed body as pieces, ending in Done (raise ProviderError for an error)."""
        raise NotImplementedError

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
        self.check_not_empty(bool(self.content) or self.tool_calls, self.any_token, self.finish_reason)

    def check_not_empty(self, content: bool, reasoning: bool, finish: str | None) -> None:
        """An answer with neither text, tool calls nor reasoning is a failure: content_policy when
        the API said it filtered it, else protocol."""
        if content or reasoning:
            return
        if finish == "content_filter":
            raise self.fail(K.CONTENT_POLICY, "the provider's content filter withheld the answer")
        raise self.fail(K.PROTOCOL, f"empty completion (finish_reason {finish!r})")
